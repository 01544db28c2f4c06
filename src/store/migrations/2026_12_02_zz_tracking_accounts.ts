import type { Kysely } from 'kysely';

// Frozen in time: never import app types here.
// Several tracking mailboxes. The one account of before (settings "email.tracking" and its poll
// status) becomes the row with id 'default', which always exists; projects without an account
// of their own use it. An account's settings stay one JSON document (secrets sealed inside),
// as they were in the settings table, so the API of the single account maps onto it unchanged.

/** The two tables as this migration reads and writes them (frozen: later changes do not apply). */
interface Tables {
  settings: { key: string; value: string; updated_at: string };
  tracking_accounts: { id: string; name: string; settings: string; status: string | null; created_at: string; updated_at: string };
}

export async function up(unknownDb: Kysely<unknown>): Promise<void> {
  const db = unknownDb as Kysely<Tables>;
  await db.schema
    .createTable('tracking_accounts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('settings', 'text', (c) => c.notNull())
    .addColumn('status', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.alterTable('projects').addColumn('tracking_account_id', 'text').execute();

  const read = async (key: string): Promise<string | undefined> =>
    (await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst())?.value;
  const settings = (await read('email.tracking')) ?? '{}';
  const status = (await read('email.tracking.status')) ?? null;
  const at = new Date().toISOString();
  await db.insertInto('tracking_accounts').values({ id: 'default', name: 'Default', settings, status, created_at: at, updated_at: at }).execute();
  await db.deleteFrom('settings').where('key', 'in', ['email.tracking', 'email.tracking.status']).execute();
}

export async function down(unknownDb: Kysely<unknown>): Promise<void> {
  const db = unknownDb as Kysely<Tables>;
  const row = await db.selectFrom('tracking_accounts').selectAll().where('id', '=', 'default').executeTakeFirst();
  const at = new Date().toISOString();
  if (row) {
    await db.insertInto('settings').values({ key: 'email.tracking', value: row.settings, updated_at: at }).execute();
    if (row.status) await db.insertInto('settings').values({ key: 'email.tracking.status', value: row.status, updated_at: at }).execute();
  }
  await db.schema.alterTable('projects').dropColumn('tracking_account_id').execute();
  await db.schema.dropTable('tracking_accounts').execute();
}
