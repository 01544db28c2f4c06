import { open, seal } from '../../crypto/secretBox.js';
import { clock, nowIso } from '../../clock.js';
import { AppError, badRequest } from '../../errors.js';
import type { Executor } from '../../store/db.js';
import { findTrackingAccountRow } from '../../store/trackingAccounts.repository.js';
import { openOAuthConfig, type OAuthConfig, type StoredOAuthConfig } from './config.js';
import { oauthDb, type OAuthTokenRow, type OAuthTokenState } from './oauth.table.js';

/** What the token provider needs of the application (an AppContext will do): the database and MAILTRAIL_SECRET. */
export type TokenContext = { store: { db: Executor }; config: { secret: string } };

export interface AccessToken {
  token: string;
  /** ISO-8601, by our clock. */
  expiresAt: string;
}

/**
 * A token is refreshed this long before it expires, so one handed out is still good for the
 * sign-in (and a Graph call) that follows; a token shorter-lived than twice this is used for
 * half its life.
 */
export const REFRESH_MARGIN_MS = 60_000;
/** When the server says nothing about the lifetime (expires_in is only RECOMMENDED, RFC 6749 §5.1). */
const DEFAULT_LIFETIME_S = 3600;
const TOKEN_TIMEOUT_MS = 15_000;

/** The account's refresh failed for good (revoked, expired, consent withdrawn): an admin must sign in again. */
export class ReconnectNeeded extends AppError {
  constructor(message: string) {
    super('conflict', 'oauth_reconnect_needed', message);
  }
}

/** The OAuth2 client of an account, opened; undefined when the account signs in with a password. */
export async function loadOAuthConfig(db: Executor, secret: string, accountId: string): Promise<OAuthConfig | undefined> {
  const row = await findTrackingAccountRow(db, accountId);
  if (!row) return undefined;
  const s = JSON.parse(row.settings) as { auth?: string; oauth?: StoredOAuthConfig };
  if (s.auth !== 'oauth2' || !s.oauth) return undefined;
  return openOAuthConfig(secret, s.oauth);
}

export async function findTokenRow(db: Executor, accountId: string): Promise<OAuthTokenRow | undefined> {
  return oauthDb(db).selectFrom('oauth_tokens').selectAll().where('account_id', '=', accountId).executeTakeFirst();
}

async function writeTokenRow(db: Executor, accountId: string, fields: Partial<Omit<OAuthTokenRow, 'account_id'>>): Promise<void> {
  const at = nowIso();
  await oauthDb(db)
    .insertInto('oauth_tokens')
    .values({
      account_id: accountId,
      refresh_token_sealed: null,
      access_token_sealed: null,
      expires_at: null,
      scope: null,
      state: 'not_connected',
      error: null,
      connected_at: null,
      ...fields,
      updated_at: at,
    })
    .onConflict((oc) => oc.column('account_id').doUpdateSet({ ...fields, updated_at: at }))
    .execute();
}

/** Forgets every token of the account (the admin disconnected it, or changed its client). */
export async function forgetTokens(db: Executor, accountId: string): Promise<void> {
  await oauthDb(db).deleteFrom('oauth_tokens').where('account_id', '=', accountId).execute();
}

/** An error response of the token endpoint (RFC 6749 §5.2). */
export class TokenEndpointError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string | undefined,
  ) {
    super(`${error}${description ? `: ${description}` : ''} (HTTP ${status})`);
    this.name = 'TokenEndpointError';
  }
  /** The grant or the client is refused for good; retrying the same request cannot succeed. */
  get permanent(): boolean {
    return ['invalid_grant', 'invalid_client', 'unauthorized_client', 'invalid_scope'].includes(this.error);
  }
}

export interface TokenResponse {
  access_token: string;
  token_type?: string;
  expires_in?: number;
  refresh_token?: string;
  scope?: string;
}

