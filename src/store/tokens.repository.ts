import type { Executor } from './db.js';
import type { ApiTokensTable } from './schema.js';

export async function insertToken(db: Executor, row: ApiTokensTable): Promise<void> {
  await db.insertInto('api_tokens').values(row).execute();
}

export async function findToken(db: Executor, tokenHash: string): Promise<ApiTokensTable | undefined> {
  return db.selectFrom('api_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
}

export async function touchToken(db: Executor, tokenHash: string, at: string): Promise<void> {
  await db.updateTable('api_tokens').set({ last_used_at: at }).where('token_hash', '=', tokenHash).execute();
}

export async function deleteToken(db: Executor, tokenHash: string): Promise<void> {
  await db.deleteFrom('api_tokens').where('token_hash', '=', tokenHash).execute();
}

export async function deleteExpiredTokens(db: Executor, now: string): Promise<number> {
  const res = await db.deleteFrom('api_tokens').where('expires_at', '<', now).executeTakeFirst();
  return Number(res.numDeletedRows);
}

/** Ends every session and token of a user, except `keep` (the one making the request) when given. */
export async function deleteTokensOfUser(db: Executor, userId: string, keep?: string): Promise<number> {
  let q = db.deleteFrom('api_tokens').where('user_id', '=', userId);
  if (keep !== undefined) q = q.where('token_hash', '<>', keep);
  const res = await q.executeTakeFirst();
  return Number(res.numDeletedRows);
}

export async function listTokensOfUser(db: Executor, userId: string, now: string): Promise<ApiTokensTable[]> {
  return db.selectFrom('api_tokens').selectAll().where('user_id', '=', userId).where('expires_at', '>=', now).orderBy('created_at', 'desc').execute();
}

export async function tokensOfUser(db: Executor, userId: string): Promise<ApiTokensTable[]> {
  return db.selectFrom('api_tokens').selectAll().where('user_id', '=', userId).execute();
}
