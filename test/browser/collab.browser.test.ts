/**
 * Links, comments and files on the record page, in Chromium: a link made on one record shows on
 * the other in its own words, a comment's Markdown is rendered without running any HTML, a
 * file uploaded from the page shows as a thumbnail and downloads as it was.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { USER_PASSWORD, startTestApp, type TestApp } from '../support/app.js';
import { ensureWebBuilt, launchChromium, requireChromium } from './browser.js';

const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360f8cfc0f01f0005000201a5f3ae4b0000000049454e44ae426082',
  'hex',
);

test('links, comments and files in Chromium', { timeout: 180_000 }, async (t) => {
  if (!requireChromium(t)) return;
  ensureWebBuilt();
  const h = (await startTestApp(t, 'sqlite', { config: { port: 0 } })) as TestApp;
  assert.equal((await h.admin.post('/api/v1/projects', { key: 'WEB', name: 'Web shop' })).status, 201);
  const ann = await h.user('ann', { project: 'WEB' });
  await h.user('bob', { project: 'WEB' });
  await ann.post('/api/v1/projects/WEB/records', { type: 'defect', title: 'Checkout fails' });
  await ann.post('/api/v1/projects/WEB/records', { type: 'requirement', title: 'Customers can pay' });

  const browser = await launchChromium();
  t.after(() => browser.close());
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(err.message));
  page.on('dialog', (d) => {
    problems.push(`a dialog opened: ${d.message()}`);
    void d.dismiss();
  });
  await page.goto(`${h.running.url}/projects/WEB/records/WEB-D1`);
  await page.getByLabel('Username').fill('ann');
  await page.getByLabel('Password').fill(USER_PASSWORD);
  await page.getByLabel('Password').press('Enter');
  await page.getByRole('heading', { level: 1, name: 'Checkout fails' }).waitFor();

  // A link: made here, read from both ends.
  await page.getByLabel('Link kind').selectOption('blocks');
  await page.getByLabel('Record to link').fill('WEB-R1');
  await page.getByRole('button', { name: 'Add link' }).click();
  const links = page.getByRole('list', { name: 'Links of WEB-D1' });
  await links.getByText('Customers can pay').waitFor();
  assert.match((await links.innerText()).replace(/\s+/g, ' '), /blocks WEB-R1 Customers can pay/);
  await page.locator('.history').getByText('linked this record: blocks WEB-R1').waitFor();
  await links.getByRole('link', { name: 'Customers can pay' }).click();
  await page.getByRole('heading', { level: 1, name: 'Customers can pay' }).waitFor();
  const back = page.getByRole('list', { name: 'Links of WEB-R1' });
  await back.getByText('Checkout fails').waitFor();
  assert.match((await back.innerText()).replace(/\s+/g, ' '), /is blocked by WEB-D1 Checkout fails/);
  assert.match(page.url(), /\/projects\/WEB\/records\/WEB-R1$/);

  // A comment: Markdown as formatting, HTML as text, a mention marked.
  await page.getByLabel('New comment').fill('Needs **finance** sign-off <img src=x onerror=alert(1)> first, @bob');
  await page.getByRole('button', { name: 'Add comment' }).click();
  const comments = page.getByRole('list', { name: 'Comments' });
  await comments.locator('strong', { hasText: 'finance' }).waitFor();
  assert.equal(await comments.locator('img').count(), 0, 'typed HTML is never markup');
  assert.match(await comments.innerText(), /<img src=x onerror=alert\(1\)>/);
  assert.equal(await comments.locator('.mention').innerText(), '@bob');
  await page.locator('.history').getByText('commented').first().waitFor();
  // The same notes sit beside the email thread on the Email tab.
  await page.getByRole('tab', { name: /Email/ }).click();
  await page.getByRole('complementary', { name: 'Team notes' }).getByRole('list', { name: 'Comments' }).locator('strong', { hasText: 'finance' }).waitFor();
  await page.getByRole('tab', { name: 'Overview' }).click();

  // A file: uploaded from the page, a thumbnail that loads, a download with the same bytes.
  await page.getByLabel('Choose files to attach').setInputFiles({ name: 'cart.png', mimeType: 'image/png', buffer: PNG });
  const files = page.getByRole('list', { name: 'Files' });
  await files.getByText('cart.png').waitFor();
  const thumb = files.locator('img').first();
  await thumb.waitFor();
  // The 1×1 image decoded: the browser got the bytes back through the preview URL.
  await page.waitForFunction("Array.from(document.querySelectorAll('.file-thumb img')).some((i) => i.complete && i.naturalWidth === 1)");
  const download = page.waitForEvent('download');
  await files.getByRole('link', { name: 'Download' }).click();
  const saved = await (await download).path();
  const { readFileSync } = await import('node:fs');
  assert.deepEqual(readFileSync(saved), PNG);
  await files.getByRole('button', { name: 'Preview cart.png' }).click();
  await page.getByRole('dialog', { name: 'cart.png' }).locator('img').waitFor();
  await page.getByRole('dialog', { name: 'cart.png' }).getByRole('button', { name: 'Close' }).click();

  // The comment's words find the record.
  await page.keyboard.press('g');
  await page.keyboard.type('finance');
  await page.keyboard.press('Enter');
  const results = page.getByRole('list', { name: 'Search results' });
  await results.getByText('Customers can pay').waitFor();
  assert.match(await results.innerText(), /Comment/);

  // On a phone (390 px) the header with its jump box and the record page fit the screen.
  await page.setViewportSize({ width: 390, height: 844 });
  for (const path of ['/projects/WEB/records/WEB-R1', '/projects/WEB/search?q=finance']) {
    await page.goto(h.running.url + path);
    await page.locator('main h1').first().waitFor();
    assert.equal(await page.evaluate('document.documentElement.scrollWidth'), 390, `${path} is wider than the phone`);
  }
  assert.deepEqual(problems, []);
});
