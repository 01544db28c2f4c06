import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test, type TestContext } from 'node:test';
import { createTrackingModule } from '../../src/inbound/index.js';
import { outboundModule } from '../../src/outbound/index.js';
import { rulesModule } from '../../src/rules/index.js';
import { suppressionModule } from '../../src/suppression/index.js';
import { templatesModule } from '../../src/templates/index.js';
import { bounceAddress } from '../../src/tracking/cookie.js';
import type { EmailRow } from '../../src/store/schema.js';
import { startTestApp, type ApiClient, type TestApp } from '../support/app.js';
import { STORE_KINDS, type StoreKind } from '../support/stores.js';
import { FakeMailbox } from '../inbound/fakeMailbox.js';
import { Sender } from '../../src/outbound/sender.js';
import { saysMailboxIsGone } from '../../src/suppression/index.js';
import { SmtpSink } from '../support/smtpSink.js';

/**
 * The suppression list on both databases: a VERP-verified hard bounce or a trusted spam
 * complaint suppresses the address; the next send to it is refused (409 recipient_suppressed)
 * unless forced; the Email tab names it; an admin lists, adds and lifts entries; notification
 * rules skip it. Bounces come through the real poll route from an in-memory mailbox.
 */
const TRACKING = 'tracking@example.test';
const SENDER = 'dev@example.test';
const CUSTOMER = 'customer@customer.example';
const OTHER = 'other@customer.example';

function fixture(name: string, vars: Record<string, string>): Buffer {
  const text = readFileSync(new URL(`../fixtures/emails/${name}.eml`, import.meta.url), 'latin1');
  return Buffer.from(text.replace(/\{\{([A-Z_]+)\}\}/g, (_m, k: string) => vars[k] ?? `{{${k}}}`).replace(/\r?\n/g, '\r\n'), 'latin1');
}

/** An RFC 5965 report from a feedback loop, to our tracking address (not the VERP one). */
function arf(vars: Record<string, string>, opts: { withCopy: boolean; rcpt?: string }): Buffer {
  const copy = opts.withCopy
    ? [
        '--arf',
        'Content-Type: message/rfc822',
        '',
        `From: Dev Tester <${vars.SENDER}>`,
        `To: ${vars.CUSTOMER}`,
        'Subject: [TRK-D1] Invoice totals',
        `Message-ID: <${vars.MESSAGE_ID}>`,
        '',
        'Could you check the totals?',
        '',
      ]
    : [];
  return Buffer.from(
    [
      'From: Feedback Loop <fbl@isp.example>',
      `To: ${vars.TRACKING}`,
      'Subject: FW: [TRK-D1] Invoice totals',
      'Date: Wed, 02 Dec 2026 10:00:00 +0000',
      'Message-ID: <report-1@isp.example>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=feedback-report; boundary="arf"',
      '',
      '--arf',
      'Content-Type: text/plain',
      '',
      `This is an email abuse report for an email message received. Mailtrail ref: ${vars.COOKIE}`,
      '',
      '--arf',
      'Content-Type: message/feedback-report',
      '',
      'Feedback-Type: abuse',
      'User-Agent: SomeGenerator/1.0',
      'Version: 1',
      ...(opts.rcpt ? [`Original-Rcpt-To: ${opts.rcpt}`] : []),
      '',
      ...copy,
      '--arf--',
      '',
    ].join('\r\n'),
  );
}

interface Ctx {
  h: TestApp;
  box: FakeMailbox;
  dev: ApiClient;
  recordId: string;
  original: EmailRow;
  vars: Record<string, string>;
  poll(): Promise<Record<string, number>>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each test asserts the fields it reads
  send(body: Record<string, unknown>): Promise<{ status: number; body: any }>;
  thread(): Promise<{ emails: { id: string; status: string; direction: string; flags: Record<string, unknown> }[]; suppressed: { address: string; reason: string; since: string; emailId: string | null }[] }>;
}

