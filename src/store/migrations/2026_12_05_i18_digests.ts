import type { Kysely } from 'kysely';

// Frozen in time: never import app types here.
//
// The daily digest (issue 18, item 5). notification_settings gains the person's time zone for
// the digest hour (projects keep none; null is the server's zone) and which of their own doings
// make them watch a record (JSON; null: all of them, the default). digest_sections ties the one
// digest email a person receives to the tracked email of each record section inside it, so a
// reply to the digest as a whole can be filed on the one record it is about.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('notification_settings').addColumn('time_zone', 'text').execute();
  await db.schema.alterTable('notification_settings').addColumn('auto_watch', 'text').execute();
  await db.schema
    .createTable('digest_sections')
    .addColumn('digest_email_id', 'text', (c) => c.notNull().references('emails.id').onDelete('cascade'))
    .addColumn('section_email_id', 'text', (c) => c.notNull().references('emails.id').onDelete('cascade'))
    .addColumn('record_id', 'text', (c) => c.notNull().references('records.id').onDelete('cascade'))
    .addColumn('record_tag', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('digest_sections_pk', ['digest_email_id', 'section_email_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('digest_sections').execute();
  await db.schema.alterTable('notification_settings').dropColumn('auto_watch').execute();
  await db.schema.alterTable('notification_settings').dropColumn('time_zone').execute();
}
