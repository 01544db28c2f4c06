/**
 * A file attached with the compose box's "Attach files" button (the file chooser, as a person
 * picks a file) goes out with the tracked email and arrives in the recipient's mailbox of the
 * built-in sandbox, byte for byte, where the sandbox reader lists it (issue 16 item 6). The
 * drag-and-drop path and real Postfix/Dovecot delivery are `compose.browser.test.ts`.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { DEMO_CUSTOMER, DEMO_PASSWORD } from '../../src/demo/index.js';
import { allModules } from '../../src/modules.js';
import { startTestApp, testConfig, type TestApp } from '../support/app.js';
import { ensureWebBuilt, freePort, launchChromium, requireChromium } from './browser.js';

/** Mail goes through the outbox worker and the sandbox's SMTP server. */
const MAIL_WAIT_MS = 60_000;

test('compose in Chromium: a file picked with Attach files arrives in the sandbox mailbox', { timeout: 240_000 }, async (t) => {
  if (!(await requireChromium(t))) return;
  ensureWebBuilt();
  const h = (await startTestApp(t, 'sqlite', {
    config: { port: 0, workers: true, demo: true, sandboxSmtpPort: await freePort(), sandboxPop3Port: await freePort() },
    modules: allModules(testConfig({ database: { kind: 'sqlite', path: ':memory:' }, dataDir: '', demo: true })),
  })) as TestApp;
  const browser = await launchChromium();
  t.after(() => browser.close());
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  t.after(() => context.close());
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(err.message));

  await page.goto(`${h.running.url}/projects/DEMO/records/DEMO-D1?tab=email`);
  await page.getByLabel('Username').fill('dana');
  await page.getByLabel('Password').fill(DEMO_PASSWORD);
  await page.getByLabel('Password').press('Enter');
  await page.getByRole('button', { name: /New tracked email/ }).click();
  const form = page.getByRole('form', { name: 'New tracked email' });
  const to = form.getByRole('combobox', { name: 'To' });
  await to.fill(DEMO_CUSTOMER.address);
  await to.press('Enter');
  const subject = 'The export you asked about';
  await form.getByLabel('Subject').fill(subject);
  await form.getByLabel('Message', { exact: true }).fill('The CSV from this morning is attached.');

  // The button opens the file chooser; the picked file uploads into the draft.
  const bytes = randomBytes(40_000);
  const chooser = page.waitForEvent('filechooser');
  await form.getByRole('button', { name: /Attach files/ }).click();
  await (await chooser).setFiles({ name: 'orders-2026-12.csv', mimeType: 'text/csv', buffer: bytes });
  await form.getByRole('list', { name: 'Attachments' }).getByText('orders-2026-12.csv').waitFor();
  await form.getByRole('button', { name: 'Send', exact: true }).click();
  const sent = page.locator('article.mail-out', { hasText: 'The CSV from this morning is attached.' });
  await sent.locator('.badge', { hasText: /^sent$/ }).waitFor({ timeout: MAIL_WAIT_MS });
  await sent.getByText('orders-2026-12.csv').first().waitFor();

  // The customer's mailbox in the sandbox has it, with the file.
  await page.goto(`${h.running.url}/sandbox`);
  await page.getByRole('link', { name: DEMO_CUSTOMER.address }).click();
  await page.locator('.msg-link', { hasText: subject }).click({ timeout: MAIL_WAIT_MS });
  const file = page.getByRole('list', { name: 'Attachments' }).getByRole('link', { name: /orders-2026-12\.csv/ });
  await file.waitFor();
  const href = await file.getAttribute('href');
  assert.ok(href);
  const download = await page.request.get(h.running.url + href);
  assert.equal(download.status(), 200);
  assert.ok(Buffer.from(await download.body()).equals(bytes), 'the file arrived byte for byte');
  assert.deepEqual(problems, []);
});
