import type { Executor } from './db.js';
import type { EmailAttachmentRow, EmailRow, EmailsTable } from './schema.js';

export async function insertEmail(db: Executor, row: EmailsTable): Promise<void> {
  await db.insertInto('emails').values(row).execute();
}

export async function insertAttachments(db: Executor, rows: EmailAttachmentRow[]): Promise<void> {
  if (rows.length > 0) await db.insertInto('email_attachments').values(rows).execute();
}

export async function findEmail(db: Executor, id: string): Promise<EmailRow | undefined> {
  return db.selectFrom('emails').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function updateEmail(db: Executor, id: string, update: Partial<EmailsTable>): Promise<void> {
  await db.updateTable('emails').set(update).where('id', '=', id).execute();
}

export async function listRecordEmails(db: Executor, recordId: string, opts: { withDeleted?: boolean } = {}): Promise<EmailRow[]> {
  let q = db.selectFrom('emails').selectAll().where('record_id', '=', recordId);
  if (!opts.withDeleted) q = q.where('deleted_at', 'is', null);
  return q.orderBy('created_at').orderBy('id').execute();
}

/** Attachments of many emails; ids go in chunks so huge threads stay under the databases' parameter limits. */
export async function listAttachments(db: Executor, emailIds: string[]): Promise<EmailAttachmentRow[]> {
  const out: EmailAttachmentRow[] = [];
  for (let i = 0; i < emailIds.length; i += 1000) {
    const rows = await db
      .selectFrom('email_attachments')
      .selectAll()
      .where('email_id', 'in', emailIds.slice(i, i + 1000))
      .orderBy('email_id')
      .orderBy('position')
      .execute();
    for (const r of rows) out.push({ ...r, size: Number(r.size) });
  }
  return out;
}

export async function findAttachment(db: Executor, emailId: string, id: string): Promise<EmailAttachmentRow | undefined> {
  const row = await db.selectFrom('email_attachments').selectAll().where('email_id', '=', emailId).where('id', '=', id).executeTakeFirst();
  return row ? { ...row, size: Number(row.size) } : undefined;
}
