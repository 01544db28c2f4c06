/**
 * The OAuth2 admin API: presets, saving an account with OAuth2 (client secret never returned),
 * Connect → the provider's login and consent pages (oidc-provider, port 0) → the callback →
 * connected with a token expiry in the account list; refresh; a non-admin refused; disconnect.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setClock } from '../../src/clock.js';
import { oauthModule } from '../../src/mailboxes/oauth/index.js';
import { createTrackingModule } from '../../src/inbound/index.js';
import { signIn, startAuthServer } from '../support/authServer.js';
import { startTestApp } from '../support/app.js';
import { STORE_KINDS } from '../support/stores.js';

for (const kind of STORE_KINDS) {
  describe(`OAuth2 admin API on ${kind}`, { timeout: 60_000 }, () => {
    test('save, connect through the provider, status, refresh, disconnect; secrets never returned', async (t) => {
      const h = await startTestApp(t, kind, { modules: [createTrackingModule(), oauthModule] });
      if (!h) return;
      const callback = 'http://localhost:80/api/v1/admin/email/oauth/callback';
      const auth = await startAuthServer({ clients: [{ client_id: 'mailtrail', client_secret: 'the-client-secret', redirect_uris: [callback] }] });
      t.after(async () => {
        await h.close();
        await auth.close();
      });
      const presets = await h.admin.get('/api/v1/admin/email/oauth/presets');
      assert.equal(presets.status, 200);
      assert.ok(presets.body.microsoft.oauth.delegated.scopes.includes('https://outlook.office.com/IMAP.AccessAsUser.All'));

      const put = await h.admin.put('/api/v1/admin/email/accounts/default', {
        name: 'Default',
        protocol: 'imap',
        host: '127.0.0.1',
        port: 143,
        security: 'none',
        username: 'oauth@example.test',
        address: 'oauth@example.test',
        pollSeconds: 3600,
        deleteUntracked: false,
        auth: 'oauth2',
        oauth: {
          provider: 'generic',
          grant: 'delegated',
          authorizationUrl: auth.authorizationUrl,
          tokenUrl: auth.tokenUrl,
          clientId: 'mailtrail',
          clientSecret: 'the-client-secret',
          scopes: ['openid', 'offline_access', 'mail'],
          mechanism: 'xoauth2',
        },
      });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      assert.equal(put.body.settings.oauth?.clientSecretSet, true, JSON.stringify(put.body));
      assert.equal(put.body.oauth.state, 'not_connected');
      assert.ok(!JSON.stringify(put.body).includes('the-client-secret'));
      assert.ok(!JSON.stringify(put.body).includes('clientSecretSealed'));

      const user = await h.user('someone');
      assert.equal((await user.post('/api/v1/admin/email/accounts/default/oauth/connect')).status, 403);

      const connect = await h.admin.post('/api/v1/admin/email/accounts/default/oauth/connect');
      assert.equal(connect.status, 200, JSON.stringify(connect.body));
      assert.equal(connect.body.redirectUri, callback);
      const back = new URL(await signIn(connect.body.url, 'oauth@example.test', callback));
      // Our clock stands still for the exchange, so the expiry it stores is exact: now + the server's expires_in.
      const exchangedAt = new Date();
      setClock({ now: () => exchangedAt });
      t.after(() => setClock({ now: () => new Date() }));
      const done = await h.admin.get(`${back.pathname}${back.search}`);
      assert.equal(done.status, 302);
      assert.match(String(done.headers.location), /^\/admin\/tracking\?account=default&oauth=connected$/);

      const list = await h.admin.get('/api/v1/admin/email/accounts');
      const account = list.body.accounts?.[0] ?? list.body[0];
      assert.equal(account.oauth.state, 'connected');
      assert.equal(account.oauth.tokenExpiresAt, new Date(exchangedAt.getTime() + 600_000).toISOString(), 'the auth server grants 600 s');
      const refreshed = await h.admin.post('/api/v1/admin/email/accounts/default/oauth/refresh');
      assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
      assert.equal(refreshed.body.state, 'connected');

      // A replayed callback is refused and says so on the page it returns to.
      const replay = await h.admin.get(`${back.pathname}${back.search}`);
      assert.match(String(replay.headers.location), /oauth=failed/);

      const gone = await h.admin.post('/api/v1/admin/email/accounts/default/oauth/disconnect');
      assert.equal(gone.body.state, 'not_connected');
      const noToken = await h.admin.post('/api/v1/admin/email/accounts/default/oauth/refresh');
      assert.equal(noToken.status, 409);
      assert.equal(noToken.body.error.code, 'oauth_reconnect_needed');
    });
  });
}
