import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test, type TestContext } from 'node:test';
import { createTrackingModule } from '../../src/inbound/index.js';
import { inboundDb } from '../../src/inbound/inbound.table.js';
import { outboundModule } from '../../src/outbound/index.js';
import { bounceAddress, createCookie, subjectToken } from '../../src/tracking/cookie.js';
import type { EmailRow } from '../../src/store/schema.js';
import { startTestApp, type ApiClient, type TestApp } from '../support/app.js';
import { STORE_KINDS, type StoreKind } from '../support/stores.js';
import { FakeMailbox } from './fakeMailbox.js';

/**
 * The inbound pipeline on both databases, without a mail server: fixtures from
 * test/fixtures/emails go into an in-memory mailbox, the poll route runs, and the outcome is
 * checked in the thread, the outbox and the admin list. One test per scenario.
 */
const TRACKING = 'tracking@example.test';
const SENDER = 'dev@example.test';
const CUSTOMER = 'customer@customer.example';

function fixture(name: string, vars: Record<string, string>): Buffer {
  const text = readFileSync(new URL(`../fixtures/emails/${name}.eml`, import.meta.url), 'latin1');
  return Buffer.from(text.replace(/\{\{([A-Z_]+)\}\}/g, (_m, k: string) => vars[k] ?? `{{${k}}}`).replace(/\r?\n/g, '\r\n'), 'latin1');
}

interface Ctx {
  h: TestApp;
  box: FakeMailbox;
  dev: ApiClient;
  recordId: string;
  original: EmailRow;
  vars: Record<string, string>;
  poll(): Promise<{ status: number; body: Record<'fetched' | 'imported' | 'forwarded' | 'deletedUntracked' | 'kept' | 'rejected', number> }>;
  thread(): Promise<
    {
      id: string;
      parentId: string | null;
      direction: string;
      status: string;
      replyText: string | null;
      html?: string;
      text: string;
      flags: Record<string, unknown>;
      attachments: { id: string; filename: string }[];
    }[]
  >;
  outboxForwards(): Promise<{ email_id: string; forward_to: string | null }[]>;
  inbound(): Promise<{ id: string; state: string; reason: string | null; email_id: string | null; target_email_id: string | null }[]>;
}

async function setup(t: TestContext, kind: StoreKind, opts: { deleteUntracked?: boolean } = {}): Promise<Ctx | undefined> {
  const box = new FakeMailbox();
  const h = await startTestApp(t, kind, { modules: [outboundModule(), createTrackingModule({ pollOptions: { opener: box.opener } })] });
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
    deleteUntracked: opts.deleteUntracked ?? false,
  });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  assert.equal((await h.admin.post('/api/v1/projects', { key: 'TRK', name: 'Tracking' })).status, 201);
  const dev = await h.user('dev', { project: 'TRK', group: 'Developers', email: SENDER });
  const record = await dev.post('/api/v1/projects/TRK/records', { type: 'defect', title: 'Totals are off by one' });
  const sent = await dev.post(`/api/v1/projects/TRK/records/${record.body.id}/emails`, {
    to: [CUSTOMER],
    subject: 'Invoice totals',
    text: 'Could you check the totals on the March invoice?',
  });
  assert.equal(sent.status, 202, JSON.stringify(sent.body));
  const db = h.running.ctx.store.db;
  const original = await db.selectFrom('emails').selectAll().where('id', '=', sent.body.id).executeTakeFirstOrThrow();
  assert.ok(original.cookie, 'the original is tracked');
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
    poll: async () => {
      const r = await h.admin.post('/api/v1/admin/email/tracking/poll');
      return { status: r.status, body: r.body };
    },
    thread: async () => (await dev.get(`/api/v1/projects/TRK/records/${record.body.id}/emails`)).body.emails,
    outboxForwards: () => db.selectFrom('outbox').select(['email_id', 'forward_to']).where('kind', '=', 'forward').execute(),
    inbound: () => inboundDb(db).selectFrom('inbound_messages').select(['id', 'state', 'reason', 'email_id', 'target_email_id']).orderBy('id').execute(),
  };
}