async function setup(t: TestContext, kind: StoreKind, to: string[] = [CUSTOMER]): Promise<Ctx | undefined> {
  const box = new FakeMailbox();
  const h = await startTestApp(t, kind, { modules: [templatesModule, outboundModule(), createTrackingModule({ pollOptions: { opener: box.opener } }), rulesModule, suppressionModule] });
  if (!h) return undefined;
  const put = await h.admin.put('/api/v1/admin/email/tracking', {
    protocol: 'pop3',
    host: 'mail.invalid',
    port: 110,
    security: 'none',
    username: 'tracking',
    password: 'secret-password',
    address: TRACKING,
    pollSeconds: 60,
    deleteUntracked: false,
  });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  assert.equal((await h.admin.post('/api/v1/projects', { key: 'TRK', name: 'Tracking' })).status, 201);
  const dev = await h.user('dev', { project: 'TRK', group: 'Developers', email: SENDER });
  const record = await dev.post('/api/v1/projects/TRK/records', { type: 'defect', title: 'Totals are off by one' });
  const send = (body: Record<string, unknown>) => dev.post(`/api/v1/projects/TRK/records/${record.body.id}/emails`, { subject: 'Invoice totals', text: 'Could you check the totals?', ...body });
  const sent = await send({ to });
  assert.equal(sent.status, 202, JSON.stringify(sent.body));
  const db = h.running.ctx.store.db;
  const original = await db.selectFrom('emails').selectAll().where('id', '=', sent.body.id).executeTakeFirstOrThrow();
  const vars = {
    COOKIE: original.cookie!,
    MESSAGE_ID: original.message_id!.replace(/^<|>$/g, ''),
    TRACKING,
    VERP: bounceAddress(TRACKING, original.cookie!),
    SENDER,
    CUSTOMER,
  };
  return {
    h,
    box,
    dev,
    recordId: record.body.id,
    original,
    vars,
    poll: async () => (await h.admin.post('/api/v1/admin/email/tracking/poll')).body,
    send,
    thread: async () => (await dev.get(`/api/v1/projects/TRK/records/${record.body.id}/emails`)).body,
  };
}

test('which SMTP refusals say the mailbox is gone', () => {
  for (const yes of ['550 5.1.1 <a@b.example>: Recipient address rejected: User unknown', '550-5.1.1 The email account that you tried to reach does not exist', '553 5.1.2 bad destination system', '556 5.1.10 null MX', '550 5.2.1 mailbox disabled', '550 no such user here']) {
    assert.equal(saysMailboxIsGone(yes), true, yes);
  }
  for (const no of ['554 5.7.1 <a@b.example>: Relay access denied', '550 5.7.1 rejected as spam', '452 4.2.2 mailbox full', '550 5.2.2 mailbox full', '421 try later', '550 rejected by policy']) {
    assert.equal(saysMailboxIsGone(no), false, no);
  }
});

