import type { Selectable } from 'kysely';
import type { Executor } from '../store/db.js';

/** Table of migration 2026_12_02_zzzzzz_i16_links_comments_files. Deleted comments keep their row (deleted_at). */
export type RecordCommentsTable = {
  id: string;
  project_id: string;
  record_id: string;
  author_id: string | null;
  body: string;
  /** JSON array of the usernames the comment @mentions (members only), for notifications. */
  mentions: string;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
};
export type CommentRow = Selectable<RecordCommentsTable>;

const commentsDb = (db: Executor) => db.withTables<{ record_comments: RecordCommentsTable }>();

export async function insertComment(db: Executor, row: RecordCommentsTable): Promise<void> {
  await commentsDb(db).insertInto('record_comments').values(row).execute();
}

export async function updateComment(db: Executor, id: string, set: Partial<RecordCommentsTable>): Promise<void> {
  await commentsDb(db).updateTable('record_comments').set(set).where('id', '=', id).execute();
}

export type CommentWithAuthor = CommentRow & { author_username: string | null };

function withAuthor(db: Executor) {
  return commentsDb(db)
    .selectFrom('record_comments')
    .leftJoin('users', 'users.id', 'record_comments.author_id')
    .selectAll('record_comments')
    .select('users.username as author_username');
}

export async function findComment(db: Executor, id: string): Promise<CommentWithAuthor | undefined> {
  return withAuthor(db).where('record_comments.id', '=', id).where('record_comments.deleted_at', 'is', null).executeTakeFirst();
}

export async function commentsOf(db: Executor, recordId: string): Promise<CommentWithAuthor[]> {
  return withAuthor(db)
    .where('record_comments.record_id', '=', recordId)
    .where('record_comments.deleted_at', 'is', null)
    .orderBy('record_comments.created_at')
    .orderBy('record_comments.id')
    .execute();
}
