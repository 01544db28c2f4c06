import { createHash, randomBytes } from 'node:crypto';
import { open, seal } from '../../crypto/secretBox.js';
import { clock, nowIso } from '../../clock.js';
import { badRequest } from '../../errors.js';
import { oauthDb } from './oauth.table.js';
import { loadOAuthConfig, storeTokens, tokenRequest, TokenEndpointError, type TokenContext } from './tokens.js';

/** How long an admin has between clicking Connect and coming back from the provider. */
const PENDING_MS = 15 * 60_000;

/**
 * Starts the authorization-code flow with PKCE (RFC 7636, S256) for a delegated account:
 * returns the provider's URL to send the admin's browser to. The verifier is kept sealed in
 * the database under a random `state`, so the callback may reach any server process.
 */
export async function startAuthorization(ctx: TokenContext, accountId: string, redirectUri: string, returnTo?: string): Promise<string> {
  const cfg = await loadOAuthConfig(ctx.store.db, ctx.config.secret, accountId);
  if (!cfg) throw badRequest('oauth_not_configured', 'Save the account with OAuth2 sign-in first.');
  if (cfg.grant !== 'delegated') throw badRequest('oauth_app_only', 'App-only accounts sign in with client credentials; there is nothing to connect.');
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(24).toString('base64url');
  const odb = oauthDb(ctx.store.db);
  await odb
    .deleteFrom('oauth_pending')
    .where('created_at', '<', new Date(clock().now().getTime() - PENDING_MS).toISOString())
    .execute();
  await odb
    .insertInto('oauth_pending')
    .values({
      state,
      account_id: accountId,
      code_verifier_sealed: seal(ctx.config.secret, verifier),
      redirect_uri: redirectUri,
      return_to: returnTo ?? null,
      created_at: nowIso(),
    })
    .execute();
  const url = new URL(cfg.authorizationUrl);
  const params: Record<string, string> = {
    ...(cfg.authorizationParams ?? {}),
    response_type: 'code',
    client_id: cfg.clientId,
    redirect_uri: redirectUri,
    scope: cfg.scopes.join(' '),
    state,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.toString();
}

/**
 * The provider's redirect back: exchanges the code (with the verifier) for tokens and stores
 * them. The pending row is deleted first, so a replayed callback finds nothing.
 */
export async function completeAuthorization(
  ctx: TokenContext,
  q: { state?: string; code?: string; error?: string; error_description?: string },
): Promise<{ accountId: string; returnTo: string | null }> {
  if (!q.state) throw badRequest('oauth_state_missing', 'The sign-in came back without its state parameter.');
  const odb = oauthDb(ctx.store.db);
  const pending = await odb.selectFrom('oauth_pending').selectAll().where('state', '=', q.state).executeTakeFirst();
  if (!pending) throw badRequest('oauth_state_unknown', 'This sign-in is unknown or was already used: click Connect again.');
  await odb.deleteFrom('oauth_pending').where('state', '=', q.state).execute();
  if (Date.parse(pending.created_at) < clock().now().getTime() - PENDING_MS)
    throw badRequest('oauth_state_expired', 'This sign-in took too long: click Connect again.');
  if (q.error) throw badRequest('oauth_denied', `The provider refused the sign-in: ${q.error}${q.error_description ? ` (${q.error_description})` : ''}.`);
  if (!q.code) throw badRequest('oauth_code_missing', 'The sign-in came back without a code.');
  const cfg = await loadOAuthConfig(ctx.store.db, ctx.config.secret, pending.account_id);
  if (!cfg) throw badRequest('oauth_not_configured', 'The account no longer signs in with OAuth2.');
  try {
    const tokens = await tokenRequest(cfg, {
      grant_type: 'authorization_code',
      code: q.code,
      redirect_uri: pending.redirect_uri,
      code_verifier: open(ctx.config.secret, pending.code_verifier_sealed),
    });
    if (!tokens.refresh_token) {
      // Without one the account would stop working within the hour, silently.
      throw badRequest('oauth_no_refresh_token', 'The provider granted no refresh token: add the offline_access scope (Google: access_type=offline).');
    }
    await storeTokens(ctx, pending.account_id, tokens, true);
  } catch (err) {
    if (err instanceof TokenEndpointError) throw badRequest('oauth_code_refused', `The provider refused the code: ${err.message}.`);
    throw err;
  }
  return { accountId: pending.account_id, returnTo: pending.return_to };
}
