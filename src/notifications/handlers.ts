import { recordTag, type RecordType } from '../domain/commands.js';
import type { AppContext } from '../core/context.js';
import type { RecordEventHandler, RecordNoteHandler } from '../core/context.js';
import type { FieldChange } from '../domain/record.js';
import type { Executor } from '../store/db.js';
import { findProjectById, memberCommands } from '../store/projects.repository.js';
import { findRecordById } from '../store/records.repository.js';
import { findUserById, findUserByUsername } from '../store/users.repository.js';
import { canView, setWatchChoice, watchChoicesOn, watchersOfRecord } from '../watchers/index.js';
import { nowIso } from '../clock.js';
import { findSettings } from './notifications.repository.js';
import { settingsFrom, type AutoWatchReason } from './prefs.js';
import { notify } from './notify.js';

async function nameOf(tx: Executor, userId: string | null): Promise<string> {
  const u = userId ? await findUserById(tx, userId) : undefined;
  return u ? u.full_name || u.username : 'Mailtrail';
}

const LABEL: Record<string, string> = {
  title: 'Title',
  description: 'Description',
  status: 'Status',
  assignee: 'Assignee',
  priority: 'Priority',
  severity: 'Severity',
};
const shown = (v: string | null) => (v === null || v === '' ? '—' : v.length > 80 ? `${v.slice(0, 79)}…` : v);

/** The changes as lines people read; long texts (a description) are named, not quoted. */
export function changeLines(changes: FieldChange[]): string[] {
  return changes.map((c) => {
    const label = LABEL[c.field] ?? c.field.replace(/^fields\./, '');
    if (c.field === 'description') return `${label} edited`;
    return `${label}: ${shown(c.old)} → ${shown(c.new)}`;
  });
}

/**
 * Each change to a record tells its watchers (not whoever made it): "assigned" for the person
 * it was just given to, "changed" for the others. A new record is news only to its assignee
 * (its creator made it). Runs in the change's transaction, once per change and person.
 */
export function watcherChangeHandler(ctx: AppContext): RecordEventHandler {
  return async (tx, e) => {
    const watchers = (await watchersOfRecord(tx, e.record.id)).filter((w) => w.userId !== e.actorId);
    if (watchers.length === 0) return;
    const actor = await nameOf(tx, e.actorId);
    const lines = changeLines(e.changes);
    for (const w of watchers) {
      const assignedToYou = e.changes.some((c) => c.field === 'assignee' && c.new === w.username);
      if (e.kind === 'created' && !assignedToYou) continue;
      await notify(ctx, tx, {
        userId: w.userId,
        projectId: e.projectId,
        recordId: e.record.id,
        kind: assignedToYou ? 'assigned' : 'changed',
        sourceKey: `event:${e.id}`,
        actorId: e.actorId,
        summary: assignedToYou ? `${actor} assigned ${e.record.tag} to you: ${e.record.title}` : `${actor} changed ${e.record.tag}: ${lines.join('; ')}`,
        detail: assignedToYou ? lines.join('\n') : '',
      });
    }
  };
}

/** A member of the project who may see records of this type (a mention never reaches outsiders). */
async function memberWhoCanView(tx: Executor, projectId: string, type: RecordType, username: string) {
  const user = await findUserByUsername(tx, username);
  if (!user || !(await memberCommands(tx, projectId, user.id))) return undefined;
  return (await canView(tx, projectId, type, user)) ? user : undefined;
}

/**
 * A comment tells each member it @mentions (once per comment and person, also when an edit adds
 * the mention; never its author), and the record's other watchers that there is a new comment.
 */
export function commentNoteHandler(ctx: AppContext): RecordNoteHandler {
  return async (tx, note) => {
    const record = await findRecordById(tx, note.recordId);
    if (!record) return;
    const project = await findProjectById(tx, note.projectId);
    if (!project) return;
    const author = await nameOf(tx, note.actorId);
    const label = recordTag(project.key, record.type as RecordType, record.number);
    const told = new Set<string>();
    // Commenting or being mentioned makes you watch, unless you turned that off or chose not to watch.
    const autoWatch = async (userId: string, reason: AutoWatchReason) => {
      if (!settingsFrom(await findSettings(tx, userId, note.projectId)).autoWatch[reason]) return;
      if ((await watchChoicesOn(tx, record.id)).some((c) => c.user_id === userId)) return;
      await setWatchChoice(tx, { record_id: record.id, user_id: userId, project_id: note.projectId, watching: 1, added_by: userId, created_at: nowIso() });
    };
    if (note.kind === 'comment.added' && note.actorId) await autoWatch(note.actorId, 'commented');
    for (const username of note.comment.mentions) {
      const user = await memberWhoCanView(tx, note.projectId, record.type as RecordType, username);
      if (!user || user.id === note.actorId) continue;
      told.add(user.id);
      await autoWatch(user.id, 'mentioned');
      await notify(ctx, tx, {
        userId: user.id,
        projectId: note.projectId,
        recordId: record.id,
        kind: 'mentioned',
        sourceKey: `mention:${note.comment.id}`,
        actorId: note.actorId,
        summary: `${author} mentioned you on ${label}: ${record.title}`,
        detail: note.comment.body,
      });
    }
    if (note.kind !== 'comment.added') return;
    for (const w of await watchersOfRecord(tx, record.id)) {
      if (w.userId === note.actorId || told.has(w.userId)) continue;
      await notify(ctx, tx, {
        userId: w.userId,
        projectId: note.projectId,
        recordId: record.id,
        kind: 'commented',
        sourceKey: `comment:${note.comment.id}`,
        actorId: note.actorId,
        summary: `${author} commented on ${label}: ${record.title}`,
        detail: note.comment.body,
      });
    }
  };
}
