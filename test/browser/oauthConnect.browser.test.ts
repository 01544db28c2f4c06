/**
 * OAuth2 Connect in a real browser (issue 15): the admin opens Admin → Email tracking, clicks
 * Connect on an account that signs in with OAuth2, goes through the authorization server's own
 * login and consent pages (oidc-provider, started here on port 0), and comes back to Mailtrail
 * with the account connected and its token expiry shown.
 *
 * Run: node --import tsx --test test/browser/oauthConnect.browser.test.ts
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTrackingModule } from '../../src/inbound/index.js';
import { oauthModule } from '../../src/mailboxes/oauth/index.js';
import { ADMIN_PASSWORD, startTestApp, type TestApp } from '../support/app.js';
import { startAuthServer } from '../support/authServer.js';
import { ensureWebBuilt, launchChromium, requireChromium } from './browser.js';

test('Connect (generic OAuth2) in Chromium: login and consent at the provider, back connected', { timeout: 300_000 }, async (t) => {
  if (!(await requireChromium(t))) return;
  ensureWebBuilt();
  const h = (await startTestApp(t, 'sqlite', { config: { port: 0 }, modules: [createTrackingModule(), oauthModule] })) as TestApp;
  t.after(() => h.close());
  const callback = `${h.running.url}/api/v1/admin/email/oauth/callback`;
  const auth = await startAuthServer({ clients: [{ client_id: 'mailtrail', client_secret: 'browser-secret', redirect_uris: [callback] }] });
  t.after(() => auth.close());
  const created = await h.admin.post('/api/v1/admin/email/accounts', {
    name: 'Support (OAuth2)',
    protocol: 'imap',
    host: '127.0.0.1',
    port: 143,
    security: 'none',
    username: 'oauth-browser@example.test',
    address: 'oauth-browser@example.test',
    pollSeconds: 3600,
    deleteUntracked: false,
    auth: 'oauth2',
    oauth: {
      provider: 'generic',
      grant: 'delegated',
      authorizationUrl: auth.authorizationUrl,
      tokenUrl: auth.tokenUrl,
      clientId: 'mailtrail',
      clientSecret: 'browser-secret',
      scopes: ['openid', 'offline_access', 'mail'],
      mechanism: 'xoauth2',
    },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));

  const browser = await launchChromium();
  t.after(() => browser.close());
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  t.after(() => context.close());
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(err.message));

  await page.goto(`${h.running.url}/admin/tracking`);
  await page.getByLabel('Username', { exact: true }).fill('admin');
  await page.getByLabel('Password', { exact: true }).fill(ADMIN_PASSWORD);
  await page.getByLabel('Password', { exact: true }).press('Enter');
  const row = page.locator(`tr[data-account="${created.body.id}"]`);
  await row.getByText('not connected').waitFor();
  await row.getByRole('button', { name: 'Connect' }).click();

  // oidc-provider's own pages: sign in (any password), then consent.
  await page.waitForURL((u) => u.toString().startsWith(auth.issuer));
  await page.locator('input[name="login"]').fill('oauth-browser@example.test');
  await page.locator('input[name="password"]').fill('whatever');
  await page.locator('button[type="submit"]').click();
  await page.locator('button[type="submit"]', { hasText: /continue/i }).click();

  await page.waitForURL((u) => u.toString().startsWith(`${h.running.url}/admin/tracking`) && u.searchParams.get('oauth') === 'connected');
  await page.getByText('Connected: the account signs in with OAuth2 now.').waitFor();
  await row.getByText('signed in').waitFor();
  await row.getByText(/token until/).waitFor();
  assert.equal(await row.getByRole('button', { name: 'Reconnect' }).count(), 1);
  // The default account's sign-in: the Microsoft 365 preset fills servers and scopes, all editable.
  await page.getByRole('button', { name: 'Sign-in settings of Default' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Sign-in', { exact: true }).selectOption('oauth2');
  await dialog.getByLabel('Provider', { exact: true }).selectOption('generic');
  await dialog.getByLabel('Provider', { exact: true }).selectOption('microsoft');
  assert.equal(await dialog.getByLabel('Host', { exact: true }).inputValue(), 'outlook.office365.com');
  const protocol = await dialog.getByLabel('Protocol', { exact: true }).inputValue();
  assert.equal(await dialog.getByLabel('Port', { exact: true }).inputValue(), protocol === 'pop3' ? '995' : '993');
  assert.match(await dialog.getByLabel('Scopes', { exact: true }).inputValue(), /https:\/\/outlook\.office\.com\/IMAP\.AccessAsUser\.All/);
  assert.match(await dialog.getByLabel('Token endpoint', { exact: true }).inputValue(), /login\.microsoftonline\.com\/\{tenant\}/);
  await dialog.getByRole('button', { name: 'Cancel' }).click();

  const status = await h.admin.get(`/api/v1/admin/email/accounts/${created.body.id}/oauth`);
  assert.equal(status.body.state, 'connected');
  assert.deepEqual(problems, [], 'the page threw');
});
