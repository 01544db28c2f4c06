/**
 * Compose in Chromium (issue 16 item 6): a draft typed on the Email tab survives a switch to
 * Overview and a reload; a file dropped on the compose box is attached, sent, and arrives in the
 * recipient's mailbox (the real Postfix and Dovecot) byte for byte; the subject hint is the
 * subject received.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { simpleParser } from 'mailparser';
import { outboundModule } from '../../src/outbound/index.js';
import { setTrackingSettings } from '../../src/store/trackingAccounts.repository.js';
import { newAddress, peersConfig, readAllImap, requirePeers, waitForMessageCount } from '../harness/mailPeers.js';
import { drainOutbox } from '../inbound/support.js';
import { USER_PASSWORD, startTestApp, type TestApp } from '../support/app.js';
import { ensureWebBuilt, launchChromium, requireChromium, screenshotPath } from './browser.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test('compose in Chromium: a draft survives a tab switch and a reload; a dropped file arrives', { timeout: 240_000 }, async (t) => {
  if (!(await requireChromium(t))) return;
  if (!(await requirePeers(t))) return;
  ensureWebBuilt();
  const h = (await startTestApp(t, 'sqlite', { modules: [outboundModule()], config: { port: 0 } })) as TestApp;
  const peers = peersConfig();
  const tracking = newAddress('tracking');
  const customer = newAddress('customer');
  assert.equal(
    (await h.admin.put('/api/v1/admin/email/sending', { host: peers.host, port: peers.smtpPort, security: 'none', allowSelfSigned: true })).status,
    200,
  );
  await setTrackingSettings(h.running.ctx.store.db, { address: tracking });
  assert.equal((await h.admin.post('/api/v1/projects', { key: 'WEB', name: 'Web shop' })).status, 201);
  const ann = await h.user('ann', { project: 'WEB', email: newAddress('ann') });
  const record = await ann.post('/api/v1/projects/WEB/records', { type: 'defect', title: 'Checkout fails' });

  const browser = await launchChromium();
  t.after(() => browser.close());
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(err.message));
  await page.goto(`${h.running.url}/projects/WEB/records/WEB-D1?tab=email`);
  await page.getByLabel('Username').fill('ann');
  await page.getByLabel('Password').fill(USER_PASSWORD);
  await page.getByLabel('Password').press('Enter');
  await page.getByRole('button', { name: /New tracked email/ }).click();

  // Type a draft; it is saved on the server as it is typed.
  const form = page.getByRole('form', { name: 'New tracked email' });
  await form.getByLabel('To', { exact: true }).fill(customer);
  await form.getByLabel('To', { exact: true }).press('Enter');
  await form.getByLabel('Subject').fill('Screenshot of the failure');
  await form.getByLabel('Message').fill('The log is attached; it fails at the payment step.');
  await form.getByText('Draft saved').waitFor();

  // A tab switch and back, then a reload: the draft is still there, as typed.
  await page.getByRole('tab', { name: 'Overview' }).click();
  await page.getByRole('heading', { level: 1, name: 'Checkout fails' }).waitFor();
  assert.equal(await page.getByRole('form', { name: 'New tracked email' }).count(), 0);
  await page.getByRole('tab', { name: /Email/ }).click();
  assert.equal(await form.getByLabel('Message').inputValue(), 'The log is attached; it fails at the payment step.');
  await page.reload();
  await form.waitFor();
  assert.equal(await form.getByLabel('Message').inputValue(), 'The log is attached; it fails at the payment step.');
  assert.equal(await form.getByLabel('Subject').inputValue(), 'Screenshot of the failure');
  await form.locator('.chip', { hasText: customer }).waitFor();

  // Drop a file on the compose box, as from a file manager.
  const bytes = randomBytes(150_000);
  const dataTransfer = await page.evaluateHandle(
    ({ b64 }) => {
      // The page's DOM, typed by hand: the tests compile without the DOM library.
      const w = globalThis as unknown as {
        DataTransfer: new () => { items: { add(file: unknown): void } };
        File: new (parts: unknown[], name: string, options: { type: string }) => unknown;
        atob(text: string): string;
      };
      const dt = new w.DataTransfer();
      const raw = Uint8Array.from(w.atob(b64), (c) => c.charCodeAt(0));
      dt.items.add(new w.File([raw], 'payment.log', { type: 'application/octet-stream' }));
      return dt;
    },
    { b64: bytes.toString('base64') },
  );
  await form.dispatchEvent('dragenter', { dataTransfer });
  await form.dispatchEvent('dragover', { dataTransfer });
  await form.dispatchEvent('drop', { dataTransfer });
  await form.getByRole('list', { name: 'Attachments' }).getByText('payment.log').waitFor();
  const hint = (await form.getByTestId('subject-on-wire').innerText()).replace(/\s+/g, ' ');
  const shown = /Recipients see “(.+)”/.exec(hint)?.[1];
  assert.match(shown ?? '', /^\[WEB-D1 [0-9a-z]{8}\] Screenshot of the failure$/, hint);
  await form.screenshot({ path: screenshotPath('compose-attachment.png') });

  // The file is still with the draft after another reload, then the email goes out.
  await page.reload();
  await form.getByRole('list', { name: 'Attachments' }).getByText('payment.log').waitFor();
  await form.getByRole('button', { name: 'Send' }).click();
  await page.getByText('Email queued').waitFor();
  assert.equal(await page.getByRole('form', { name: 'New tracked email' }).count(), 0, 'a sent draft is gone');
  assert.equal(await drainOutbox(h), 1);

  await waitForMessageCount(customer, 1);
  const [raw] = await readAllImap(customer);
  const received = await simpleParser(raw!);
  assert.equal(received.subject, shown, 'the subject received is the hint');
  assert.deepEqual(
    received.attachments.map((a) => [a.filename, sha256(a.content)]),
    [['payment.log', sha256(bytes)]],
  );
  assert.deepEqual((await ann.get(`/api/v1/projects/WEB/records/${record.body.id}/drafts`)).body.drafts, []);
  assert.deepEqual(problems, []);
});
