import type { Selectable } from 'kysely';
import type { Executor } from '../store/db.js';

/** Table of migration 2026_12_02_zzzzzz_i16_links_comments_files: one row per link, read from both ends. */
export type RecordLinksTable = {
  id: string;
  project_id: string;
  from_id: string;
  to_id: string;
  kind: string;
  created_by: string | null;
  created_at: string;
};
export type LinkRow = Selectable<RecordLinksTable>;

const linksDb = (db: Executor) => db.withTables<{ record_links: RecordLinksTable }>();

export async function insertLink(db: Executor, row: RecordLinksTable): Promise<void> {
  await linksDb(db).insertInto('record_links').values(row).execute();
}

export async function findLink(db: Executor, id: string): Promise<LinkRow | undefined> {
  return linksDb(db).selectFrom('record_links').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function deleteLink(db: Executor, id: string): Promise<void> {
  await linksDb(db).deleteFrom('record_links').where('id', '=', id).execute();
}

/** A link between the two records of this kind, in either direction. */
export async function linkBetween(db: Executor, a: string, b: string, kind: string): Promise<LinkRow | undefined> {
  return linksDb(db)
    .selectFrom('record_links')
    .selectAll()
    .where('kind', '=', kind)
    .where((eb) => eb.or([eb.and([eb('from_id', '=', a), eb('to_id', '=', b)]), eb.and([eb('from_id', '=', b), eb('to_id', '=', a)])]))
    .executeTakeFirst();
}

export type LinkWithUser = LinkRow & { created_by_username: string | null };

/** Every link touching the record, oldest first. */
export async function linksOf(db: Executor, recordId: string): Promise<LinkWithUser[]> {
  return linksDb(db)
    .selectFrom('record_links')
    .leftJoin('users', 'users.id', 'record_links.created_by')
    .selectAll('record_links')
    .select('users.username as created_by_username')
    .where((eb) => eb.or([eb('record_links.from_id', '=', recordId), eb('record_links.to_id', '=', recordId)]))
    .orderBy('record_links.created_at')
    .orderBy('record_links.id')
    .execute();
}
