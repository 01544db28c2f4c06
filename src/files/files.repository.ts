import type { Selectable } from 'kysely';
import type { Executor } from '../store/db.js';

/** Table of migration 2026_12_02_zzzzzz_i16_links_comments_files. The bytes live in the blob store, by SHA-256. */
export type RecordFilesTable = {
  id: string;
  project_id: string;
  record_id: string;
  filename: string;
  content_type: string;
  size: number;
  blob: string;
  uploaded_by: string | null;
  created_at: string;
  deleted_at: string | null;
};
export type FileRow = Selectable<RecordFilesTable>;
export type FileWithUploader = FileRow & { uploaded_by_username: string | null };

const filesDb = (db: Executor) => db.withTables<{ record_files: RecordFilesTable }>();

export async function insertFile(db: Executor, row: RecordFilesTable): Promise<void> {
  await filesDb(db).insertInto('record_files').values(row).execute();
}

export async function markDeleted(db: Executor, id: string, at: string): Promise<void> {
  await filesDb(db).updateTable('record_files').set({ deleted_at: at }).where('id', '=', id).execute();
}

function withUploader(db: Executor) {
  return filesDb(db)
    .selectFrom('record_files')
    .leftJoin('users', 'users.id', 'record_files.uploaded_by')
    .selectAll('record_files')
    .select('users.username as uploaded_by_username')
    .where('record_files.deleted_at', 'is', null);
}

export async function findFile(db: Executor, projectId: string, id: string): Promise<FileWithUploader | undefined> {
  return withUploader(db).where('record_files.project_id', '=', projectId).where('record_files.id', '=', id).executeTakeFirst();
}

export async function filesOf(db: Executor, recordId: string): Promise<FileWithUploader[]> {
  return withUploader(db).where('record_files.record_id', '=', recordId).orderBy('record_files.created_at').orderBy('record_files.id').execute();
}
