/**
 * Email import in a real browser (issue 17): a project administrator sets up the import
 * address, who may create and an import rule in Project settings → Email import; mail to the
 * address becomes a record (the rule picks the type) with its sender as a participant; mail
 * from a sender who may not create waits in Unmatched mail, where the admin reads it and uses
 * "Create record".
 *
 * Run: node --import tsx --test test/browser/emailImport.browser.test.ts
 * Screenshots go to MAILTRAIL_SCREENSHOTS_DIR (docs/screenshots to refresh the docs' images),
 * else to a temporary folder.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import nodemailer from 'nodemailer';
import { DEMO_TRACKING_ADDRESS } from '../../src/demo/index.js';
import { allModules } from '../../src/modules.js';
import { ADMIN_PASSWORD, startTestApp, testConfig, type TestApp } from '../support/app.js';
import { ensureWebBuilt, freePort, launchChromium, requireChromium } from './browser.js';

const MAIL_WAIT_MS = 30_000;
const IMPORT_ADDRESS = 'support@demo.test';
const SHOTS = process.env.MAILTRAIL_SCREENSHOTS_DIR ?? mkdtempSync(join(tmpdir(), 'mailtrail-shots-'));

/** Mail to the import address, delivered to the tracking mailbox: what an alias of it does. */
async function mailToImportAddress(smtpPort: number, m: { from: string; subject: string; text: string; cc?: string }): Promise<void> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true });
  try {
    await transport.sendMail({
      from: m.from,
      to: IMPORT_ADDRESS,
      ...(m.cc ? { cc: m.cc } : {}),
      subject: m.subject,
      text: m.text,
      envelope: { from: m.from, to: [DEMO_TRACKING_ADDRESS] },
    });
  } finally {
    transport.close();
  }
}

