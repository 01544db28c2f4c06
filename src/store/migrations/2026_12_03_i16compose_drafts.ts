import type { Kysely } from 'kysely';

// Frozen in time: never import app types here.
//
// Compose as people expect (issue 16, item 6): Bcc recipients of an email (on the envelope only,
// never in its headers, so they live in a column of their own), and drafts kept on the server per
// record and per user until sent or discarded, with their attachments (bytes in the blob store).
// A draft's id becomes the id of the email it is sent as, so its tracking cookie, and with it the
// subject the recipient sees, is known while it is being written.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('emails').addColumn('bcc_list', 'text', (c) => c.notNull().defaultTo('[]')).execute();

  await db.schema
    .createTable('email_drafts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('record_id', 'text', (c) => c.notNull().references('records.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull()) // new | reply | forward
    .addColumn('parent_email_id', 'text', (c) => c.references('emails.id').onDelete('cascade'))
    .addColumn('to_list', 'text', (c) => c.notNull())
    .addColumn('cc_list', 'text', (c) => c.notNull())
    .addColumn('bcc_list', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('text_body', 'text', (c) => c.notNull())
    .addColumn('template', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('email_drafts_record_user').on('email_drafts').columns(['record_id', 'user_id']).execute();

  await db.schema
    .createTable('email_draft_attachments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('draft_id', 'text', (c) => c.notNull().references('email_drafts.id').onDelete('cascade'))
    .addColumn('filename', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('blob', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('email_draft_attachments_draft').on('email_draft_attachments').column('draft_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('email_draft_attachments').execute();
  await db.schema.dropTable('email_drafts').execute();
  await db.schema.alterTable('emails').dropColumn('bcc_list').execute();
}
