import type { Kysely } from 'kysely';

// Frozen in time: never import app types here.
export async function up(db: Kysely<unknown>): Promise<void> {
  // Every server message id (POP3 UIDL, IMAP "uidvalidity:uid") the poller has taken in, per
  // account. inbound_messages.server_uid holds one id per stored message; this table holds them
  // all, so a message that sits on the server twice (IMAP COPY, a re-delivered duplicate, a new
  // UIDVALIDITY) is still fetched only once and kept-on-server mail is never fetched again.
  // inbound_id is null for a message the poller refused to download (larger than the limit).
  await db.schema
    .createTable('inbound_server_uids')
    .addColumn('account', 'text', (c) => c.notNull())
    .addColumn('server_uid', 'text', (c) => c.notNull())
    .addColumn('inbound_id', 'text')
    .addColumn('note', 'text')
    .addColumn('seen_at', 'text', (c) => c.notNull())
    .addColumn('removed_at', 'text')
    .addPrimaryKeyConstraint('inbound_server_uids_pk', ['account', 'server_uid'])
    .execute();
  await db.schema.createIndex('inbound_server_uids_inbound').on('inbound_server_uids').column('inbound_id').execute();

  // How often processing was tried (a message failing every time is visible as such), and which
  // tracked email the message named even when it was not attached there (deleted email, …).
  await db.schema.alterTable('inbound_messages').addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('inbound_messages').addColumn('target_email_id', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('inbound_server_uids').execute();
  await db.schema.alterTable('inbound_messages').dropColumn('target_email_id').execute();
  await db.schema.alterTable('inbound_messages').dropColumn('attempts').execute();
}
