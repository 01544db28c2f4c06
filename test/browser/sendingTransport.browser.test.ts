/**
 * Admin → Email sending in Chromium: the three ways to send — SMTP with a password, SMTP signed
 * in with a tracking account's OAuth2 token (XOAUTH2), Microsoft Graph sendMail with that token
 * and a sending mailbox — each saved from the form and read back through the API; the form
 * shows what is stored after a reload. Switching to OAuth2 drops the stored SMTP password.
 *
 * Run: node --import tsx --test test/browser/sendingTransport.browser.test.ts
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { allModules } from '../../src/modules.js';
import { ADMIN_PASSWORD, startTestApp, testConfig, type TestApp } from '../support/app.js';
import { ensureWebBuilt, launchChromium, requireChromium } from './browser.js';

/** MAILTRAIL_SCREENSHOTS_DIR (docs/screenshots to refresh the docs' images), else a temporary folder. */
const SHOTS = process.env.MAILTRAIL_SCREENSHOTS_DIR ?? mkdtempSync(join(tmpdir(), 'mailtrail-shots-'));

/** Save and wait for the server's answer (a "Saved" from the save before may still be showing). */
async function save(page: Page): Promise<void> {
  const answered = page.waitForResponse((r) => r.request().method() === 'PUT' && r.url().endsWith('/api/v1/admin/email/sending'));
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  assert.equal((await answered).status(), 200);
  await page.getByText('Saved', { exact: true }).waitFor();
}

test('Email sending in Chromium: SMTP with a password, SMTP with OAuth2, Microsoft Graph; each saved and read back', { timeout: 180_000 }, async (t) => {
  if (!(await requireChromium(t))) return;
  ensureWebBuilt();
  const h = (await startTestApp(t, 'sqlite', {
    config: { port: 0 },
    modules: allModules(testConfig({ database: { kind: 'sqlite', path: ':memory:' }, dataDir: '' })),
  })) as TestApp;
  // A tracking account that signs in with OAuth2 (client credentials): its token can send too.
  const account = await h.admin.post('/api/v1/admin/email/accounts', {
    name: 'Contoso support',
    protocol: 'graph',
    host: 'graph.microsoft.com',
    port: 443,
    security: 'tls',
    username: 'support@contoso.example',
    address: 'support@contoso.example',
    pollSeconds: 60,
    deleteUntracked: false,
    allowSelfSigned: false,
    plusAddressing: false,
    projects: [],
    folder: 'inbox',
    graphRemoval: 'delete',
    auth: 'oauth2',
    oauth: {
      provider: 'generic',
      grant: 'app',
      authorizationUrl: '',
      tokenUrl: 'https://login.example.test/token',
      clientId: 'graph-client',
      clientSecret: 'graph-secret',
      scopes: ['https://graph.microsoft.com/.default'],
      mechanism: 'xoauth2',
    },
  });
  assert.equal(account.status, 201, JSON.stringify(account.body));
  const accountId = account.body.id as string;
  const stored = async () => (await h.admin.get('/api/v1/admin/email/sending')).body as Record<string, unknown>;

  const browser = await launchChromium();
  t.after(() => browser.close());
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  t.after(() => context.close());
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(err.message));
  t.after(() => assert.deepEqual(problems, [], 'the page threw'));
  await page.goto(`${h.running.url}/admin/sending`);
  await page.getByLabel('Username', { exact: true }).fill('admin');
  await page.getByLabel('Password', { exact: true }).fill(ADMIN_PASSWORD);
  await page.getByLabel('Password', { exact: true }).press('Enter');

  // 1. SMTP with a password.
  const form = page.locator('form', { has: page.getByLabel('Send through') });
  await form.getByLabel('Host', { exact: true }).fill('smtp.example.test');
  await form.getByLabel('Port', { exact: true }).fill('587');
  await form.getByLabel('Username', { exact: true }).fill('mailer');
  await form.getByLabel('Password', { exact: true }).fill('smtp-secret');
  assert.equal(await form.getByLabel('OAuth2 account').count(), 0, 'no account to choose with a password');
  await save(page);
  let s = await stored();
  assert.equal(s.host, 'smtp.example.test');
  assert.equal(s.username, 'mailer');
  assert.equal(s.passwordSet, true);
  assert.equal(s.oauthAccountId, undefined);
  assert.notEqual(s.transport, 'graph');

  // 2. SMTP signed in with the account's OAuth2 token: the stored password goes.
  await form.getByLabel('Sign in with').selectOption('oauth2');
  assert.equal(await form.getByLabel('Password', { exact: true }).count(), 0, 'no password field with OAuth2');
  await form.getByText('Saving drops the stored SMTP password').waitFor();
  await form.getByLabel('OAuth2 account').selectOption(accountId);
  await form.getByLabel('Username', { exact: true }).fill('support@contoso.example');
  await save(page);
  s = await stored();
  assert.equal(s.oauthAccountId, accountId);
  assert.equal(s.username, 'support@contoso.example');
  assert.equal(s.passwordSet, false, 'the SMTP password is not kept');
  assert.notEqual(s.transport, 'graph');
  await page.reload();
  // The account list loads after the form: until then the select cannot show the account.
  await form.getByLabel('OAuth2 account').locator('option', { hasText: 'Contoso support' }).waitFor({ state: 'attached' });
  assert.equal(await form.getByLabel('Sign in with').inputValue(), 'oauth2');
  assert.equal(await form.getByLabel('OAuth2 account').inputValue(), accountId);

  // 3. Microsoft Graph: the endpoint fills in, the account stays, username is the sending mailbox.
  await form.getByLabel('Send through').selectOption('graph');
  assert.equal(await form.getByLabel('Graph endpoint').inputValue(), 'graph.microsoft.com');
  assert.equal(await form.getByLabel('Port', { exact: true }).inputValue(), '443');
  assert.equal(await form.getByLabel('Sign in with').count(), 0, 'Graph signs in with OAuth2 only');
  await form.getByLabel('Sending mailbox').fill('noreply@contoso.example');
  await save(page);
  s = await stored();
  assert.deepEqual(
    [s.transport, s.host, s.port, s.security, s.username, s.oauthAccountId],
    ['graph', 'graph.microsoft.com', 443, 'tls', 'noreply@contoso.example', accountId],
  );
  await page.reload();
  await form.getByLabel('OAuth2 account').locator('option', { hasText: 'Contoso support' }).waitFor({ state: 'attached' });
  assert.equal(await form.getByLabel('Send through').inputValue(), 'graph');
  assert.equal(await form.getByLabel('Sending mailbox').inputValue(), 'noreply@contoso.example');
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, 'admin-sending-graph.png'), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: join(SHOTS, 'admin-sending-graph-phone.png'), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 900 });

  // Back to SMTP with a password: the account is let go.
  await form.getByLabel('Send through').selectOption('smtp');
  await form.getByLabel('Sign in with').selectOption('password');
  await form.getByLabel('Host', { exact: true }).fill('smtp.example.test');
  await form.getByLabel('Port', { exact: true }).fill('587');
  await form.getByLabel('Username', { exact: true }).fill('mailer');
  await form.getByLabel('Password', { exact: true }).fill('smtp-secret-2');
  await save(page);
  s = await stored();
  assert.deepEqual([s.transport, s.host, s.oauthAccountId, s.passwordSet], ['smtp', 'smtp.example.test', undefined, true]);
});
