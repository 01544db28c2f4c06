/**
 * Watchers and personal notifications in Chromium: watch a record from its page, choose what
 * reaches you on My work, see the bell count what others did, and My work list it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { notificationsModule } from '../../src/notifications/index.js';
import { USER_PASSWORD, startTestApp, type TestApp } from '../support/app.js';
import { ensureWebBuilt, launchChromium, requireChromium, screenshotPath } from './browser.js';

test('watch a record, set notification settings, see the bell count and My work (Chromium)', { timeout: 180_000 }, async (t) => {
  if (!(await requireChromium(t))) return;
  ensureWebBuilt();
  const h = (await startTestApp(t, 'sqlite', { modules: [notificationsModule], config: { port: 0 } })) as TestApp;
  assert.equal((await h.admin.post('/api/v1/projects', { key: 'WEB', name: 'Web shop' })).status, 201);
  await h.user('ann', { project: 'WEB' });
  const bob = await h.user('bob', { project: 'WEB' });
  const rec = (await bob.post('/api/v1/projects/WEB/records', { type: 'defect', title: 'Checkout fails' })).body as { id: string };
  await bob.post('/api/v1/projects/WEB/records', { type: 'defect', title: 'Coupon ignored' });

  const browser = await launchChromium();
  t.after(() => browser.close());
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(err.message));
  await page.goto(`${h.running.url}/projects/WEB/records/WEB-D1`);
  await page.getByLabel('Username').fill('ann');
  await page.getByLabel('Password').fill(USER_PASSWORD);
  await page.getByLabel('Password').press('Enter');
  await page.getByRole('heading', { level: 1, name: 'Checkout fails' }).waitFor();
  await page.getByRole('link', { name: 'Notifications: none unread' }).waitFor();

  // Watch: the button turns, the list beside the details names ann, the history says so.
  const watchers = page.getByRole('region', { name: 'Watchers' });
  await watchers.getByText('bob Tester').waitFor();
  assert.match(await watchers.innerText(), /creator/);
  await page.getByRole('button', { name: '☆ Watch' }).click();
  await page.getByRole('button', { name: '★ Watching' }).waitFor();
  assert.equal(await page.getByRole('button', { name: '★ Watching' }).getAttribute('aria-pressed'), 'true');
  await watchers.getByText('ann Tester').waitFor();
  await page.locator('.history').getByText('added ann as a watcher').waitFor();

  // My work → settings: changes to what ann watches only in the app.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My work' }).click();
  await page.getByRole('heading', { level: 1, name: 'My work' }).waitFor();
  const settings = page.getByRole('region', { name: 'Notification settings' });
  await settings.getByLabel('A record you watch changes').selectOption('app');
  await settings.getByText('Saved').waitFor();
  assert.equal((await (await h.login('ann', USER_PASSWORD)).get('/api/v1/projects/WEB/notification-settings')).body.events.changed, 'app');
  await page.getByRole('region', { name: 'Watching' }).getByText('Checkout fails').waitFor();

  // bob works on it: a change, a mention, an assignment. The bell counts them for ann.
  await bob.patch(`/api/v1/projects/WEB/records/${rec.id}`, { priority: 'high' });
  await bob.post(`/api/v1/projects/WEB/records/${rec.id}/comments`, { body: '@ann can you reproduce this on Safari?' });
  await bob.patch(`/api/v1/projects/WEB/records/${rec.id}`, { assignee: 'ann' });
  await page.reload();
  await page.getByRole('link', { name: 'Notifications: 3 unread' }).waitFor();
  assert.equal(await page.getByTestId('bell-count').innerText(), '3');
  const inbox = page.getByRole('region', { name: 'Notifications' });
  await inbox.getByText('bob Tester mentioned you on WEB-D1: Checkout fails').waitFor();
  assert.match(await inbox.innerText(), /bob Tester changed WEB-D1: Priority: — → high/);
  assert.match(await inbox.innerText(), /bob Tester assigned WEB-D1 to you/);
  await page.getByRole('region', { name: 'Assigned to me' }).getByText('Checkout fails').waitFor();
  assert.match(await page.getByRole('region', { name: 'Mentioned' }).innerText(), /can you reproduce this on Safari\?/);
  assert.doesNotMatch(await page.getByRole('region', { name: 'Watching' }).innerText(), /Coupon ignored/, 'only what ann follows');
  await page.screenshot({ path: screenshotPath('my-work.png'), fullPage: true });

  // Read: one by opening it, the rest with Mark all read; the bell follows at once.
  await inbox.getByRole('button', { name: /Mark “bob Tester changed/ }).click();
  await page.getByRole('link', { name: 'Notifications: 2 unread' }).waitFor();
  await inbox.getByRole('button', { name: 'Mark all read' }).click();
  await page.getByRole('link', { name: 'Notifications: none unread' }).waitFor();
  assert.equal(await page.getByTestId('bell-count').count(), 0);
  assert.deepEqual(problems, []);
});
