import type { Kysely } from 'kysely';

// Frozen in time: never import app types here.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('emails')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('record_id', 'text', (c) => c.notNull().references('records.id').onDelete('cascade'))
    .addColumn('parent_id', 'text')
    .addColumn('direction', 'text', (c) => c.notNull()) // outbound | inbound
    .addColumn('source', 'text', (c) => c.notNull()) // user | rule | reply
    .addColumn('status', 'text', (c) => c.notNull()) // queued | sent | failed | received | forwarded
    .addColumn('error', 'text')
    .addColumn('tracked', 'integer', (c) => c.notNull())
    .addColumn('cookie', 'text')
    .addColumn('message_id', 'text')
    .addColumn('in_reply_to', 'text')
    .addColumn('references', 'text')
    .addColumn('from_name', 'text', (c) => c.notNull())
    .addColumn('from_address', 'text', (c) => c.notNull())
    .addColumn('to_list', 'text', (c) => c.notNull()) // JSON [{name?,address}]
    .addColumn('cc_list', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('text_body', 'text', (c) => c.notNull())
    .addColumn('html_body', 'text')
    .addColumn('reply_text', 'text')
    .addColumn('quoted_text', 'text')
    .addColumn('sender_user_id', 'text')
    .addColumn('forward_to', 'text') // where replies to this email are forwarded
    .addColumn('template', 'text')
    .addColumn('rule_id', 'text')
    .addColumn('raw_blob', 'text')
    .addColumn('flags', 'text', (c) => c.notNull().defaultTo('{}')) // JSON: unexpectedSender, autoReply, bounce…
    .addColumn('date', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('deleted_at', 'text')
    .execute();
  await db.schema.createIndex('emails_record').on('emails').columns(['record_id', 'created_at']).execute();
  await db.schema.createIndex('emails_message_id').on('emails').column('message_id').execute();
  await db.schema.createIndex('emails_parent').on('emails').column('parent_id').execute();

  await db.schema
    .createTable('email_attachments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('email_id', 'text', (c) => c.notNull().references('emails.id').onDelete('cascade'))
    .addColumn('filename', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('blob', 'text', (c) => c.notNull())
    .addColumn('content_id', 'text')
    .addColumn('inline', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('position', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('email_attachments_email').on('email_attachments').column('email_id').execute();

  // Durable outbox: written in the same transaction as the email; workers claim with a lease.
  await db.schema
    .createTable('outbox')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull()) // send | forward
    .addColumn('email_id', 'text', (c) => c.notNull().references('emails.id').onDelete('cascade'))
    .addColumn('forward_to', 'text')
    .addColumn('state', 'text', (c) => c.notNull()) // pending | done | failed
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'text', (c) => c.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'text')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('done_at', 'text')
    .execute();
  await db.schema.createIndex('outbox_due').on('outbox').columns(['state', 'next_attempt_at']).execute();

  // Every message fetched from the tracking account, stored before anything is decided about it.
  await db.schema
    .createTable('inbound_messages')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account', 'text', (c) => c.notNull())
    .addColumn('server_uid', 'text')
    .addColumn('dedupe_key', 'text', (c) => c.notNull().unique())
    .addColumn('message_id', 'text')
    .addColumn('raw_blob', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('from_address', 'text')
    .addColumn('subject', 'text')
    .addColumn('state', 'text', (c) => c.notNull()) // stored | attached | bounce | auto_reply | unmatched | rejected | dismissed
    .addColumn('reason', 'text')
    .addColumn('detail', 'text')
    .addColumn('email_id', 'text')
    .addColumn('project_id', 'text')
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addColumn('processed_at', 'text')
    .addColumn('removed_from_server', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('inbound_account_uid').on('inbound_messages').columns(['account', 'server_uid']).execute();
  await db.schema.createIndex('inbound_state').on('inbound_messages').columns(['state', 'received_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['inbound_messages', 'outbox', 'email_attachments', 'emails']) await db.schema.dropTable(t).execute();
}