for (const kind of STORE_KINDS) {
  describe(`suppression list on ${kind}`, { timeout: 60_000 }, () => {
    test('a VERP hard bounce suppresses the address: the next send is refused, forced or lifted it goes', async (t) => {
      const c = await setup(t, kind);
      if (!c) return;
      c.box.add(fixture('bounce_postfix_verp', c.vars));
      assert.equal((await c.poll()).imported, 1);

      const thread = await c.thread();
      assert.equal(thread.emails.find((e) => e.id === c.original.id)!.status, 'failed');
      assert.equal(thread.suppressed.length, 1);
      assert.equal(thread.suppressed[0]!.address, CUSTOMER);
      assert.equal(thread.suppressed[0]!.reason, 'bounce');
      assert.equal(thread.suppressed[0]!.emailId, c.original.id);

      const refused = await c.send({ to: [CUSTOMER.toUpperCase()], cc: [] });
      assert.equal(refused.status, 409, JSON.stringify(refused.body));
      assert.equal(refused.body.error.code, 'recipient_suppressed');
      assert.match(refused.body.error.message, /customer@customer\.example bounced on \d{4}-\d\d-\d\d \(5\.1\.1/);
      assert.deepEqual(refused.body.error.details.suppressed.map((s: { address: string }) => s.address), [CUSTOMER]);
      // A reply defaults to the original's recipients: refused the same way.
      const reply = await c.dev.post(`/api/v1/emails/${c.original.id}/reply`, { text: 'Trying again' });
      assert.equal(reply.status, 409);
      assert.equal(reply.body.error.code, 'recipient_suppressed');
      // Cc counts too.
      assert.equal((await c.send({ to: ['someone@else.example'], cc: [CUSTOMER] })).status, 409);
      const outboxBefore = await c.h.running.ctx.store.db.selectFrom('outbox').select('id').execute();

      const forced = await c.send({ to: [CUSTOMER], force: true });
      assert.equal(forced.status, 202, JSON.stringify(forced.body));
      const outboxAfter = await c.h.running.ctx.store.db.selectFrom('outbox').select('id').execute();
      assert.equal(outboxAfter.length, outboxBefore.length + 1, 'only the forced send was queued');

      const list = await c.h.admin.get('/api/v1/admin/email/suppressions');
      assert.equal(list.status, 200);
      assert.equal(list.body.total, 1);
      assert.equal(list.body.entries[0].address, CUSTOMER);
      assert.match(list.body.entries[0].detail, /5\.1\.1/);
      assert.equal((await c.dev.get('/api/v1/admin/email/suppressions')).status, 403, 'admins only');
      assert.equal((await c.dev.delete(`/api/v1/admin/email/suppressions/${encodeURIComponent(CUSTOMER)}`)).status, 403);

      assert.equal((await c.h.admin.delete(`/api/v1/admin/email/suppressions/${encodeURIComponent(CUSTOMER)}`)).status, 204);
      assert.equal((await c.h.admin.delete(`/api/v1/admin/email/suppressions/${encodeURIComponent(CUSTOMER)}`)).status, 404);
      assert.equal((await c.send({ to: [CUSTOMER] })).status, 202, 'lifted: sent again');
      assert.deepEqual((await c.thread()).suppressed, []);
    });

    test('a bounce off the VERP route, and a bounce naming an address the email never went to, suppress nothing', async (t) => {
      const c = await setup(t, kind, [CUSTOMER, OTHER]);
      if (!c) return;
      c.box.add(fixture('bounce_matched_by_original_message_id', c.vars));
      c.box.add(fixture('bounce_postfix_verp', { ...c.vars, CUSTOMER: 'stranger@victim.example' }));
      assert.equal((await c.poll()).imported, 2);
      assert.deepEqual((await c.h.admin.get('/api/v1/admin/email/suppressions')).body.entries, []);
      assert.equal((await c.send({ to: [CUSTOMER] })).status, 202);
    });

    test('a VERP bounce of a two-recipient email suppresses only the address it names', async (t) => {
      const c = await setup(t, kind, [CUSTOMER, OTHER]);
      if (!c) return;
      c.box.add(fixture('bounce_postfix_verp', c.vars));
      await c.poll();
      assert.deepEqual((await c.h.admin.get('/api/v1/admin/email/suppressions')).body.entries.map((e: { address: string }) => e.address), [CUSTOMER]);
      assert.equal((await c.send({ to: [OTHER] })).status, 202);
    });

    test('a spam complaint carrying our message suppresses its recipient; one with only a cookie in the text does not', async (t) => {
      const c = await setup(t, kind);
      if (!c) return;
      c.box.add(arf(c.vars, { withCopy: false }));
      await c.poll();
      let thread = await c.thread();
      const unverified = thread.emails.find((e) => e.direction === 'inbound')!;
      assert.equal(unverified.flags.complaintUnverified, true);
      assert.deepEqual(thread.suppressed, []);

      c.box.add(arf(c.vars, { withCopy: true }));
      await c.poll();
      thread = await c.thread();
      const complaint = thread.emails.filter((e) => e.direction === 'inbound').find((e) => !e.flags.complaintUnverified)!;
      assert.deepEqual(complaint.flags.complaint, { feedbackType: 'abuse', recipient: CUSTOMER, originalMessageId: c.vars.MESSAGE_ID });
      assert.equal(thread.suppressed.length, 1);
      assert.equal(thread.suppressed[0]!.reason, 'complaint');
      const refused = await c.send({ to: [CUSTOMER] });
      assert.equal(refused.status, 409);
      assert.match(refused.body.error.message, /reported it as spam/);
    });

    test('an SMTP server that refuses a mailbox at RCPT TO suppresses it; a relay or policy refusal does not', async (t) => {
      const c = await setup(t, kind);
      if (!c) return;
      const sink = await new SmtpSink().start();
      t.after(() => sink.stop());
      assert.equal((await c.h.admin.put('/api/v1/admin/email/sending', { host: '127.0.0.1', port: sink.port, security: 'none' })).status, 200);
      sink.rejectAddress.set('gone@customer.example', { code: 550, message: '5.1.1 <gone@customer.example>: Recipient address rejected: User unknown' });
      sink.rejectAddress.set('far@elsewhere.example', { code: 554, message: '5.7.1 <far@elsewhere.example>: Relay access denied' });
      const partly = await c.send({ to: ['here@customer.example', 'gone@customer.example'] });
      const refused = await c.send({ to: ['far@elsewhere.example'] });
      const alone = await c.send({ to: ['gone-too@customer.example'] });
      sink.rejectAddress.set('gone-too@customer.example', { code: 550, message: '5.1.1 no such mailbox' });
      const sender = new Sender(c.h.running.ctx);
      await sender.drain();
      await sender.stop();
      const status = async (id: string) => (await c.dev.get(`/api/v1/emails/${id}`)).body as { status: string; error?: string };
      assert.equal((await status(partly.body.id)).status, 'sent');
      assert.match((await status(partly.body.id)).error ?? '', /Not accepted for: gone@customer\.example/);
      assert.equal((await status(refused.body.id)).status, 'failed');
      assert.equal((await status(alone.body.id)).status, 'failed');
      const entries = (await c.h.admin.get('/api/v1/admin/email/suppressions')).body.entries as { address: string; reason: string; detail: string; emailId: string }[];
      assert.deepEqual(entries.map((e) => e.address).sort(), ['gone-too@customer.example', 'gone@customer.example']);
      assert.ok(entries.every((e) => e.reason === 'bounce' && /5\.1\.1/.test(e.detail)));
      assert.equal(entries.find((e) => e.address === 'gone@customer.example')!.emailId, partly.body.id);
      assert.equal((await c.send({ to: ['gone@customer.example'] })).status, 409);
      assert.equal((await c.send({ to: ['far@elsewhere.example'] })).status, 202, 'a relay refusal says nothing about the address');
    });

    test('admins add addresses by hand; project members check addresses for the compose box; rules skip suppressed addresses', async (t) => {
      const c = await setup(t, kind);
      if (!c) return;
      const added = await c.h.admin.post('/api/v1/admin/email/suppressions', { address: 'Quiet@Example.Test', detail: 'asked not to be mailed' });
      assert.equal(added.status, 201, JSON.stringify(added.body));
      assert.equal(added.body.address, 'quiet@example.test');
      assert.equal(added.body.reason, 'manual');
      assert.equal(added.body.createdBy, 'admin');
      assert.equal((await c.h.admin.post('/api/v1/admin/email/suppressions', { address: 'not an address' })).status, 400);

      const check = await c.dev.post('/api/v1/projects/TRK/suppressions/check', { addresses: ['QUIET@example.test', CUSTOMER] });
      assert.equal(check.status, 200);
      assert.deepEqual(check.body.suppressed.map((s: { address: string }) => s.address), ['quiet@example.test']);
      const outsider = await c.h.user('outsider');
      assert.equal((await outsider.post('/api/v1/projects/TRK/suppressions/check', { addresses: [CUSTOMER] })).status, 404);

      const search = await c.h.admin.get('/api/v1/admin/email/suppressions?q=QUIET');
      assert.equal(search.body.total, 1);
      assert.equal((await c.h.admin.get('/api/v1/admin/email/suppressions?q=nobody')).body.total, 0);

      // A rule that mails a suppressed address queues nothing for it, and the change still goes through.
      const rule = await c.h.admin.post('/api/v1/projects/TRK/notification-rules', {
        name: 'Tell the quiet one',
        enabled: true,
        event: 'record.updated',
        recordTypes: [],
        recipients: ['address:quiet@example.test', 'address:loud@example.test'],
        template: 'Record changed',
        tracked: true,
      });
      assert.equal(rule.status, 201, JSON.stringify(rule.body));
      const before = await c.h.running.ctx.store.db.selectFrom('emails').select('to_list').where('source', '=', 'rule').execute();
      const edit = await c.dev.patch(`/api/v1/projects/TRK/records/${c.recordId}`, { title: 'Totals are off by two' });
      assert.equal(edit.status, 200, JSON.stringify(edit.body));
      const after = await c.h.running.ctx.store.db.selectFrom('emails').select('to_list').where('source', '=', 'rule').execute();
      const mailed = after.slice(before.length).map((e) => (JSON.parse(e.to_list) as { address: string }[])[0]!.address);
      assert.deepEqual(mailed, ['loud@example.test']);
    });
  });
}
