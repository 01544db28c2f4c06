import { createHash, randomBytes } from 'node:crypto';
import { clock, nowIso } from '../clock.js';
import type { Executor } from '../store/db.js';
import * as tokens from '../store/tokens.repository.js';
import { findUserById } from '../store/users.repository.js';
import type { Caller } from './context.js';

const API_TOKEN_DAYS = 30;
const SESSION_DAYS = 7;

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

export interface IssuedToken {
  token: string;
  csrfToken: string | null;
  expiresAt: string;
}

/** Tokens are random and stored only as hashes: a leaked database does not leak sessions. */
export async function issueToken(db: Executor, userId: string, kind: 'api' | 'session'): Promise<IssuedToken> {
  const token = randomBytes(32).toString('base64url');
  const csrfToken = kind === 'session' ? randomBytes(24).toString('base64url') : null;
  const now = clock().now();
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
  });
  return { token, csrfToken, expiresAt };
}

export interface ResolvedToken {
  caller: Caller;
  kind: 'api' | 'session';
  csrfToken: string | null;
}

export async function resolveToken(db: Executor, token: string): Promise<ResolvedToken | undefined> {
  const row = await tokens.findToken(db, sha256(token));
  const now = nowIso();
  if (!row || row.expires_at < now) return undefined;
  const user = await findUserById(db, row.user_id);
  if (!user || user.disabled === 1) return undefined;
  // Writing last_used_at on every request would make reads write; once a minute is enough.
  if (Date.parse(now) - Date.parse(row.last_used_at) > 60_000) await tokens.touchToken(db, row.token_hash, now);
  return {
    caller: { userId: user.id, username: user.username, isAdmin: user.is_admin === 1 },
    kind: row.kind,
    csrfToken: row.csrf_token,
  };
}

export async function revokeToken(db: Executor, token: string): Promise<void> {
  await tokens.deleteToken(db, sha256(token));
}
