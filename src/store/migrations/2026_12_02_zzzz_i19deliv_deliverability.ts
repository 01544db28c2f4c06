import type { Kysely } from 'kysely';

// Frozen in time: never import app types here.
// Deliverability (issue 19): the suppression list, and the SPF/DKIM/DMARC verdict of each
// inbound email. DKIM signing keys are a setting (settings table), so they need no table.
export async function up(db: Kysely<unknown>): Promise<void> {
  // One row per address that must not be mailed: lower-cased, so one address has one row on
  // both databases. Lifting an entry deletes it; the bounce or complaint that caused it stays
  // on the record as an email of its own.
  await db.schema
    .createTable('suppressed_addresses')
    .addColumn('address', 'text', (c) => c.primaryKey())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())
    .addColumn('email_id', 'text')
    .addColumn('inbound_email_id', 'text')
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  // JSON {spf, dkim, dmarc, …} written when an inbound message is filed; null for outbound
  // mail and for mail filed before this migration.
  await db.schema.alterTable('emails').addColumn('auth_results', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('emails').dropColumn('auth_results').execute();
  await db.schema.dropTable('suppressed_addresses').execute();
}
