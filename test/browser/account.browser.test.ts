/**
 * Sessions and passwords from the web client, in Chromium (issue 13): a user changes their
 * password and their other browser is signed out; creates a named API token, sees it once, and
 * revokes it; revokes all other sessions; the admin resets bob's password and bob's open session
 * ends. Every ending is checked where it matters: the other browser, or the token at the API.
 *
 * Screenshots go to MAILTRAIL_SCREENSHOTS_DIR (docs/screenshots to refresh the docs' images),
 * else a temporary folder.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { ADMIN_PASSWORD, USER_PASSWORD, startTestApp, type TestApp } from '../support/app.js';
import { ensureWebBuilt, launchChromium, requireChromium } from './browser.js';

const SHOTS = process.env.MAILTRAIL_SCREENSHOTS_DIR ?? mkdtempSync(join(tmpdir(), 'mailtrail-shots-'));

/** A fresh browser context (its own cookies), signed in through the sign-in page. */
async function signedIn(browser: Browser, base: string, username: string, password: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  page.on('pageerror', (err) => assert.fail(`${username}'s page: ${err.message}`));
  await page.goto(`${base}/`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByLabel('Password').press('Enter');
  await page.locator('.user-btn').waitFor();
  return page;
}

/** Reloads and tells whether the page came back signed in (else it shows the sign-in form). */
async function stillSignedIn(page: Page): Promise<boolean> {
  await page.reload();
  await page.locator('.user-btn, form input[name="username"]').first().waitFor();
  return (await page.locator('.user-btn').count()) === 1;
}

async function fromUserMenu(page: Page, item: string): Promise<void> {
  await page.locator('.user-btn').click();
  await page.getByRole('menuitem', { name: item }).click();
  await page.getByRole('heading', { level: 1, name: item }).waitFor();
}

/** Signs in over the API the way a script would (curl's User-Agent, so the list names it). */
async function scriptToken(h: TestApp, username: string, password: string): Promise<string> {
  const res = await h.app.inject({ method: 'POST', url: '/api/v1/auth/token', headers: { 'user-agent': 'curl/8.5.0' }, payload: { username, password } });
  assert.equal(res.statusCode, 200, res.body);
  return res.json<{ token: string }>().token;
}

async function status(h: TestApp, token: string): Promise<number> {
  return (await h.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } })).statusCode;
}

test('sessions, API tokens and passwords in Chromium', { timeout: 240_000 }, async (t) => {
  if (!(await requireChromium(t))) return;
  ensureWebBuilt();
  const h = (await startTestApp(t, 'sqlite', { config: { port: 0 } })) as TestApp;
  await h.user('carol');
  await h.user('bob');
  const base = h.running.url;
  const browser = await launchChromium();
  t.after(() => browser.close());

  // Carol in two browsers. She changes her password in the first; the second is signed out.
  const carol = await signedIn(browser, base, 'carol', USER_PASSWORD);
  const carolElsewhere = await signedIn(browser, base, 'carol', USER_PASSWORD);
  await fromUserMenu(carol, 'Change password');
  await carol.getByLabel('Current password').fill('not-my-password');
  await carol.getByLabel('New password', { exact: true }).fill('carols-new-password-1');
  await carol.getByLabel('Repeat the new password').fill('carols-new-password-1');
  await carol.getByRole('button', { name: 'Change password' }).click();
  await carol.getByText('The current password is not right.').waitFor();
  assert.equal(await stillSignedIn(carolElsewhere), true, 'a wrong current password changes nothing');
  await carol.getByLabel('Current password').fill(USER_PASSWORD);
  await carol.getByLabel('New password', { exact: true }).fill('carols-new-password-1');
  await carol.getByLabel('Repeat the new password').fill('carols-new-password-1');
  await carol.getByRole('button', { name: 'Change password' }).click();
  await carol.getByText('Password changed.', { exact: false }).waitFor();
  assert.equal(await stillSignedIn(carolElsewhere), false, 'the other browser is signed out');
  assert.equal(await stillSignedIn(carol), true, 'the browser that changed it stays signed in');
  const viaApi = await scriptToken(h, 'carol', 'carols-new-password-1');

  // A named API token: created, shown once, working; then revoked from the list and refused.
  await fromUserMenu(carol, 'Sessions and tokens');
  await carol.getByRole('button', { name: 'Create API token' }).click();
  await carol.getByLabel('Name').fill('CI deploy');
  await carol.getByRole('button', { name: 'Create token' }).click();
  const shown = carol.getByRole('textbox', { name: 'New API token' });
  await shown.waitFor();
  const token = await shown.inputValue();
  mkdirSync(SHOTS, { recursive: true });
  await carol.getByRole('dialog').screenshot({ path: join(SHOTS, 'sessions-token-created.png') });
  assert.equal(await status(h, token), 200, 'the token shown works');
  await carol.getByRole('button', { name: 'Done' }).click();
  const row = carol.locator('tr', { hasText: 'CI deploy' });
  await row.waitFor();
  assert.equal(await carol.locator('input[aria-label="New API token"]').count(), 0, 'the token is not shown again');
  assert.ok(!(await carol.content()).includes(token), 'nor anywhere on the page');
  await carol.locator('tr', { hasText: 'this session' }).waitFor();
  assert.match(await row.innerText(), /api token/i);

  // A second script's token, for the picture and for "Revoke all others".
  const script = await scriptToken(h, 'carol', 'carols-new-password-1');
  await carol.reload();
  await carol.locator('tbody tr').nth(2).waitFor();
  await carol.locator('section.settings-card').screenshot({ path: join(SHOTS, 'sessions-tokens.png') });

  await carol.getByRole('button', { name: 'Revoke CI deploy' }).click();
  await carol.getByText('Token revoked').waitFor();
  await row.waitFor({ state: 'detached' });
  assert.equal(await status(h, token), 401, 'the revoked token is refused');
  assert.equal(await status(h, script), 200, 'the other token still works');

  await carol.getByRole('button', { name: 'Revoke all others' }).click();
  await carol.getByText('Ended 2 other sessions').waitFor();
  assert.equal(await status(h, script), 401, 'revoke all others ends both');
  assert.equal(await status(h, viaApi), 401);
  assert.equal(await carol.locator('tbody tr').count(), 1, 'only this session is left');
  assert.equal(await stillSignedIn(carol), true);

  // The admin resets bob's password: bob's open session ends, the new password lets him in.
  const bob = await signedIn(browser, base, 'bob', USER_PASSWORD);
  const admin = await signedIn(browser, base, 'admin', ADMIN_PASSWORD);
  await admin.goto(`${base}/admin/users`);
  await admin.getByRole('button', { name: 'Reset password of bob' }).click();
  await admin.getByRole('dialog').getByLabel('New password').fill('bobs-new-password-1');
  await admin.getByRole('dialog').getByRole('button', { name: 'Reset password' }).click();
  await admin.getByText('New password set for bob').waitFor();
  assert.equal(await stillSignedIn(bob), false, "bob's session ended");
  await bob.getByLabel('Username').fill('bob');
  await bob.getByLabel('Password').fill('bobs-new-password-1');
  await bob.getByLabel('Password').press('Enter');
  await bob.locator('.user-btn').waitFor();
  assert.equal(await stillSignedIn(admin), true, "the admin's own session is untouched");
});
