import type { Selectable } from 'kysely';
import type { Executor } from '../../store/db.js';

/**
 * Tables of migration 2026_12_02_zzzzzzz_i15oauth_tokens, typed next to the feature that owns
 * them. `oauthDb(db)` widens a Db or Tx to see them.
 */
export type OAuthTokenState = 'connected' | 'reconnect_needed' | 'not_connected';

export type OAuthTokensTable = {
  account_id: string;
  refresh_token_sealed: string | null;
  access_token_sealed: string | null;
  /** By our clock: the moment we received the token plus its expires_in (never the server's clock). */
  expires_at: string | null;
  scope: string | null;
  state: OAuthTokenState;
  /** Why the last refresh or sign-in failed, in the server's words. */
  error: string | null;
  connected_at: string | null;
  updated_at: string;
};

export type OAuthPendingTable = {
  /** The `state` parameter of the authorization request: random, single use. */
  state: string;
  account_id: string;
  code_verifier_sealed: string;
  redirect_uri: string;
  return_to: string | null;
  created_at: string;
};

export type OAuthTables = { oauth_tokens: OAuthTokensTable; oauth_pending: OAuthPendingTable };
export type OAuthTokenRow = Selectable<OAuthTokensTable>;

export function oauthDb(db: Executor) {
  return db.withTables<OAuthTables>();
}
