/**
 * The OAuth2 token provider against a real authorization server (oidc-provider, port 0):
 * authorization code + PKCE through its login and consent pages, refresh before expiry with
 * rotation, client credentials, a revoked refresh token leaving the account "reconnect
 * needed" with its settings intact, and our clock far off the server's changing nothing.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setClock } from '../../src/clock.js';
import { completeAuthorization, startAuthorization } from '../../src/mailboxes/oauth/flow.js';
import { getAccessToken, oauthStatus, ReconnectNeeded, type TokenContext } from '../../src/mailboxes/oauth/tokens.js';
import { seal } from '../../src/crypto/secretBox.js';
import { findTrackingAccountRow, setTrackingSettings } from '../../src/store/trackingAccounts.repository.js';
import { signIn, startAuthServer } from '../support/authServer.js';
import { STORE_KINDS, freshStore, requirePostgres } from '../support/stores.js';

const SECRET = 'test-secret-for-oauth-tokens';
const REDIRECT = 'http://127.0.0.1:1/api/oauth/callback';

async function introspect(issuer: string, token: string): Promise<{ active: boolean; email?: string }> {
  const res = await fetch(`${issuer}/token/introspection`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from('dovecot:dovecot-introspection-secret').toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ token }),
  });
  return (await res.json()) as { active: boolean; email?: string };
}

for (const kind of STORE_KINDS) {
  describe(`OAuth2 tokens on ${kind}`, { timeout: 60_000 }, () => {
    test('delegated: connect with PKCE, refresh with rotation, revoke → reconnect needed, nothing lost', async (t) => {
      if (kind === 'postgres' && !(await requirePostgres(t))) return;
      const auth = await startAuthServer({
        clients: [{ client_id: 'mailtrail', client_secret: 'mailtrail-client-secret', redirect_uris: [REDIRECT] }],
        accessTokenTtl: 300,
      });
      const s = await freshStore(kind);
      t.after(async () => {
        setClock({ now: () => new Date() });
        await s.close();
        await auth.close();
      });
      const ctx: TokenContext = { store: s.store, config: { secret: SECRET } as TokenContext['config'] };
      const settings = {
        protocol: 'imap',
        host: '127.0.0.1',
        port: 143,
        security: 'none',
        username: 'oauth@example.test',
        address: 'oauth@example.test',
        auth: 'oauth2',
        oauth: {
          provider: 'generic',
          grant: 'delegated',
          authorizationUrl: auth.authorizationUrl,
          tokenUrl: auth.tokenUrl,
          clientId: 'mailtrail',
          clientSecretSealed: seal(SECRET, 'mailtrail-client-secret'),
          scopes: ['openid', 'offline_access', 'mail'],
          mechanism: 'xoauth2',
          authorizationParams: { prompt: 'consent' },
        },
      };
      await setTrackingSettings(s.store.db, settings);

      await assert.rejects(getAccessToken(ctx, 'default'), ReconnectNeeded, 'not connected yet');
      const url = await startAuthorization(ctx, 'default', REDIRECT);
      assert.match(url, /code_challenge_method=S256/);
      const back = new URL(await signIn(url, 'oauth@example.test', REDIRECT));
      const done = await completeAuthorization(ctx, Object.fromEntries(back.searchParams));
      assert.equal(done.accountId, 'default');
      await assert.rejects(completeAuthorization(ctx, Object.fromEntries(back.searchParams)), /unknown or was already used/);

      const first = await getAccessToken(ctx, 'default');
      assert.equal((await introspect(auth.issuer, first.token)).email, 'oauth@example.test');
      assert.equal((await getAccessToken(ctx, 'default')).token, first.token, 'a fresh token is reused');
      const status = await oauthStatus(s.store.db, 'default');
      assert.equal(status.state, 'connected');
      assert.equal(status.hasRefreshToken, true);
      assert.ok(!JSON.stringify(status).includes(first.token));

      // Our clock jumps past the expiry: the next call refreshes (rotating the refresh token).
      const realNow = Date.now();
      setClock({ now: () => new Date(realNow + 290_000) });
      const second = await getAccessToken(ctx, 'default');
      assert.notEqual(second.token, first.token);
      assert.equal((await introspect(auth.issuer, second.token)).active, true);
      // Two callers at once share one refresh (a rotated refresh token is single use).
      setClock({ now: () => new Date(realNow + 2 * 290_000) });
      const [a, b] = await Promise.all([getAccessToken(ctx, 'default'), getAccessToken(ctx, 'default')]);
      assert.equal(a.token, b.token);
      // Clock skew the other way: we are hours behind the server; durations are ours, so the token still works.
      setClock({ now: () => new Date(realNow - 3 * 3600_000) });
      const skewed = await getAccessToken(ctx, 'default', { forceRefresh: true });
      assert.equal((await introspect(auth.issuer, skewed.token)).active, true);
      assert.ok(Date.parse(skewed.expiresAt) < realNow, 'expiry is by our clock');
      setClock({ now: () => new Date() });

      // The provider revokes the grant: refresh fails for good.
      await auth.revokeAll('oauth@example.test');
      await assert.rejects(getAccessToken(ctx, 'default', { forceRefresh: true }), ReconnectNeeded);
      const after = await oauthStatus(s.store.db, 'default');
      assert.equal(after.state, 'reconnect_needed');
      assert.match(after.error ?? '', /invalid_grant/);
      const row = await findTrackingAccountRow(s.store.db, 'default');
      assert.equal(JSON.parse(row!.settings).username, 'oauth@example.test', 'the account is untouched');

      // Reconnect: a new sign-in brings it back.
      const again = new URL(await signIn(await startAuthorization(ctx, 'default', REDIRECT), 'oauth@example.test', REDIRECT));
      await completeAuthorization(ctx, Object.fromEntries(again.searchParams));
      assert.equal((await oauthStatus(s.store.db, 'default')).state, 'connected');
      assert.equal((await introspect(auth.issuer, (await getAccessToken(ctx, 'default')).token)).active, true);
    });

    test('app-only: client credentials, a wrong secret → reconnect needed', async (t) => {
      if (kind === 'postgres' && !(await requirePostgres(t))) return;
      const auth = await startAuthServer({
        clients: [{ client_id: 'mailtrail-app', client_secret: 'app-secret', grant_types: ['client_credentials'] }],
        appMailboxes: { 'mailtrail-app': 'shared@example.test' },
      });
      const s = await freshStore(kind);
      t.after(async () => {
        await s.close();
        await auth.close();
      });
      const ctx: TokenContext = { store: s.store, config: { secret: SECRET } as TokenContext['config'] };
      const oauth = {
        provider: 'generic',
        grant: 'app',
        authorizationUrl: '',
        tokenUrl: auth.tokenUrl,
        clientId: 'mailtrail-app',
        scopes: ['mail'],
        mechanism: 'oauthbearer',
      };
      await setTrackingSettings(s.store.db, {
        username: 'shared@example.test',
        auth: 'oauth2',
        oauth: { ...oauth, clientSecretSealed: seal(SECRET, 'app-secret') },
      });
      const tok = await getAccessToken(ctx, 'default');
      const seen = await introspect(auth.issuer, tok.token);
      assert.equal(seen.active, true);
      assert.equal(seen.email, 'shared@example.test');

      await setTrackingSettings(s.store.db, {
        username: 'shared@example.test',
        auth: 'oauth2',
        oauth: { ...oauth, clientSecretSealed: seal(SECRET, 'wrong') },
      });
      await assert.rejects(getAccessToken(ctx, 'default', { forceRefresh: true }), ReconnectNeeded);
      assert.equal((await oauthStatus(s.store.db, 'default')).state, 'reconnect_needed');
    });
  });
}
