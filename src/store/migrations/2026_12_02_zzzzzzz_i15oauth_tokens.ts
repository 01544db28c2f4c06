import type { Kysely } from 'kysely';

// Frozen in time: never import app types here.
// OAuth2 sign-in for tracking accounts (issue 15). The client's configuration stays in the
// account's settings document (its secret sealed); what the authorization server hands out
// lives here, one row per account, so a token refresh never rewrites the settings an admin
// edits at the same moment. Pending authorizations are rows too: the callback may reach
// another server process than the one that started the flow.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('oauth_tokens')
    .addColumn('account_id', 'text', (c) => c.primaryKey())
    .addColumn('refresh_token_sealed', 'text')
    .addColumn('access_token_sealed', 'text')
    .addColumn('expires_at', 'text')
    .addColumn('scope', 'text')
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('connected_at', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('oauth_pending')
    .addColumn('state', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('code_verifier_sealed', 'text', (c) => c.notNull())
    .addColumn('redirect_uri', 'text', (c) => c.notNull())
    .addColumn('return_to', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('oauth_pending').execute();
  await db.schema.dropTable('oauth_tokens').execute();
}
