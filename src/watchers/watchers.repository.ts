import type { Selectable } from 'kysely';
import type { Executor } from '../store/db.js';

/** Table of migration 2026_12_04_i18_1_watchers: a person's choice to watch a record (1) or not (0). */
export type RecordWatchersTable = {
  record_id: string;
  user_id: string;
  project_id: string;
  watching: number;
  added_by: string | null;
  created_at: string;
};
export type WatcherRow = Selectable<RecordWatchersTable>;

const watchersDb = (db: Executor) => db.withTables<{ record_watchers: RecordWatchersTable }>();

/** Sets a person's choice for a record, whatever it was before (both databases upsert alike). */
export async function setChoice(db: Executor, row: RecordWatchersTable): Promise<void> {
  await watchersDb(db)
    .insertInto('record_watchers')
    .values(row)
    .onConflict((oc) => oc.columns(['record_id', 'user_id']).doUpdateSet({ watching: row.watching, added_by: row.added_by, created_at: row.created_at }))
    .execute();
}

export async function clearChoice(db: Executor, recordId: string, userId: string): Promise<void> {
  await watchersDb(db).deleteFrom('record_watchers').where('record_id', '=', recordId).where('user_id', '=', userId).execute();
}

export type ChoiceWithUser = WatcherRow & { username: string; full_name: string; email: string; disabled: number; is_admin: number };

/** Every choice made on a record, with who made it. */
export async function choicesOn(db: Executor, recordId: string): Promise<ChoiceWithUser[]> {
  return watchersDb(db)
    .selectFrom('record_watchers')
    .innerJoin('users', 'users.id', 'record_watchers.user_id')
    .selectAll('record_watchers')
    .select(['users.username', 'users.full_name', 'users.email', 'users.disabled', 'users.is_admin'])
    .where('record_watchers.record_id', '=', recordId)
    .execute();
}

/** Records a person chose to watch in a project (the assignee's and creator's own come from records). */
export async function watchedBy(db: Executor, projectId: string, userId: string): Promise<{ record_id: string; watching: number }[]> {
  return watchersDb(db)
    .selectFrom('record_watchers')
    .select(['record_id', 'watching'])
    .where('project_id', '=', projectId)
    .where('user_id', '=', userId)
    .execute();
}