test('email import in Chromium: settings and rules, a record from mail, Create record in Unmatched mail', { timeout: 300_000 }, async (t) => {
  if (!(await requireChromium(t))) return;
  ensureWebBuilt();
  mkdirSync(SHOTS, { recursive: true });
  const smtpPort = await freePort();
  const h = (await startTestApp(t, 'sqlite', {
    config: { port: 0, workers: true, demo: true, sandboxSmtpPort: smtpPort, sandboxPop3Port: await freePort() },
    modules: allModules(testConfig({ database: { kind: 'sqlite', path: ':memory:' }, dataDir: '', demo: true })),
  })) as TestApp;
  const browser = await launchChromium();
  t.after(() => browser.close());
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  t.after(() => context.close());
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(err.message));
  t.after(() => assert.deepEqual(problems, [], 'the page threw'));

  await page.goto(`${h.running.url}/projects/DEMO/settings/import`);
  await page.getByLabel('Username', { exact: true }).fill('admin');
  await page.getByLabel('Password', { exact: true }).fill(ADMIN_PASSWORD);
  await page.getByLabel('Password', { exact: true }).press('Enter');

  // Project settings → Email import.
  const options = page.getByRole('form', { name: 'Email import options' });
  await options.waitFor();
  await options.getByRole('checkbox', { name: /^Create records from email/ }).check();
  await options.getByLabel('Import address', { exact: true }).fill(IMPORT_ADDRESS);
  await options.getByLabel('Who may create records by email', { exact: true }).selectOption('domains');
  await options.getByLabel('Allowed sender domains', { exact: true }).fill('customer.example');
  await options.getByLabel('Reopen on reply to', { exact: true }).fill('Reopened');
  await options.getByRole('checkbox', { name: /^Forward replies to all participants/ }).check();
  await options.getByRole('button', { name: 'Save' }).click();
  await options.getByText('Saved').waitFor();
  const saved = await h.admin.get('/api/v1/projects/DEMO/options/email-import');
  assert.equal(saved.body.enabled, true);
  assert.equal(saved.body.address, IMPORT_ADDRESS);
  assert.equal(saved.body.whoMayCreate, 'domains');
  assert.deepEqual(saved.body.allowedDomains, ['customer.example']);

  // A bad pattern is refused with a clear message; then the rule is saved.
  await page.getByRole('button', { name: 'Add rule' }).click();
  const dialog = page.getByRole('dialog', { name: 'New import rule' });
  await dialog.getByLabel('Name', { exact: true }).fill('Feature requests');
  await dialog.getByLabel('Subject matches', { exact: true }).fill('^(feature');
  await dialog.getByLabel('Record type', { exact: true }).selectOption('requirement');
  await dialog.getByLabel('Status', { exact: true }).fill('Proposed');
  await dialog.getByRole('button', { name: 'Save rule' }).click();
  await dialog.getByText(/not a valid regular expression/).waitFor();
  await dialog.getByLabel('Subject matches', { exact: true }).fill('^feature');
  await dialog.getByRole('button', { name: 'Save rule' }).click();
  await dialog.getByText(/"Proposed" is not a status/).waitFor();
  await dialog.getByLabel('Status', { exact: true }).fill('In progress');
  await dialog.getByRole('button', { name: 'Save rule' }).click();
  await dialog.waitFor({ state: 'hidden' });
  const rulesTable = page.getByRole('table', { name: 'Import rules' });
  await rulesTable.getByRole('row', { name: /Feature requests/ }).waitFor();
  await page.screenshot({ path: join(SHOTS, 'email-import-settings.png'), fullPage: true });

  // Mail from an allowed domain becomes a record; the rule makes it a requirement.
  await mailToImportAddress(smtpPort, {
    from: 'Pat Buyer <pat@customer.example>',
    cc: 'lee@customer.example',
    subject: 'Feature: export invoices to CSV',
    text: 'We would like to export invoices to CSV.\n\nPat',
  });
  // Mail from anywhere else waits in Unmatched mail.
  await mailToImportAddress(smtpPort, {
    from: 'Sam Other <sam@elsewhere.test>',
    subject: 'Re: [EXT] Printer on floor 3 jams',
    text: 'The printer on floor 3 jams on every page.\nPlease have a look.',
  });

  const requirement = await waitFor(async () => {
    const list = await h.admin.get('/api/v1/projects/DEMO/records?type=requirement&q=export%20invoices');
    return list.body.records[0] as { id: string; tag: string; title: string; status: string } | undefined;
  });
  assert.equal(requirement.title, 'Feature: export invoices to CSV');
  assert.equal(requirement.status, 'In progress');

  await page.goto(`${h.running.url}/projects/DEMO/records/${requirement.id}`);
  const participants = page.getByRole('region', { name: 'Email participants' });
  await participants.getByText('pat@customer.example').waitFor();
  await participants.getByText('lee@customer.example').waitFor();
  await participants.getByLabel('Add a participant', { exact: true }).fill('dana@demo.test');
  await participants.getByRole('button', { name: 'Add' }).click();
  await participants.getByText('added by hand').waitFor();
  await page.screenshot({ path: join(SHOTS, 'record-participants.png'), fullPage: true });

  // Unmatched mail: read the message, then Create record.
  await page.goto(`${h.running.url}/admin/inbound`);
  const row = page.getByRole('row', { name: /Printer on floor 3 jams/ });
  await row.waitFor({ timeout: MAIL_WAIT_MS });
  await row.getByText(/does not create records for/).waitFor();
  await row.getByRole('button', { name: 'Create record…' }).click();
  const create = page.getByRole('dialog', { name: 'Create a record from this email' });
  await create.getByText('The printer on floor 3 jams on every page.').waitFor();
  assert.equal(await create.getByLabel('Title', { exact: true }).inputValue(), 'Printer on floor 3 jams', 'tags and Re: stripped');
  await create.getByLabel('Type', { exact: true }).selectOption('defect');
  await page.screenshot({ path: join(SHOTS, 'unmatched-create-record.png') });
  await create.getByRole('button', { name: 'Create record' }).click();
  await create.waitFor({ state: 'hidden' });
  await row.waitFor({ state: 'detached' });
  const defect = await waitFor(
    async () => (await h.admin.get('/api/v1/projects/DEMO/records?type=defect&q=Printer')).body.records[0] as { id: string; title: string } | undefined,
  );
  assert.equal(defect.title, 'Printer on floor 3 jams');
  const emails = (await h.admin.get(`/api/v1/projects/DEMO/records/${defect.id}/emails`)).body.emails;
  assert.equal(emails.find((e: { direction: string }) => e.direction === 'inbound').from, 'sam@elsewhere.test', 'the message is the first email of the record');
});

async function waitFor<T>(check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + MAIL_WAIT_MS;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 250));
  }
}
