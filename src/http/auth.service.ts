import { createHash, randomBytes } from 'node:crypto';
import { clock, nowIso } from '../clock.js';
import type { Executor } from '../store/db.js';
import * as tokens from '../store/tokens.repository.js';
import { findUserById } from '../store/users.repository.js';
import type { Caller } from '../core/context.js';

const API_TOKEN_DAYS = 30;
const SESSION_DAYS = 7;
/** Purging expired rows runs with sign-ins, at most this often per process. */
const PURGE_EVERY_MS = 60_000;
/** Public token ids are this many hex characters of the stored hash: enough to name one, useless to sign in. */
const TOKEN_ID_CHARS = 16;

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

export interface IssuedToken {
  token: string;
  csrfToken: string | null;
  expiresAt: string;
}

/** Per database (a process may hold several, tests do): when expired rows were last purged. */
const lastPurge = new WeakMap<object, number>();

/** Deletes expired sessions and tokens; returns how many. */
export async function purgeExpiredTokens(db: Executor): Promise<number> {
  lastPurge.set(db, clock().now().getTime());
  return tokens.deleteExpiredTokens(db, nowIso());
}

/** Tokens are random and stored only as hashes: a leaked database does not leak sessions. */
export async function issueToken(
  db: Executor,
  userId: string,
  kind: 'api' | 'session',
  opts: { userAgent?: string; name?: string } = {},
): Promise<IssuedToken & { id: string }> {
  const token = randomBytes(32).toString('base64url');
  const csrfToken = kind === 'session' ? randomBytes(24).toString('base64url') : null;
  const now = clock().now();
  if (Math.abs(now.getTime() - (lastPurge.get(db) ?? 0)) > PURGE_EVERY_MS) await purgeExpiredTokens(db);
  const days = kind === 'api' ? API_TOKEN_DAYS : SESSION_DAYS;
  const expiresAt = new Date(now.getTime() + days * 86_400_000).toISOString();
  await tokens.insertToken(db, {
    token_hash: sha256(token),
    user_id: userId,
    kind,
    csrf_token: csrfToken,
    created_at: now.toISOString(),
    expires_at: expiresAt,
    last_used_at: now.toISOString(),
    user_agent: opts.userAgent ? opts.userAgent.slice(0, 200) : null,
    name: opts.name ?? null,
  });
  return { token, csrfToken, expiresAt, id: tokenId(sha256(token)) };
}

export interface ResolvedToken {
  caller: Caller;
  kind: 'api' | 'session';
  csrfToken: string | null;
  /** The stored hash: lets the request end its own session or keep it while ending the others. */
  tokenHash: string;
}

export async function resolveToken(db: Executor, token: string): Promise<ResolvedToken | undefined> {
  const hash = sha256(token);
  const row = await tokens.findToken(db, hash);
  const now = nowIso();
  if (!row) return undefined;
  if (row.expires_at < now) {
    await tokens.deleteToken(db, hash);
    return undefined;
  }
  const user = await findUserById(db, row.user_id);
  if (!user || user.disabled === 1) return undefined;
  // Writing last_used_at on every request would make reads write; once a minute is enough.
  if (Date.parse(now) - Date.parse(row.last_used_at) > 60_000) await tokens.touchToken(db, row.token_hash, now);
  return {
    caller: { userId: user.id, username: user.username, isAdmin: user.is_admin === 1 },
    kind: row.kind,
    csrfToken: row.csrf_token,
    tokenHash: row.token_hash,
  };
}

export async function revokeToken(db: Executor, token: string): Promise<void> {
  await tokens.deleteToken(db, sha256(token));
}

export async function revokeTokenHash(db: Executor, tokenHash: string): Promise<void> {
  await tokens.deleteToken(db, tokenHash);
}

/** Ends every session and API token of the user (but `keepHash`, the caller's own, when given). */
export async function endSessions(db: Executor, userId: string, keepHash?: string): Promise<number> {
  return tokens.deleteTokensOfUser(db, userId, keepHash);
}

export interface SessionInfo {
  id: string;
  kind: 'api' | 'session';
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  userAgent: string | null;
  name: string | null;
  current: boolean;
}

export function tokenId(tokenHash: string): string {
  return tokenHash.slice(0, TOKEN_ID_CHARS);
}

export async function listSessions(db: Executor, userId: string, currentHash: string | undefined): Promise<SessionInfo[]> {
  const rows = await tokens.listTokensOfUser(db, userId, nowIso());
  return rows.map((r) => ({
    id: tokenId(r.token_hash),
    kind: r.kind,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    expiresAt: r.expires_at,
    userAgent: r.user_agent,
    name: r.name,
    current: r.token_hash === currentHash,
  }));
}

/** Revokes one of the user's own sessions or tokens by its public id; false when there is none. */
export async function revokeSession(db: Executor, userId: string, id: string): Promise<boolean> {
  const match = (await tokens.tokensOfUser(db, userId)).find((r) => tokenId(r.token_hash) === id);
  if (!match) return false;
  await tokens.deleteToken(db, match.token_hash);
  return true;
}