/**
 * One request to the token endpoint. The client authenticates in the body
 * (client_secret_post), which Microsoft, Google and most servers accept; a public client
 * (no secret, PKCE only) sends its id alone.
 */
export async function tokenRequest(cfg: OAuthConfig, params: Record<string, string>): Promise<TokenResponse> {
  const body = new URLSearchParams({ ...params, client_id: cfg.clientId });
  if (cfg.clientSecret) body.set('client_secret', cfg.clientSecret);
  let res: Response;
  try {
    res = await fetch(cfg.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body,
      signal: AbortSignal.timeout(TOKEN_TIMEOUT_MS),
    });
  } catch (err) {
    throw new AppError('unavailable', 'oauth_unreachable', `The token endpoint ${cfg.tokenUrl} did not answer: ${(err as Error).message}`);
  }
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // A proxy's HTML error page: reported by status below.
  }
  if (!res.ok || typeof json.access_token !== 'string') {
    if (typeof json.error === 'string') throw new TokenEndpointError(res.status, json.error, typeof json.error_description === 'string' ? json.error_description : undefined);
    throw new AppError('unavailable', 'oauth_bad_response', `The token endpoint answered HTTP ${res.status} without a token.`);
  }
  return json as unknown as TokenResponse;
}

/** Stores a fresh token response; a response without refresh_token keeps the one we have (RFC 6749 §6). */
export async function storeTokens(ctx: TokenContext, accountId: string, r: TokenResponse, connected = false): Promise<AccessToken> {
  const lifetime = typeof r.expires_in === 'number' && r.expires_in > 0 ? r.expires_in : DEFAULT_LIFETIME_S;
  // Our clock at receipt plus the lifetime: a server whose clock is off changes nothing here.
  const expiresAt = new Date(clock().now().getTime() + lifetime * 1000).toISOString();
  const secret = ctx.config.secret;
  await writeTokenRow(ctx.store.db, accountId, {
    access_token_sealed: seal(secret, r.access_token),
    expires_at: expiresAt,
    ...(r.refresh_token ? { refresh_token_sealed: seal(secret, r.refresh_token) } : {}),
    ...(r.scope ? { scope: r.scope } : {}),
    state: 'connected',
    error: null,
    ...(connected ? { connected_at: nowIso() } : {}),
  });
  return { token: r.access_token, expiresAt };
}

async function markState(ctx: TokenContext, accountId: string, state: OAuthTokenState, error: string): Promise<void> {
  // The refresh token stays: a server that was only confused may take it again after a
  // reconnect of the client secret, and an admin can see what was there. Nothing else changes.
  await writeTokenRow(ctx.store.db, accountId, { state, error, access_token_sealed: null, expires_at: null });
}

function fresh(row: OAuthTokenRow | undefined): boolean {
  if (!row?.access_token_sealed || !row.expires_at) return false;
  return Date.parse(row.expires_at) - clock().now().getTime() > REFRESH_MARGIN_MS;
}

