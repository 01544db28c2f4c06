import { nowIso } from '../clock.js';
import type { Caller } from '../core/context.js';
import { canOnRecordType } from '../domain/access.js';
import { recordTag, type RecordType } from '../domain/commands.js';
import type { PublicRecord } from '../domain/record.js';
import type { ProjectContext } from '../projects/index.js';
import { listRecords, toPublicRecords } from '../records/index.js';
import type { Db } from '../store/db.js';
import { listProjects } from '../store/projects.repository.js';
import { findRecordById, type RecordWithNames } from '../store/records.repository.js';
import { notificationsDb } from './notifications.repository.js';
import * as repo from './notifications.repository.js';
import { checkSettings, serverTimeZone, settingsFrom, type NotificationSettings, type SettingsInput } from './prefs.js';

export interface PublicNotification {
  id: string;
  kind: string;
  summary: string;
  detail: string;
  projectKey: string;
  record: { id: string; tag: string; title: string };
  actor: string | null;
  createdAt: string;
  readAt: string | null;
}

export interface Inbox {
  unread: number;
  notifications: PublicNotification[];
}

/** The projects whose notifications a caller may still read (a member leaves, their old rows go quiet). */
async function readableProjects(db: Db, caller: Caller): Promise<Map<string, string>> {
  return new Map((await listProjects(db, caller.isAdmin ? undefined : caller.userId)).map((p) => [p.id, p.key]));
}

/** The bell: how many unread, across the caller's projects. */
export async function unreadCount(db: Db, caller: Caller): Promise<number> {
  const projects = [...(await readableProjects(db, caller)).keys()];
  const row = await notificationsDb(db)
    .selectFrom('notifications')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('user_id', '=', caller.userId)
    .where('project_id', 'in', projects.length ? projects : ['-'])
    .where('read_at', 'is', null)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** The caller's notifications, newest first; `projectKey` narrows to one project. */
export async function inbox(db: Db, caller: Caller, opts: { limit?: number; unreadOnly?: boolean; projectKey?: string } = {}): Promise<Inbox> {
  const keys = await readableProjects(db, caller);
  const ids = [...keys.entries()].filter(([, k]) => !opts.projectKey || k === opts.projectKey).map(([id]) => id);
  let q = notificationsDb(db)
    .selectFrom('notifications')
    .innerJoin('records', 'records.id', 'notifications.record_id')
    .leftJoin('users', 'users.id', 'notifications.actor_id')
    .selectAll('notifications')
    .select(['records.type as record_type', 'records.number as record_number', 'records.title as record_title', 'users.username as actor_username'])
    .where('notifications.user_id', '=', caller.userId)
    .where('notifications.project_id', 'in', ids.length ? ids : ['-']);
  if (opts.unreadOnly) q = q.where('notifications.read_at', 'is', null);
  const rows = await q
    .orderBy('notifications.created_at', 'desc')
    .orderBy('notifications.id', 'desc')
    .limit(Math.min(opts.limit ?? 50, 200))
    .execute();
  return {
    unread: await unreadCount(db, caller),
    notifications: rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      summary: r.summary,
      detail: r.detail,
      projectKey: keys.get(r.project_id)!,
      record: { id: r.record_id, tag: recordTag(keys.get(r.project_id)!, r.record_type as RecordType, r.record_number), title: r.record_title },
      actor: r.actor_username ?? null,
      createdAt: r.created_at,
      readAt: r.read_at,
    })),
  };
}

/** Marks the given notifications (none given: all of them) read; answers the new unread count. */
export async function markRead(db: Db, caller: Caller, ids: string[] | undefined): Promise<number> {
  let q = notificationsDb(db).updateTable('notifications').set({ read_at: nowIso() }).where('user_id', '=', caller.userId).where('read_at', 'is', null);
  if (ids) q = q.where('id', 'in', ids.length ? ids : ['-']);
  await q.execute();
  return unreadCount(db, caller);
}

export type PublicSettings = NotificationSettings & { serverTimeZone: string };

export async function getSettings(db: Db, ctx: ProjectContext): Promise<PublicSettings> {
  return { ...settingsFrom(await repo.findSettings(db, ctx.access.userId, ctx.project.id)), serverTimeZone: serverTimeZone() };
}

export async function putSettings(db: Db, ctx: ProjectContext, input: SettingsInput): Promise<PublicSettings> {
  const stored = await repo.findSettings(db, ctx.access.userId, ctx.project.id);
  const next = checkSettings(input, settingsFrom(stored));
  await repo.saveSettings(db, {
    user_id: ctx.access.userId,
    project_id: ctx.project.id,
    events: JSON.stringify(next.events),
    digest_hour: next.digestHour,
    time_zone: next.timeZone,
    auto_watch: JSON.stringify(next.autoWatch),
    last_digest_at: stored?.last_digest_at ?? null,
    updated_at: nowIso(),
  });
  return { ...next, serverTimeZone: serverTimeZone() };
}

export interface MyWork {
  /** Open records assigned to the caller. */
  assigned: PublicRecord[];
  /** Records the caller watches (chosen, or as assignee or creator), most recently changed first. */
  watching: PublicRecord[];
  /** Where the caller was @mentioned, newest first. */
  mentioned: PublicNotification[];
  /** Unread notifications of this project. */
  unread: number;
}

/** The caller's page of a project: what is theirs to do, what they follow, where they were asked. */
export async function myWork(db: Db, ctx: ProjectContext, caller: Caller): Promise<MyWork> {
  const assigned = await listRecords(db, ctx, { assignee: caller.username, category: 'notDone', sort: 'updatedAt', order: 'desc', limit: 100 });
  const chose = await notificationsDb(db)
    .withTables<{ record_watchers: { record_id: string; user_id: string; project_id: string; watching: number } }>()
    .selectFrom('record_watchers')
    .select(['record_id', 'watching'])
    .where('project_id', '=', ctx.project.id)
    .where('user_id', '=', caller.userId)
    .execute();
  const optedOut = new Set(chose.filter((c) => c.watching === 0).map((c) => c.record_id));
  const own = await db
    .selectFrom('records')
    .select('id')
    .where('project_id', '=', ctx.project.id)
    .where((eb) => eb.or([eb('creator_id', '=', caller.userId), eb('assignee_id', '=', caller.userId)]))
    .orderBy('updated_at', 'desc')
    .limit(200)
    .execute();
  const ids = [...new Set([...chose.filter((c) => c.watching === 1).map((c) => c.record_id), ...own.map((r) => r.id).filter((id) => !optedOut.has(id))])];
  const rows: RecordWithNames[] = [];
  for (const id of ids) {
    const row = await findRecordById(db, id);
    if (row && canOnRecordType(ctx.access, row.type as RecordType, 'view')) rows.push(row);
  }
  rows.sort((a, b) => (a.updated_at < b.updated_at ? 1 : a.updated_at > b.updated_at ? -1 : 0));
  const watching = await toPublicRecords(db, ctx.project, rows.slice(0, 100));
  const all = await inbox(db, caller, { limit: 200, projectKey: ctx.project.key });
  return {
    assigned,
    watching,
    mentioned: all.notifications.filter((n) => n.kind === 'mentioned').slice(0, 50),
    unread: all.notifications.filter((n) => n.readAt === null).length,
  };
}
