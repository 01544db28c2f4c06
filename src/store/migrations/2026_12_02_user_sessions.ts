import type { Kysely } from 'kysely';

// Frozen in time: never import app types here.
// Users list and revoke their own sessions and tokens: the user agent tells them which is which.
// Expired rows are purged by expiry, which the index keeps from scanning the table.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('api_tokens').addColumn('user_agent', 'text').execute();
  await db.schema.createIndex('api_tokens_expires').on('api_tokens').column('expires_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('api_tokens_expires').execute();
  await db.schema.alterTable('api_tokens').dropColumn('user_agent').execute();
}
