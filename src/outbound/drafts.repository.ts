import type { Selectable } from 'kysely';
import type { Executor } from '../store/db.js';

export type DraftKind = 'new' | 'reply' | 'forward';

/** Tables of migration 2026_12_03_i16compose_drafts. Recipient lists are JSON arrays of strings (addresses or usernames, as typed). */
export interface EmailDraftsTable {
  id: string;
  project_id: string;
  record_id: string;
  user_id: string;
  kind: DraftKind;
  /** The email a reply answers or a forward carries; null for a new email. */
  parent_email_id: string | null;
  to_list: string;
  cc_list: string;
  bcc_list: string;
  subject: string;
  text_body: string;
  template: string | null;
  created_at: string;
  updated_at: string;
}

export interface EmailDraftAttachmentsTable {
  id: string;
  draft_id: string;
  filename: string;
  content_type: string;
  size: number;
  blob: string;
  position: number;
}

export type DraftRow = Selectable<EmailDraftsTable>;
export type DraftAttachmentRow = Selectable<EmailDraftAttachmentsTable>;

const draftsDb = (db: Executor) => db.withTables<{ email_drafts: EmailDraftsTable; email_draft_attachments: EmailDraftAttachmentsTable }>();

export async function insertDraft(db: Executor, row: EmailDraftsTable): Promise<void> {
  await draftsDb(db).insertInto('email_drafts').values(row).execute();
}

export async function updateDraft(db: Executor, id: string, set: Partial<EmailDraftsTable>): Promise<void> {
  await draftsDb(db).updateTable('email_drafts').set(set).where('id', '=', id).execute();
}

export async function deleteDraft(db: Executor, id: string): Promise<void> {
  // Attachment rows go with it (ON DELETE CASCADE); their blobs may be shared, so they stay.
  await draftsDb(db).deleteFrom('email_draft_attachments').where('draft_id', '=', id).execute();
  await draftsDb(db).deleteFrom('email_drafts').where('id', '=', id).execute();
}

/** A draft only its writer can see: anyone else gets nothing, as if it did not exist. */
export async function findOwnDraft(db: Executor, id: string, userId: string): Promise<DraftRow | undefined> {
  return draftsDb(db).selectFrom('email_drafts').selectAll().where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
}

export async function ownDraftsOf(db: Executor, recordId: string, userId: string): Promise<DraftRow[]> {
  return draftsDb(db)
    .selectFrom('email_drafts')
    .selectAll()
    .where('record_id', '=', recordId)
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

export async function draftAttachments(db: Executor, draftIds: string[]): Promise<DraftAttachmentRow[]> {
  if (draftIds.length === 0) return [];
  const rows = await draftsDb(db)
    .selectFrom('email_draft_attachments')
    .selectAll()
    .where('draft_id', 'in', draftIds)
    .orderBy('draft_id')
    .orderBy('position')
    .execute();
  return rows.map((r) => ({ ...r, size: Number(r.size) }));
}

export async function insertDraftAttachment(db: Executor, row: EmailDraftAttachmentsTable): Promise<void> {
  await draftsDb(db).insertInto('email_draft_attachments').values(row).execute();
}

export async function deleteDraftAttachment(db: Executor, draftId: string, id: string): Promise<boolean> {
  const res = await draftsDb(db).deleteFrom('email_draft_attachments').where('draft_id', '=', draftId).where('id', '=', id).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}
