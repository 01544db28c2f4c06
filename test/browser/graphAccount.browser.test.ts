/**
 * Admin → Email tracking in Chromium: adding a tracking account that reads a Microsoft 365
 * mailbox through Microsoft Graph. Choosing the protocol fills graph.microsoft.com:443 and
 * OAuth2 sign-in, shows Folder and After import, and what is saved is what the API returns.
 *
 * Run: node --import tsx --test test/browser/graphAccount.browser.test.ts
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTrackingModule } from '../../src/inbound/index.js';
import { oauthModule } from '../../src/mailboxes/oauth/index.js';
import { ADMIN_PASSWORD, startTestApp, type TestApp } from '../support/app.js';
import { ensureWebBuilt, launchChromium, requireChromium } from './browser.js';

test('Add account → Microsoft Graph: folder, move to Deleted Items, OAuth2; saved as typed', { timeout: 300_000 }, async (t) => {
  if (!(await requireChromium(t))) return;
  ensureWebBuilt();
  const h = (await startTestApp(t, 'sqlite', { config: { port: 0 }, modules: [createTrackingModule(), oauthModule] })) as TestApp;
  t.after(() => h.close());
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
  const panel = page.locator('section', { has: page.getByRole('heading', { name: 'Tracking accounts' }) });
  await panel.getByRole('button', { name: 'Add account' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add tracking account' });
  assert.equal(await dialog.getByLabel('Folder', { exact: true }).count(), 0, 'no Graph fields for IMAP');
  await dialog.getByLabel('Name', { exact: true }).fill('Shared support (Graph)');
  await dialog.getByLabel('Address', { exact: true }).fill('support@contoso.example');
  await dialog.getByLabel('Protocol', { exact: true }).selectOption('graph');
  assert.equal(await dialog.getByLabel('Host', { exact: true }).inputValue(), 'graph.microsoft.com');
  assert.equal(await dialog.getByLabel('Port', { exact: true }).inputValue(), '443');
  assert.equal(await dialog.getByLabel('Sign-in', { exact: true }).inputValue(), 'oauth2');
  await dialog.getByLabel('Username', { exact: true }).fill('support@contoso.example');
  await dialog.getByLabel('Folder', { exact: true }).fill('junkemail');
  await dialog.getByLabel('After import', { exact: true }).selectOption('move');
  await dialog.getByLabel('Provider', { exact: true }).selectOption('generic');
  await dialog.getByLabel('Grant', { exact: true }).selectOption('app');
  await dialog.getByLabel('Client id', { exact: true }).fill('graph-client');
  await dialog.getByLabel('Client secret', { exact: true }).fill('graph-secret');
  await dialog.getByLabel('Token endpoint', { exact: true }).fill('https://login.example.test/token');
  await dialog.getByLabel('Scopes', { exact: true }).fill('https://graph.microsoft.com/.default');
  await dialog.getByRole('button', { name: 'Add account' }).click();
  await dialog.waitFor({ state: 'hidden' });
  await panel
    .locator('tr', { hasText: 'Shared support (Graph)' })
    .getByText(/GRAPH support@contoso\.example @ graph\.microsoft\.com:443/)
    .waitFor();

  const listed = (await h.admin.get('/api/v1/admin/email/accounts')).body.accounts as { name: string; settings: Record<string, unknown> }[];
  const graph = listed.find((a) => a.name === 'Shared support (Graph)')!;
  assert.equal(graph.settings.protocol, 'graph');
  assert.equal(graph.settings.folder, 'junkemail');
  assert.equal(graph.settings.graphRemoval, 'move');
  assert.equal(graph.settings.auth, 'oauth2');
  assert.ok(!JSON.stringify(listed).includes('graph-secret'), 'the client secret is never returned');
  assert.deepEqual(problems, [], 'the page threw');
});
