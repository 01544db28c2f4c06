import { nowIso } from '../clock.js';
import { requireOnRecordType } from '../domain/access.js';
import { CATEGORY_OF, type RecordType } from '../domain/commands.js';
import { badRequest } from '../errors.js';
import type { ProjectContext } from '../projects/index.js';
import { getRecord, noteOnRecord } from '../records/index.js';
import type { Db, Executor } from '../store/db.js';
import * as projects from '../store/projects.repository.js';
import { findRecordById } from '../store/records.repository.js';
import type { UserRow } from '../store/schema.js';
import { findUserById, findUserByUsername } from '../store/users.repository.js';
import * as repo from './watchers.repository.js';

/** Why someone watches: they chose to, or they are the record's assignee or creator. */
export type WatchReason = 'watching' | 'assignee' | 'creator';

export interface Watcher {
  userId: string;
  username: string;
  fullName: string;
  email: string;
  reason: WatchReason;
}

export interface PublicWatcher {
  username: string;
  fullName: string;
  reason: WatchReason;
}

export interface WatcherList {
  /** Whether the caller watches the record. */
  watching: boolean;
  watchers: PublicWatcher[];
}

/** Whether a user may see records of this type in the project: notifications never go further. */
export async function canView(db: Executor, projectId: string, type: RecordType, user: Pick<UserRow, 'id' | 'is_admin' | 'disabled'>): Promise<boolean> {
  if (user.disabled === 1) return false;
  if (user.is_admin === 1) return true;
  const commands = await projects.memberCommands(db, projectId, user.id);
  return commands?.includes(`${CATEGORY_OF[type]}.view`) ?? false;
}

/**
 * The people who watch a record now: those who chose to, and its assignee and creator unless
 * they chose not to; only active people who may view the record. The one answer for the
 * record page, notification rules (recipient `watchers`) and reply routing.
 */
export async function watchersOfRecord(db: Executor, recordId: string): Promise<Watcher[]> {
  const record = await findRecordById(db, recordId);
  if (!record) return [];
  const choices = await repo.choicesOn(db, recordId);
  const chose = new Map(choices.map((c) => [c.user_id, c]));
  const out: Watcher[] = [];
  const seen = new Set<string>();
  const consider = async (user: Pick<UserRow, 'id' | 'username' | 'full_name' | 'email' | 'is_admin' | 'disabled'> | undefined, reason: WatchReason) => {
    if (!user || seen.has(user.id)) return;
    seen.add(user.id);
    if (!(await canView(db, record.project_id, record.type as RecordType, user))) return;
    out.push({ userId: user.id, username: user.username, fullName: user.full_name, email: user.email, reason });
  };
  for (const c of choices) if (c.watching === 1) await consider({ id: c.user_id, username: c.username, full_name: c.full_name, email: c.email, is_admin: c.is_admin, disabled: c.disabled }, 'watching');
  for (const [id, reason] of [[record.assignee_id, 'assignee'], [record.creator_id, 'creator']] as const) {
    if (!id || chose.get(id)?.watching === 0) continue;
    await consider(await findUserById(db, id), reason);
  }
  return out;
}

const toPublic = (w: Watcher): PublicWatcher => ({ username: w.username, fullName: w.fullName, reason: w.reason });

export async function listWatchers(db: Db, ctx: ProjectContext, recordId: string): Promise<WatcherList> {
  const record = await getRecord(db, ctx, recordId);
  const watchers = await watchersOfRecord(db, record.id);
  return { watching: watchers.some((w) => w.userId === ctx.access.userId), watchers: watchers.map(toPublic) };
}

/** The person a watch or unwatch is for: oneself with view, someone else with manageWatchers. */
async function subjectOf(db: Db, ctx: ProjectContext, type: RecordType, username: string): Promise<UserRow> {
  const user = await findUserByUsername(db, username);
  if (user?.id === ctx.access.userId) return user;
  requireOnRecordType(ctx.access, type, 'manageWatchers');
  if (!user || !(await canView(db, ctx.project.id, type, user))) {
    throw badRequest('watcher_cannot_view', `"${username}" is not an active member of this project who can see this record, so they cannot watch it.`);
  }
  return user;
}

/** Starts watching (a no-op for someone already watching); the history says who added whom. */
export async function watch(db: Db, ctx: ProjectContext, recordId: string, username: string): Promise<WatcherList> {
  const record = await getRecord(db, ctx, recordId);
  const user = await subjectOf(db, ctx, record.type, username);
  await db.transaction().execute(async (tx) => {
    if ((await watchersOfRecord(tx, record.id)).some((w) => w.userId === user.id)) return;
    await repo.setChoice(tx, { record_id: record.id, user_id: user.id, project_id: ctx.project.id, watching: 1, added_by: ctx.access.userId, created_at: nowIso() });
    await noteOnRecord(tx, { projectId: ctx.project.id, recordId: record.id, actorId: ctx.access.userId, kind: 'watcher.added', changes: [{ field: 'watcher', old: null, new: user.username }] });
  });
  return listWatchers(db, ctx, record.id);
}

/**
 * Stops watching. The assignee and the creator keep a "not watching" choice, so being the
 * assignee does not bring them back; anyone else simply loses their row.
 */
export async function unwatch(db: Db, ctx: ProjectContext, recordId: string, username: string): Promise<WatcherList> {
  const record = await getRecord(db, ctx, recordId);
  const user = await subjectOf(db, ctx, record.type, username);
  await db.transaction().execute(async (tx) => {
    const current = (await watchersOfRecord(tx, record.id)).find((w) => w.userId === user.id);
    if (!current) return;
    const row = await findRecordById(tx, record.id);
    const implicit = row?.assignee_id === user.id || row?.creator_id === user.id;
    if (implicit) await repo.setChoice(tx, { record_id: record.id, user_id: user.id, project_id: ctx.project.id, watching: 0, added_by: ctx.access.userId, created_at: nowIso() });
    else await repo.clearChoice(tx, record.id, user.id);
    await noteOnRecord(tx, { projectId: ctx.project.id, recordId: record.id, actorId: ctx.access.userId, kind: 'watcher.removed', changes: [{ field: 'watcher', old: user.username, new: null }] });
  });
  return listWatchers(db, ctx, record.id);
}