const counts = (o: Partial<Record<'fetched' | 'imported' | 'forwarded' | 'deletedUntracked' | 'kept' | 'rejected', number>>) => ({
  fetched: 0,
  imported: 0,
  forwarded: 0,
  deletedUntracked: 0,
  kept: 0,
  rejected: 0,
  ...o,
});

for (const kind of STORE_KINDS) {
  describe(`inbound pipeline on ${kind}`, () => {
    test('reply_gmail_in_reply_to: attached, trimmed at our marker, forwarded, removed', async (t) => {
      const c = await setup(t, kind);
      if (!c) return;
      c.box.add(fixture('reply_gmail_in_reply_to', c.vars));
      const poll = await c.poll();
      assert.deepEqual(poll.body, counts({ fetched: 1, imported: 1, forwarded: 1 }));
      const thread = await c.thread();
      const reply = thread.find((e) => e.direction === 'inbound')!;
      assert.equal(reply.parentId, c.original.id);
      assert.equal(reply.replyText, 'Yes, the March totals are wrong by exactly one line.');
      assert.match(reply.text, /Mailtrail ref/, 'text keeps everything');
      assert.equal(reply.flags.matchedVia, 'in-reply-to');
      assert.deepEqual(await c.outboxForwards(), [{ email_id: reply.id, forward_to: SENDER }]);
      assert.equal(c.box.messages.size, 0);
    });

    test('reply_html_hostile: scripts, handlers, javascript: links and frames gone; remote images blocked; cid image served', async (t) => {
      const c = await setup(t, kind);
      if (!c) return;
      c.box.add(fixture('reply_html_hostile', c.vars));
      assert.equal((await c.poll()).body.imported, 1);
      const reply = (await c.thread()).find((e) => e.direction === 'inbound')!;
      const html = reply.html ?? '';
      for (const bad of ['<script', 'onload', 'onclick', 'javascript:', '<iframe', '<form', '<input', '<style', 'url(']) {
        assert.ok(!html.toLowerCase().includes(bad.toLowerCase()), `sanitised HTML still contains ${bad}: ${html}`);
      }
      assert.doesNotMatch(html, /(?<!-)src="https:\/\/tracker/, 'no remote image is loaded');
      assert.match(html, /data-blocked-src="https:\/\/tracker\.example\/open\.gif\?u=42"/);
      const shot = reply.attachments.find((a) => a.filename === 'shot.png')!;
      assert.ok(shot, 'the inline image is stored as an attachment');
      assert.ok(html.includes(`src="/api/v1/emails/${reply.id}/attachments/${shot.id}"`), html);
      assert.match(html, /href="https:\/\/example\.org\/ok"/);
    });

    test('reply_forged_cookie: never attached, counted rejected, listed for admins', async (t) => {
      const c = await setup(t, kind);
      if (!c) return;
      // Same email id, MAC altered in its last character.
      const forged = c.vars.COOKIE!.slice(0, -1) + (c.vars.COOKIE!.endsWith('a') ? 'b' : 'a');
      c.box.add(fixture('reply_forged_cookie', { ...c.vars, COOKIE: forged, MESSAGE_ID: `${forged}@example.test` }));
      assert.deepEqual((await c.poll()).body, counts({ fetched: 1, rejected: 1, kept: 1 }));
      assert.equal((await c.thread()).length, 1, 'nothing attached');
      assert.deepEqual(await c.outboxForwards(), []);
      const list = await c.h.admin.get('/api/v1/admin/inbound?state=rejected');
      assert.equal(list.body.messages.length, 1);
      assert.equal(list.body.messages[0].reason, 'cookie_forged');
      assert.match(list.body.messages[0].message, /did not issue/);
    });

    test('reply_cookie_of_other_project: a cookie minted for another project/record is refused', async (t) => {
      const c = await setup(t, kind);
      if (!c) return;
      await c.h.admin.post('/api/v1/projects', { key: 'OTHER', name: 'Other' });
      const other = await c.h.admin.post('/api/v1/projects/OTHER/records', { type: 'defect', title: 'Elsewhere' });
      const otherProject = await c.h.running.ctx.store.db.selectFrom('projects').select('id').where('key', '=', 'OTHER').executeTakeFirstOrThrow();
      // A correctly signed cookie, but for (this email, OTHER project, OTHER record): it must not verify against the email's row.
      const cookie = createCookie({ emailId: c.original.id, projectId: otherProject.id, recordId: other.body.id }, c.h.running.ctx.config.secret);
      c.box.add(fixture('reply_cookie_of_other_project', { ...c.vars, COOKIE: cookie, MESSAGE_ID: `${cookie}@example.test` }));
      // And a cookie for an email that does not exist.
      const ghost = createCookie({ emailId: '01kj0000000000000000000000', projectId: otherProject.id, recordId: other.body.id }, c.h.running.ctx.config.secret);
      c.box.add(fixture('reply_forged_cookie', { ...c.vars, COOKIE: ghost, MESSAGE_ID: `${ghost}@example.test` }));
      assert.deepEqual((await c.poll()).body, counts({ fetched: 2, rejected: 2, kept: 2 }));
      assert.deepEqual(
        (await c.inbound()).map((r) => [r.state, r.reason]),
        [
          ['rejected', 'cookie_forged'],
          ['rejected', 'cookie_unknown_email'],
        ],
      );
      assert.equal((await c.thread()).length, 1);
      const otherThread = await c.h.admin.get(`/api/v1/projects/OTHER/records/${other.body.id}/emails`);
      assert.deepEqual(otherThread.body.emails, []);
    });

    test('reply_to_deleted_email: refused, kept for an admin, who can attach it elsewhere by hand', async (t) => {
      const c = await setup(t, kind);
      if (!c) return;
      const second = await c.dev.post(`/api/v1/projects/TRK/records/${c.recordId}/emails`, { to: [CUSTOMER], subject: 'Second', text: 'Another question.' });
      assert.equal((await c.h.admin.delete(`/api/v1/emails/${c.original.id}`)).status, 204);
      c.box.add(fixture('reply_to_deleted_email', c.vars));
      assert.deepEqual((await c.poll()).body, counts({ fetched: 1, rejected: 1, kept: 1 }));
      const [row] = await c.inbound();
      assert.equal(row!.reason, 'email_deleted');
      assert.equal(row!.target_email_id, c.original.id);
      assert.equal((await c.thread()).filter((e) => e.direction === 'inbound').length, 0);

      const attach = await c.h.admin.post(`/api/v1/admin/inbound/${row!.id}/attach`, { emailId: second.body.id });
      assert.equal(attach.status, 200, JSON.stringify(attach.body));
      assert.equal(attach.body.outcome.kind, 'attached');
      const reply = (await c.thread()).find((e) => e.direction === 'inbound')!;
      assert.equal(reply.parentId, second.body.id);
      assert.equal(reply.flags.attachedByHand, true);
      assert.equal((await c.outboxForwards()).length, 1);
      // Now filed: the next poll removes it from the tracking account without fetching it again.
      const fetchesBefore = c.box.fetches;
      assert.deepEqual((await c.poll()).body, counts({}));
      assert.equal(c.box.fetches, fetchesBefore);
      assert.equal(c.box.messages.size, 0);
      // Attaching to a deleted email is refused.
      c.box.add(fixture('no_cookie_newsletter', c.vars));
      await c.poll();
      const news = (await c.inbound()).find((r) => r.state === 'unmatched')!;
      assert.equal((await c.h.admin.post(`/api/v1/admin/inbound/${news.id}/attach`, { emailId: c.original.id })).status, 409);
    });

    test('tracking turned off for the project: refused; reprocessed once it is back on', async (t) => {
      const c = await setup(t, kind);
      if (!c) return;
      const off = await c.h.admin.put('/api/v1/projects/TRK/options/email', {
        sendingEnabled: true,
        trackingEnabled: false,
        notificationAccount: { name: 'TRK', address: 'trk@example.test' },
      });
      assert.equal(off.status, 200, JSON.stringify(off.body));
      c.box.add(fixture('reply_gmail_in_reply_to', c.vars));
      assert.deepEqual((await c.poll()).body, counts({ fetched: 1, rejected: 1, kept: 1 }));
      const [row] = await c.inbound();
      assert.equal(row!.reason, 'tracking_disabled');
      await c.h.admin.put('/api/v1/projects/TRK/options/email', {
        sendingEnabled: true,
        trackingEnabled: true,
        notificationAccount: { name: 'TRK', address: 'trk@example.test' },
      });
      const again = await c.h.admin.post(`/api/v1/admin/inbound/${row!.id}/reprocess`);
      assert.equal(again.status, 200, JSON.stringify(again.body));
      assert.equal(again.body.outcome.kind, 'attached');
      assert.equal(again.body.message.state, 'attached');
      assert.equal((await c.h.admin.post(`/api/v1/admin/inbound/${row!.id}/reprocess`)).status, 409, 'a filed message is not processed twice');
    });

    test('reply_unexpected_sender: attached and forwarded, flagged', async (t) => {
      const c = await setup(t, kind);
      if (!c) return;
      c.box.add(fixture('reply_unexpected_sender', c.vars));
      assert.deepEqual((await c.poll()).body, counts({ fetched: 1, imported: 1, forwarded: 1 }));
      const reply = (await c.thread()).find((e) => e.direction === 'inbound')!;
      assert.equal(reply.flags.unexpectedSender, true);
      assert.equal(reply.replyText, 'My colleague forwarded me this; I can confirm the problem.');
    });

    test('auto_reply_out_of_office: filed on the email as an auto-reply, never forwarded', async (t) => {
      const c = await setup(t, kind);
      if (!c) return;
      c.box.add(fixture('auto_reply_out_of_office', c.vars));
      assert.deepEqual((await c.poll()).body, counts({ fetched: 1, imported: 1 }));
      const reply = (await c.thread()).find((e) => e.direction === 'inbound')!;
      assert.equal(reply.parentId, c.original.id);
      assert.ok(reply.flags.autoReply);
      assert.deepEqual(await c.outboxForwards(), []);
      assert.equal((await c.inbound())[0]!.state, 'auto_reply');
      assert.equal(c.box.messages.size, 0);
    });

    for (const name of ['bounce_postfix_verp', 'bounce_matched_by_original_message_id']) {
      const verp = name === 'bounce_postfix_verp';
      test(`${name}: a hard bounce is filed as a bounce, never forwarded; ${verp ? 'it marks the original failed' : 'off the VERP route it is unverified and changes no status'}`, async (t) => {
        const c = await setup(t, kind);
        if (!c) return;
        c.box.add(fixture(name, c.vars));
        assert.deepEqual((await c.poll()).body, counts({ fetched: 1, imported: 1 }));
        const thread = await c.thread();
        const original = thread.find((e) => e.id === c.original.id)!;
        if (verp) {
          assert.equal(original.status, 'failed');
          assert.match((original as unknown as { error: string }).error, /5\.1\.1/);
        } else {
          assert.notEqual(original.status, 'failed');
        }
        const bounce = thread.find((e) => e.direction === 'inbound')!;
        assert.equal(bounce.flags.bounceUnverified, verp ? undefined : true);
        assert.equal((bounce.flags.bounce as { hard: boolean }).hard, true);
        assert.equal(bounce.flags.matchedVia, verp ? 'verp' : 'bounced-message-id');
        assert.deepEqual(await c.outboxForwards(), []);
        assert.equal((await c.inbound())[0]!.state, 'bounce');
      });
    }

    test('mail_loop_own_forward: our own mail coming back is refused, not filed again', async (t) => {
      const c = await setup(t, kind);
      if (!c) return;
      c.box.add(fixture('mail_loop_own_forward', c.vars));
      assert.deepEqual((await c.poll()).body, counts({ fetched: 1, rejected: 1, kept: 1 }));
      assert.equal((await c.inbound())[0]!.reason, 'mail_loop');
      assert.deepEqual(await c.outboxForwards(), []);
    });

    test('malformed_binary_garbage first in the mailbox: kept raw as rejected, the rest is processed', async (t) => {
      const c = await setup(t, kind, { deleteUntracked: true });
      if (!c) return;
      c.box.add(readFileSync(new URL('../fixtures/emails/malformed_binary_garbage.eml', import.meta.url)));
      c.box.add(fixture('no_cookie_newsletter', c.vars));
      c.box.add(fixture('reply_gmail_in_reply_to', c.vars));
      assert.deepEqual((await c.poll()).body, counts({ fetched: 3, imported: 1, forwarded: 1, rejected: 1, deletedUntracked: 2 }));
      const rows = await c.inbound();
      assert.deepEqual(
        rows.map((r) => [r.state, r.reason]),
        [
          ['rejected', 'malformed'],
          ['unmatched', 'no_cookie'],
          ['attached', null],
        ],
      );
      const raw = await c.h.admin.get(`/api/v1/admin/inbound/${rows[0]!.id}/raw`);
      assert.match(String(raw.body), /binary garbage/);
      const dismissed = await c.h.admin.post(`/api/v1/admin/inbound/${rows[1]!.id}/dismiss`);
      assert.equal(dismissed.body.state, 'dismissed');
      assert.deepEqual(
        (await c.h.admin.get('/api/v1/admin/inbound')).body.messages.map((m: { reason: string }) => m.reason),
        ['malformed'],
      );
    });

    test('the same message twice on the server (a duplicate delivery) is stored once', async (t) => {
      const c = await setup(t, kind);
      if (!c) return;
      const raw = fixture('reply_gmail_in_reply_to', c.vars);
      c.box.add(raw);
      c.box.add(raw);
      assert.deepEqual((await c.poll()).body, counts({ fetched: 2, imported: 1, forwarded: 1 }));
      assert.equal((await c.inbound()).length, 1);
      assert.equal((await c.thread()).length, 2);
      assert.equal(c.box.messages.size, 0, 'both copies removed');
    });

    test('a processing failure keeps the message as rejected; reprocess succeeds once the cause is gone', async (t) => {
      const c = await setup(t, kind);
      if (!c) return;
      const blobs = c.h.running.ctx.blobs;
      const realGet = blobs.get.bind(blobs);
      blobs.get = async () => {
        throw new Error('disk on fire');
      };
      c.box.add(fixture('reply_gmail_in_reply_to', c.vars));
      c.box.add(fixture('no_cookie_newsletter', c.vars));
      assert.deepEqual((await c.poll()).body, counts({ fetched: 2, rejected: 2, kept: 2 }));
      blobs.get = realGet;
      const [failed] = await c.inbound();
      assert.equal(failed!.reason, 'processing_failed');
      const listed = (await c.h.admin.get('/api/v1/admin/inbound?state=rejected')).body.messages;
      assert.match(listed.find((m: { id: string }) => m.id === failed!.id).detail, /disk on fire/);
      assert.equal(listed.find((m: { id: string }) => m.id === failed!.id).canRetry, true);
      const { reprocessInbound } = await import('../../src/inbound/index.js');
      const report = await reprocessInbound(c.h.running.ctx);
      assert.deepEqual(report.counts, { attached: 1, 'unmatched:no_cookie': 1 });
      // The attached one is removed at the next poll, the unmatched one stays (deleteUntracked off).
      assert.deepEqual((await c.poll()).body, counts({}));
      assert.equal(c.box.messages.size, 1);
    });

    test('connection lost while downloading: the poll fails, nothing is lost, the next poll completes', async (t) => {
      const c = await setup(t, kind);
      if (!c) return;
      c.box.add(fixture('reply_gmail_in_reply_to', c.vars));
      const second = c.box.add(fixture('reply_unexpected_sender', c.vars));
      c.box.failOnFetch = second;
      const failed = await c.poll();
      assert.equal(failed.status, 503);
      const status = await c.h.admin.get('/api/v1/admin/email/status');
      assert.match(status.body.lastPollError, /connection reset/);
      assert.equal(status.body.lastPollResult.imported, 1, 'the first message was filed before the drop');
      assert.equal(c.box.messages.size, 2, 'nothing removed without a committed session');
      c.box.failOnFetch = undefined;
      const next = await c.poll();
      assert.deepEqual(next.body, counts({ fetched: 1, imported: 1, forwarded: 1 }));
      assert.equal(c.box.messages.size, 0);
      assert.equal((await c.inbound()).length, 2, 'each stored once');
      assert.equal((await c.thread()).length, 3);
    });

    test('two polls at once: one waits for the other, nothing is imported twice', async (t) => {
      const c = await setup(t, kind);
      if (!c) return;
      for (let i = 0; i < 5; i++)
        c.box.add(
          fixture('no_cookie_newsletter', { ...c.vars })
            .toString('latin1')
            .replace('news-2026-03', `news-${i}`),
        );
      c.box.add(fixture('reply_gmail_in_reply_to', c.vars));
      const [a, b] = await Promise.all([c.poll(), c.poll()]);
      assert.equal(a.status, 200);
      assert.equal(b.status, 200);
      assert.equal(a.body.fetched + b.body.fetched, 6);
      assert.equal(a.body.imported + b.body.imported, 1);
      assert.equal((await c.inbound()).length, 6);
      assert.equal((await c.outboxForwards()).length, 1);
    });

    test('an interleaved reply: replyText is the answers, replySegments the questions and answers in order', async (t) => {
      const c = await setup(t, kind);
      if (!c) return;
      const body = [
        `On Wed, 2 Dec 2026, Dev wrote:`,
        '',
        '> ##- Please type your reply above this line -##',
        '>',
        '> Which invoice is it?',
        '',
        'The March one.',
        '',
        '> And which line?',
        '',
        'Line 7.',
        '',
        `> Mailtrail ref: ${c.vars.COOKIE}`,
      ];
      c.box.add(
        Buffer.from(
          [
            `From: <${CUSTOMER}>`,
            `To: ${TRACKING}`,
            'Subject: Re: Invoice totals',
            `In-Reply-To: <${c.vars.MESSAGE_ID}>`,
            'Message-ID: <interleaved@client.example>',
            'Content-Type: text/plain; charset=utf-8',
            '',
            ...body,
            '',
          ].join('\r\n'),
        ),
      );
      await c.poll();
      const reply = (await c.thread()).find((e) => e.direction === 'inbound') as unknown as {
        replyText: string;
        quotedText: string;
        replySegments: { kind: string; text: string }[];
      };
      assert.equal(reply.replyText, 'The March one.\n\nLine 7.');
      assert.deepEqual(reply.replySegments, [
        { kind: 'quote', text: 'On Wed, 2 Dec 2026, Dev wrote:\n\n> ##- Please type your reply above this line -##\n>\n> Which invoice is it?' },
        { kind: 'reply', text: 'The March one.' },
        { kind: 'quote', text: '> And which line?' },
        { kind: 'reply', text: 'Line 7.' },
      ]);
      assert.match(reply.quotedText, /Which invoice is it\?[\s\S]*And which line\?/);
    });

    test('short subject token: attaches from a party to the record, never from a stranger; the old full-cookie subject still works', async (t) => {
      const c = await setup(t, kind);
      if (!c) return;
      const row = await c.h.running.ctx.store.db.selectFrom('emails').select(['subject']).where('id', '=', c.original.id).executeTakeFirstOrThrow();
      const raw = (await c.dev.get(`/api/v1/emails/${c.original.id}/raw`)).body as string;
      const wire = /^Subject: (.*)$/m.exec(raw)?.[1] ?? '';
      const token = subjectToken(c.original.cookie!, 'test-secret-0123456789abcdef');
      assert.equal(wire, `[TRK-D1 ${token}] Invoice totals`, 'the sent subject carries the short token');
      assert.equal(row.subject, '[TRK-D1] Invoice totals');
      // Only the subject carries anything of ours: no References, no quoted body, no plus address.
      const reply = (from: string, id: string) =>
        Buffer.from(
          [
            `From: <${from}>`,
            `To: ${TRACKING}`,
            `Subject: AW: [trk-d1 ${token.toUpperCase()}] Invoice totals`,
            `Message-ID: <${id}@client.example>`,
            'Content-Type: text/plain; charset=utf-8',
            '',
            'Yes, they are wrong.',
            '',
          ].join('\r\n'),
        );
      c.box.add(reply(CUSTOMER, 'known'));
      c.box.add(reply('stranger@elsewhere.example', 'stranger'));
      c.box.add(
        Buffer.from(
          [
            `From: <stranger@elsewhere.example>`,
            `To: ${TRACKING}`,
            `Subject: Re: [TRK-D1 ${c.original.cookie}] Invoice totals`,
            'Message-ID: <old@client.example>',
            '',
            'Old subject format.',
            '',
          ].join('\r\n'),
        ),
      );
      await c.poll();
      const thread = await c.thread();
      const attached = thread.filter((e) => e.direction === 'inbound');
      assert.deepEqual(attached.map((e) => e.replyText).sort(), ['Old subject format.', 'Yes, they are wrong.']);
      assert.ok(attached.every((e) => e.parentId === c.original.id));
      assert.ok(attached.some((e) => e.flags.matchedVia === 'subject-token'));
      assert.ok(attached.some((e) => e.flags.matchedVia === 'subject'));
      const inbound = await c.inbound();
      assert.deepEqual(
        inbound.filter((r) => r.state === 'unmatched').map((r) => r.reason),
        ['subject_token_unknown_sender'],
        'a subject token alone never attaches mail from an unknown sender',
      );
      // A guessed token (right tag, wrong token) from the customer attaches nothing either.
      c.box.add(
        reply(CUSTOMER, 'guess')
          .toString('latin1')
          .replace(token.toUpperCase(), token === '00000000' ? '11111111' : '00000000'),
      );
      await c.poll();
      assert.equal((await c.thread()).filter((e) => e.direction === 'inbound').length, 2);
      assert.equal((await c.inbound()).filter((r) => r.reason === 'no_cookie').length, 1);
    });

    test('settings: GET never shows the password, PUT without one keeps it, sealed at rest', async (t) => {
      const c = await setup(t, kind);
      if (!c) return;
      const got = await c.h.admin.get('/api/v1/admin/email/tracking');
      assert.equal(got.body.passwordSet, true);
      assert.ok(!JSON.stringify(got.body).includes('secret-password'));
      const { passwordSet: _p, configured: _c, ...rest } = got.body;
      assert.equal((await c.h.admin.put('/api/v1/admin/email/tracking', { ...rest, pollSeconds: 30 })).body.passwordSet, true);
      const stored = await c.h.running.ctx.store.db.selectFrom('tracking_accounts').select('settings').where('id', '=', 'default').executeTakeFirstOrThrow();
      assert.ok(stored.settings.includes('passwordSealed') && !stored.settings.includes('secret-password'), 'sealed in the database');
      const { loadTrackingSettings } = await import('../../src/inbound/index.js');
      assert.equal((await loadTrackingSettings(c.h.running.ctx.store.db, c.h.running.ctx.config.secret))?.password, 'secret-password');
      assert.equal((await c.h.admin.put('/api/v1/admin/email/tracking', { ...rest, address: 'not an address' })).status, 400);
      assert.equal((await c.dev.get('/api/v1/admin/email/tracking')).status, 403);
      // Another port: the stored password does not go along (findings.test.ts "6: …"); a typed one may.
      assert.equal((await c.h.admin.post('/api/v1/admin/email/tracking/test', { ...rest, host: '127.0.0.1', port: 1 })).body.error.code, 'password_required');
      const test_ = await c.h.admin.post('/api/v1/admin/email/tracking/test', { ...rest, host: '127.0.0.1', port: 1, password: 'typed' });
      assert.equal(test_.status, 200);
      assert.equal(test_.body.ok, false);
      assert.match(test_.body.message, /127\.0\.0\.1:1/);
    });
  });
}
