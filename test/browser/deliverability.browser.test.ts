/**
 * Deliverability in a real browser (issue 19): a VERP hard bounce arrives through the poll; the
 * record's Email tab says the address bounced; the compose box warns while the address is typed
 * and sends only with "Send anyway"; Admin → Suppressed addresses lists and lifts it, Admin →
 * Users marks the user whose address bounced; Admin → DKIM signing generates a key, shows the
 * DNS record and turns signing on; an inbound reply shows its DMARC badge.
 *
 * Run: node --import tsx --test test/browser/deliverability.browser.test.ts
 * Screenshots go to MAILTRAIL_SCREENSHOTS_DIR, else to a temporary folder.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { dkimModule } from '../../src/dkim/index.js';
import { createTrackingModule } from '../../src/inbound/index.js';
import { outboundModule } from '../../src/outbound/index.js';
import { suppressionModule } from '../../src/suppression/index.js';
import { templatesModule } from '../../src/templates/index.js';
import { bounceAddress } from '../../src/tracking/cookie.js';
import { ADMIN_PASSWORD, USER_PASSWORD, startTestApp, type TestApp } from '../support/app.js';
import { FakeMailbox } from '../inbound/fakeMailbox.js';
import { ensureWebBuilt, launchChromium, requireChromium } from './browser.js';

const SHOTS = process.env.MAILTRAIL_SCREENSHOTS_DIR ?? mkdtempSync(join(tmpdir(), 'mailtrail-shots-'));
const TRACKING = 'tracking@example.test';
const CUSTOMER = 'customer@customer.example';

function fixture(name: string, vars: Record<string, string>): Buffer {
  const text = readFileSync(new URL(`../fixtures/emails/${name}.eml`, import.meta.url), 'latin1');
  return Buffer.from(text.replace(/\{\{([A-Z_]+)\}\}/g, (_m, k: string) => vars[k] ?? `{{${k}}}`).replace(/\r?\n/g, '\r\n'), 'latin1');
}

test('deliverability in Chromium: bounced address on the record, compose warning and Send anyway, suppressed list, DKIM', { timeout: 180_000 }, async (t) => {
  if (!requireChromium(t)) return;
  ensureWebBuilt();
  mkdirSync(SHOTS, { recursive: true });
  const box = new FakeMailbox();
  const h = (await startTestApp(t, 'sqlite', {
    config: { port: 0 },
    modules: [templatesModule, outboundModule(), createTrackingModule({ pollOptions: { opener: box.opener } }), suppressionModule, dkimModule],
  })) as TestApp;
  h.running.ctx.mailAuthResolver = async (name) => {
    throw Object.assign(new Error(`ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
  };
  assert.equal(
    (
      await h.admin.put('/api/v1/admin/email/tracking', {
        protocol: 'pop3',
        host: 'mail.invalid',
        port: 110,
        security: 'none',
        username: 'tracking',
        password: 'secret-password',
        address: TRACKING,
        pollSeconds: 3600,
        deleteUntracked: false,
      })
    ).status,
    200,
  );
  assert.equal((await h.admin.post('/api/v1/projects', { key: 'DLV', name: 'Deliverability' })).status, 201);
  const dev = await h.user('dev', { project: 'DLV', group: 'Developers', email: 'dev@example.test' });
  // A user whose own address is the one that bounces: Admin → Users marks them.
  await h.user('cora', { project: 'DLV', group: 'Developers', email: CUSTOMER });
  const record = await dev.post('/api/v1/projects/DLV/records', { type: 'defect', title: 'Invoice totals are off' });
  const sent = await dev.post(`/api/v1/projects/DLV/records/${record.body.id}/emails`, {
    to: [CUSTOMER],
    subject: 'Invoice totals',
    text: 'Could you check the totals?',
  });
  assert.equal(sent.status, 202);
  const original = await h.running.ctx.store.db.selectFrom('emails').selectAll().where('id', '=', sent.body.id).executeTakeFirstOrThrow();
  box.add(
    fixture('bounce_postfix_verp', {
      COOKIE: original.cookie!,
      MESSAGE_ID: original.message_id!.replace(/^<|>$/g, ''),
      TRACKING,
      VERP: bounceAddress(TRACKING, original.cookie!),
      SENDER: 'dev@example.test',
      CUSTOMER,
    }),
  );
  box.add(
    [
      `From: Somebody <somebody@plain.example>`,
      `To: ${TRACKING}`,
      'Subject: Re: Invoice totals',
      'Message-ID: <late-reply@plain.example>',
      `In-Reply-To: ${original.message_id}`,
      '',
      'I was copied on this; the totals look right to me.',
      '',
    ].join('\r\n'),
  );
  assert.equal((await h.admin.post('/api/v1/admin/email/tracking/poll')).body.imported, 2);

  const browser = await launchChromium();
  t.after(() => browser.close());
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  t.after(() => context.close());
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(err.message));
  t.after(() => assert.deepEqual(problems, [], 'the page threw'));
  const signIn = async (user: string, password: string, path: string) => {
    await page.goto(`${h.running.url}${path}`);
    await page.getByLabel('Username').fill(user);
    await page.getByLabel('Password').fill(password);
    await page.getByLabel('Password').press('Enter');
    await page.locator('header.topbar').waitFor();
  };

  // The record says the address bounced, next to the email that bounced.
  await signIn('dev', USER_PASSWORD, `/projects/DLV/records/${record.body.id}?tab=email`);
  const bounced = page.locator('article.mail-out').first();
  await bounced.locator('.badge', { hasText: 'bounced' }).waitFor();
  const notice = bounced.getByLabel('Suppressed addresses');
  await notice.waitFor();
  assert.match(await notice.innerText(), /customer@customer\.example bounced on .*5\.1\.1/);
  // The stranger's reply carries its authentication verdict.
  await page.locator('article.mail-in .badge', { hasText: 'unauthenticated' }).waitFor();
  assert.equal(await page.locator('article.mail-in .badge', { hasText: 'unauthenticated' }).count(), 1, 'the bounce carries no verdict');
  await page.screenshot({ path: join(SHOTS, 'deliverability-record.png') });

  // Compose: typing the address warns; the button says so; it sends only when insisted.
  await page.getByRole('button', { name: /New tracked email/ }).click();
  const to = page.getByRole('combobox', { name: 'To' });
  await to.fill(CUSTOMER);
  await to.press('Enter');
  const warning = page.getByLabel('Suppressed recipients');
  await warning.waitFor();
  assert.match(await warning.innerText(), /customer@customer\.example bounced on/);
  await page.getByLabel('Message', { exact: true }).fill('One more try at the totals.');
  await page.screenshot({ path: join(SHOTS, 'deliverability-compose.png') });
  const before = (await dev.get(`/api/v1/projects/DLV/records/${record.body.id}/emails`)).body.emails.length as number;
  await page.getByRole('button', { name: 'Send anyway', exact: true }).click();
  await page.getByRole('form', { name: 'New tracked email' }).waitFor({ state: 'detached' });
  const after = (await dev.get(`/api/v1/projects/DLV/records/${record.body.id}/emails`)).body.emails as { text: string }[];
  assert.equal(after.length, before + 1);
  assert.ok(after.some((e) => e.text.includes('One more try')));

  // Admin: the user whose address bounced, the list, lifting.
  await page.context().clearCookies();
  await signIn('admin', ADMIN_PASSWORD, '/admin/users');
  const cora = page.getByRole('row', { name: /cora/ });
  await cora.locator('.badge', { hasText: 'bounced' }).waitFor();
  await page.goto(`${h.running.url}/admin/suppressed`);
  const table = page.getByRole('table', { name: 'Suppressed addresses' });
  await table.getByRole('row', { name: /customer@customer\.example/ }).waitFor();
  assert.match(await table.innerText(), /hard bounce/);
  await page.screenshot({ path: join(SHOTS, 'deliverability-suppressed.png') });
  await page.getByRole('button', { name: `Lift ${CUSTOMER}` }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Lift', exact: true }).click();
  await page.getByText('No suppressed addresses').waitFor();
  assert.equal((await h.admin.get('/api/v1/admin/email/suppressions')).body.total, 0);

  // DKIM: generate, the DNS record shown, signing on.
  await page.goto(`${h.running.url}/admin/dkim`);
  await page.getByLabel('Signing domain').fill('example.test');
  await page.getByRole('button', { name: 'Generate key' }).click();
  const record2 = page.getByLabel('TXT record value');
  await record2.waitFor();
  assert.match(await record2.inputValue(), /^v=DKIM1; k=rsa; p=/);
  assert.match(await page.getByLabel('DNS record').innerText(), /mailtrail\._domainkey\.example\.test/);
  // Controlled by the saved setting: it turns checked once the server says signing is on.
  await page.getByLabel('Sign outgoing mail').click();
  await page.locator('.badge', { hasText: /^signing$/ }).waitFor();
  const dkim = await h.admin.get('/api/v1/admin/email/dkim');
  assert.equal(dkim.body.enabled, true);
  assert.equal(dkim.body.dnsRecord.value, await record2.inputValue());
  await page.screenshot({ path: join(SHOTS, 'deliverability-dkim.png') });
});
