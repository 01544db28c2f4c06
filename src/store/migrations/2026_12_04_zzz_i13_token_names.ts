import type { Kysely } from 'kysely';

// Frozen in time: never import app types here.
// API tokens a user creates by hand carry the name they gave it ("CI deploy"), so the list of
// sessions and tokens says which script each one is for; sign-ins leave it empty.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('api_tokens').addColumn('name', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('api_tokens').dropColumn('name').execute();
}
