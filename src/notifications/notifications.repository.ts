import type { Selectable } from 'kysely';
import type { Executor } from '../store/db.js';

/** Table of migration 2026_12_04_zzz_i18_notifications: one thing that happened, for one person. */
export type NotificationsTable = {
  id: string;
  user_id: string;
  project_id: string;
  record_id: string;
  kind: string;
  /** What the notification is about, unique per person: `mention:<commentId>`, `event:<recordEventId>`, … */
  source_key: string;
  actor_id: string | null;
  summary: string;
  /** A longer text for the email (a comment's words, the changed fields). */
  detail: string;
  /** immediate | batch | app, chosen from the person's settings when it was made. */
  delivery: string;
  /** pending (an email is still to go), sent, none (in the app only). */
  email_state: string;
  email_id: string | null;
  created_at: string;
  read_at: string | null;
};
export type NotificationRow = Selectable<NotificationsTable>;

export type NotificationSettingsTable = {
  user_id: string;
  project_id: string;
  /** JSON object: event → delivery. */
  events: string;
  digest_hour: number;
  /** The digest moment last sent (bookkeeping; the pending rows themselves decide what goes). */
  last_digest_at: string | null;
  /** IANA zone of the digest hour; null: the server's (migration 2026_12_05_i18_digests). */
  time_zone: string | null;
  /** JSON object reason → boolean: which of your own doings make you watch; null: all. */
  auto_watch: string | null;
  updated_at: string;
};

export const notificationsDb = (db: Executor) => db.withTables<{ notifications: NotificationsTable; notification_settings: NotificationSettingsTable }>();

/** Inserts unless this person already has a notification of this source; true when it was new. */
export async function insertOnce(db: Executor, row: NotificationsTable): Promise<boolean> {
  const res = await notificationsDb(db)
    .insertInto('notifications')
    .values(row)
    .onConflict((oc) => oc.columns(['user_id', 'source_key']).doNothing())
    .executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function markEmailed(db: Executor, ids: string[], emailId: string | null): Promise<void> {
  if (ids.length === 0) return;
  await notificationsDb(db).updateTable('notifications').set({ email_state: 'sent', email_id: emailId }).where('id', 'in', ids).execute();
}

export async function findSettings(db: Executor, userId: string, projectId: string) {
  return notificationsDb(db)
    .selectFrom('notification_settings')
    .selectAll()
    .where('user_id', '=', userId)
    .where('project_id', '=', projectId)
    .executeTakeFirst();
}

export async function saveSettings(db: Executor, row: NotificationSettingsTable): Promise<void> {
  await notificationsDb(db)
    .insertInto('notification_settings')
    .values(row)
    .onConflict((oc) =>
      oc
        .columns(['user_id', 'project_id'])
        .doUpdateSet({ events: row.events, digest_hour: row.digest_hour, time_zone: row.time_zone, auto_watch: row.auto_watch, updated_at: row.updated_at }),
    )
    .execute();
}