async function obtain(ctx: TokenContext, accountId: string, cfg: OAuthConfig, row: OAuthTokenRow | undefined): Promise<AccessToken> {
  const scope = cfg.scopes.join(' ');
  if (cfg.grant === 'app') {
    try {
      return await storeTokens(ctx, accountId, await tokenRequest(cfg, { grant_type: 'client_credentials', ...(scope ? { scope } : {}) }));
    } catch (err) {
      if (err instanceof TokenEndpointError && err.permanent) {
        await markState(ctx, accountId, 'reconnect_needed', err.message);
        throw new ReconnectNeeded(`The app-only sign-in was refused: ${err.message}. Check the client id, secret and permissions.`);
      }
      throw err;
    }
  }
  if (!row?.refresh_token_sealed) {
    throw new ReconnectNeeded('This account is not connected: an admin must click Connect and sign in.');
  }
  const refreshSealed = row.refresh_token_sealed;
  const refresh = (sealed: string) => tokenRequest(cfg, { grant_type: 'refresh_token', refresh_token: open(ctx.config.secret, sealed) });
  try {
    return await storeTokens(ctx, accountId, await refresh(refreshSealed));
  } catch (err) {
    if (!(err instanceof TokenEndpointError && err.permanent)) throw err;
    let refused: Error = err;
    // Another server process may have rotated the refresh token a moment ago (servers that
    // rotate revoke the old one): try once with the one it stored before giving up.
    const now = await findTokenRow(ctx.store.db, accountId);
    if (now?.refresh_token_sealed && now.refresh_token_sealed !== refreshSealed) {
      if (fresh(now)) return { token: open(ctx.config.secret, now.access_token_sealed!), expiresAt: now.expires_at! };
      try {
        return await storeTokens(ctx, accountId, await refresh(now.refresh_token_sealed));
      } catch (again) {
        if (!(again instanceof TokenEndpointError && again.permanent)) throw again;
        refused = again;
      }
    }
    const message = refused.message;
    await markState(ctx, accountId, 'reconnect_needed', message);
    throw new ReconnectNeeded(`The sign-in of this account has expired or was revoked (${message}): an admin must click Reconnect.`);
  }
}

/** One refresh per account at a time in this process; callers that arrive meanwhile share it. */
const inFlight = new Map<string, Promise<AccessToken>>();

/**
 * A valid access token for the account's OAuth2 sign-in: the stored one while it has more than
 * REFRESH_MARGIN_MS left, otherwise a new one (refresh token, or client credentials for
 * app-only accounts). `forceRefresh` is for a server that refused a token we thought valid
 * (revoked early, clocks apart): callers retry their sign-in once with what it returns.
 * Throws ReconnectNeeded (and records the state) when only an admin can fix it; transient
 * failures (server down) throw AppError 'unavailable' and change nothing.
 */
export async function getAccessToken(ctx: TokenContext, accountId: string, opts: { forceRefresh?: boolean } = {}): Promise<AccessToken> {
  const cfg = await loadOAuthConfig(ctx.store.db, ctx.config.secret, accountId);
  if (!cfg) throw badRequest('oauth_not_configured', `The account "${accountId}" does not sign in with OAuth2.`);
  const row = await findTokenRow(ctx.store.db, accountId);
  if (!opts.forceRefresh && fresh(row)) return { token: open(ctx.config.secret, row!.access_token_sealed!), expiresAt: row!.expires_at! };
  const running = inFlight.get(accountId);
  if (running) return running;
  const p = obtain(ctx, accountId, cfg, row).finally(() => inFlight.delete(accountId));
  inFlight.set(accountId, p);
  return p;
}

/** What the admin pages show of an account's sign-in: never a token. */
export interface OAuthStatus {
  state: OAuthTokenState;
  /** Expiry of the access token we hold, by our clock. */
  tokenExpiresAt: string | null;
  hasRefreshToken: boolean;
  scope: string | null;
  error: string | null;
  connectedAt: string | null;
}

export async function oauthStatus(db: Executor, accountId: string): Promise<OAuthStatus> {
  const row = await findTokenRow(db, accountId);
  return {
    state: row?.state ?? 'not_connected',
    tokenExpiresAt: row?.expires_at ?? null,
    hasRefreshToken: Boolean(row?.refresh_token_sealed),
    scope: row?.scope ?? null,
    error: row?.error ?? null,
    connectedAt: row?.connected_at ?? null,
  };
}

/**
 * What a mail client needs to sign in with the account's token: the token, and a way to get a
 * new one when the server refused it (callers retry their sign-in once with it).
 */
export interface BearerAuth {
  mechanism: 'xoauth2' | 'oauthbearer';
  token(opts?: { forceRefresh?: boolean }): Promise<string>;
}

export function bearerFor(ctx: TokenContext, accountId: string, mechanism: BearerAuth['mechanism']): BearerAuth {
  return { mechanism, token: async (opts) => (await getAccessToken(ctx, accountId, opts)).token };
}
