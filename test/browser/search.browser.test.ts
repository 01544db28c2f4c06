/**
 * Search in Chromium, as people use it: `g` in the header, an id and Enter opens the record; a
 * word that only a customer's reply contains finds the record on the results page, highlighted.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createTrackingModule } from '../../src/inbound/index.js';
import { outboundModule } from '../../src/outbound/index.js';
import { Sender } from '../../src/outbound/sender.js';
import { FakeMailbox } from '../inbound/fakeMailbox.js';
import { USER_PASSWORD, startTestApp, type TestApp } from '../support/app.js';
import { SmtpSink } from '../support/smtpSink.js';
import { ensureWebBuilt, launchChromium, requireChromium, signedInPage } from './browser.js';

const TRACKING = 'tracking@example.test';
const CUSTOMER = 'customer@customer.example';

const signIn = (t: TestContext, browser: Browser, baseUrl: string, username: string, path = '/'): Promise<Page> => signedInPage(t, browser, baseUrl, username, USER_PASSWORD, path);

test('search and jump to id in Chromium', { timeout: 180_000 }, async (t) => {
  if (!requireChromium(t)) return;
  ensureWebBuilt();
  const sink = await new SmtpSink().start();
  t.after(() => sink.stop());
  const box = new FakeMailbox();
  const h = (await startTestApp(t, 'sqlite', { config: { port: 0 }, modules: [outboundModule(), createTrackingModule({ pollOptions: { opener: box.opener } })] })) as TestApp;
  assert.equal((await h.admin.put('/api/v1/admin/email/sending', { host: '127.0.0.1', port: sink.port, security: 'none' })).status, 200);
  const tracking = { protocol: 'pop3', host: 'mail.invalid', port: 110, security: 'none', username: 'tracking', password: 'secret-password', address: TRACKING, pollSeconds: 60, deleteUntracked: false };
  assert.equal((await h.admin.put('/api/v1/admin/email/tracking', tracking)).status, 200);
  assert.equal((await h.admin.post('/api/v1/projects', { key: 'WEB', name: 'Web shop' })).status, 201);
  const ann = await h.user('ann', { project: 'WEB', email: 'ann@example.test' });
  await ann.post('/api/v1/projects/WEB/records', { type: 'defect', title: 'Checkout fails' });
  await ann.post('/api/v1/projects/WEB/records', { type: 'requirement', title: 'Pay by invoice' });
  const rec = await ann.post('/api/v1/projects/WEB/records', { type: 'defect', title: 'Totals are off by one' });
  assert.equal(rec.body.tag, 'WEB-D2');
  const sent = await ann.post(`/api/v1/projects/WEB/records/${rec.body.id}/emails`, { to: [CUSTOMER], subject: 'Totals', text: 'Which report do you look at?' });
  assert.equal(sent.status, 202);
  const sender = new Sender(h.running.ctx);
  t.after(() => sender.stop());
  assert.equal(await sender.drain(), 1);
  const original = await h.running.ctx.store.db.selectFrom('emails').selectAll().where('id', '=', sent.body.id).executeTakeFirstOrThrow();
  box.add(
    Buffer.from(
      [
        'MIME-Version: 1.0',
        `References: ${original.message_id}`,
        `In-Reply-To: ${original.message_id}`,
        '<reply-1@customer.example>'.replace(/^/, 'Message-ID: '),
        'Subject: Re: Totals',
        `From: Casey Customer <${CUSTOMER}>`,
        `To: ${TRACKING}`,
        'Content-Type: text/plain; charset=UTF-8',
        '',
        'The quarterly marmalade report, page two.',
        '',
        '> Which report do you look at?',
        `> Mailtrail ref: ${original.cookie}`,
        '',
      ].join('\r\n'),
    ),
  );
  assert.equal((await h.admin.post('/api/v1/admin/email/tracking/poll')).body.imported, 1);

  const browser = await launchChromium();
  t.after(() => browser.close());
  const page = await signIn(t, browser, h.running.url, 'ann', '/projects/WEB');

  // g, an id, Enter: the record opens.
  await page.locator('main').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('g');
  const jump = page.getByRole('textbox', { name: 'Search WEB or go to an id' });
  await jump.waitFor();
  // Typed keys land in the box only when g focused it.
  await page.keyboard.type('WEB-D2');
  assert.equal(await jump.inputValue(), 'WEB-D2', 'g focuses the jump box');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: 'Totals are off by one' }).waitFor();
  assert.match(await page.title(), /WEB-D2 Totals are off by one/);
  // The short form works too, from the record page.
  await page.keyboard.press('g');
  await page.keyboard.type('d1');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: 'Checkout fails' }).waitFor();

  // A word only the customer's reply has: the results page finds the record, the word highlighted.
  await page.keyboard.press('g');
  await page.keyboard.type('marmalade');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: 'Search' }).waitFor();
  const results = page.getByRole('list', { name: 'Search results' });
  const first = results.getByRole('listitem').first();
  await first.waitFor();
  assert.equal(await results.getByRole('listitem').count(), 1);
  const said = (await first.innerText()).replace(/\s+/g, ' ');
  assert.match(said, /WEB-D2/);
  assert.match(said, /Reply from Casey Customer/);
  assert.equal(await first.locator('mark').innerText(), 'marmalade');
  // The result opens the record on its Email tab, where the reply is.
  await first.getByRole('link', { name: 'Totals are off by one' }).click();
  await page.getByText('The quarterly marmalade report, page two.').first().waitFor();
  assert.match(page.url(), /tab=email/);

  // Nothing found says so; the id of another type needs its letter.
  await page.goto(`${h.running.url}/projects/WEB/search?q=${encodeURIComponent('no such words anywhere')}`);
  await page.getByText('Nothing found').waitFor();
  await page.getByRole('searchbox', { name: 'Search words or a record id' }).fill('R1');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await results.getByRole('link', { name: 'Pay by invoice' }).waitFor();

  // Readable addresses: the record lives at /records/WEB-D2; an old /records/<internal id> link redirects there.
  await page.goto(`${h.running.url}/projects/WEB/records/${rec.body.id}?tab=email`);
  await page.waitForURL(/\/projects\/WEB\/records\/WEB-D2\?tab=email$/);
  await page.getByRole('heading', { level: 1, name: 'Totals are off by one' }).waitFor();
  // View raw shows the message source as text in the app, not a download.
  const reply = page.locator('article', { hasText: 'The quarterly marmalade report' }).first();
  await reply.getByRole('button', { name: 'View raw' }).click();
  const raw = page.getByRole('dialog', { name: /Source of/ });
  const source = raw.getByLabel('Message source');
  await source.waitFor();
  const rawText = await source.innerText();
  assert.match(rawText, /Message-ID: <reply-1@customer\.example>/);
  assert.match(rawText, /The quarterly marmalade report, page two\./);
  await raw.getByRole('button', { name: 'Close' }).click();
  await raw.waitFor({ state: 'hidden' });

  // Permission errors in words: a person who may see only defects opens a requirement.
  assert.equal((await h.admin.post('/api/v1/projects/WEB/security-groups', { name: 'Defect readers', commands: ['defects.view'] })).status, 201);
  await h.user('dora', { project: 'WEB', group: 'Defect readers' });
  const dora = await signIn(t, browser, h.running.url, 'dora', '/projects/WEB/records/WEB-R1');
  await dora.getByRole('heading', { name: 'Not allowed' }).waitFor();
  const why = (await dora.locator('main').innerText()).replace(/\s+/g, ' ');
  assert.match(why, /You are not allowed to see requirements in this project/);
  assert.doesNotMatch(why, /requirements\.view/, 'no internal command names');
});
