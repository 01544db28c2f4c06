import type { Kysely } from 'kysely';

// Frozen in time: never import app types here.
// Issue 17, email in → records out: per-project import options, import rules, the email
// participants of records, a log of records created from mail (Message-ID dedupe, rate limits)
// and the email that caused a record change (reopen on reply, commands by email).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('project_email_import')
    .addColumn('project_id', 'text', (c) => c.primaryKey().references('projects.id').onDelete('cascade'))
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull()) // lower-case; '' = none
    .addColumn('who_may_create', 'text', (c) => c.notNull()) // anyone | known_users | domains | nobody
    .addColumn('allowed_domains', 'text', (c) => c.notNull()) // JSON array
    .addColumn('max_per_hour', 'integer', (c) => c.notNull())
    .addColumn('forward_to_participants', 'integer', (c) => c.notNull())
    .addColumn('reopen_status', 'text', (c) => c.notNull()) // '' = no reopen on reply
    .addColumn('done_statuses', 'text', (c) => c.notNull()) // JSON array
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('project_email_import_address').on('project_email_import').column('address').execute();

  await db.schema
    .createTable('import_rules')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('match_recipient', 'text', (c) => c.notNull()) // '' = the project's import address
    .addColumn('match_sender_domain', 'text', (c) => c.notNull()) // '' = any
    .addColumn('match_subject', 'text', (c) => c.notNull()) // '' = any; a regular expression
    .addColumn('record_type', 'text', (c) => c.notNull())
    .addColumn('defaults', 'text', (c) => c.notNull()) // JSON {status?, assignee?, priority?, fields?}
    .addColumn('acknowledge', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('import_rules_project').on('import_rules').columns(['project_id', 'position']).execute();

  await db.schema
    .createTable('record_participants')
    .addColumn('record_id', 'text', (c) => c.notNull().references('records.id').onDelete('cascade'))
    .addColumn('address', 'text', (c) => c.notNull()) // lower-case
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull()) // import | reply | manual | command
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('record_participants_pk', ['record_id', 'address'])
    .execute();

  await db.schema
    .createTable('email_imports')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('record_id', 'text', (c) => c.notNull().references('records.id').onDelete('cascade'))
    .addColumn('inbound_id', 'text', (c) => c.notNull())
    .addColumn('sender', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text') // bare, lower-case
    .addColumn('acknowledged', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('email_imports_message_id').on('email_imports').column('message_id').execute();
  await db.schema.createIndex('email_imports_sender').on('email_imports').columns(['sender', 'created_at']).execute();

  await db.schema.alterTable('record_events').addColumn('email_id', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('record_events').dropColumn('email_id').execute();
  await db.schema.dropTable('email_imports').execute();
  await db.schema.dropTable('record_participants').execute();
  await db.schema.dropTable('import_rules').execute();
  await db.schema.dropTable('project_email_import').execute();
}
