/**
 * Tracking cookies under attack, through the whole import path (poll → parse → match → attach):
 * 10,000 guessed cookies (random MACs for a real email id, random email ids) attach nothing;
 * forged, altered, replayed-on-another-project and foreign-installation cookies in every place
 * a cookie is looked for attach nothing; and a reply whose From is spoofed is filed with the
 * sender as received and marked as an unexpected sender.
 *
 * Run: node --import tsx --test test/security/cookies.test.ts
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { inboundDb } from '../../src/inbound/inbound.table.js';
import { createCookie, parseCookie } from '../../src/tracking/cookie.js';
import { FakeMailbox } from '../inbound/fakeMailbox.js';
import { STORE_KINDS } from '../support/stores.js';
import { CUSTOMER, TRACKING, replyTo, startWorld } from '../reliability/support.js';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const randomBase32 = (n: number) => Array.from(randomBytes(n), (b) => ALPHABET[b & 31]).join('');
const DOMAIN = TRACKING.split('@')[1]!;

/** A reply whose only threading is `cookies` as Message-IDs of ours in References. */
function guessing(n: number, cookies: string[]): Buffer {
  return Buffer.from(
    [
      `From: Guesser <guesser@attacker.example>`,
      `To: ${TRACKING}`,
      'Subject: Re: your invoice',
      `Message-ID: <guess-${n}@attacker.example>`,
      `References: ${cookies.map((c) => `<${c}@${DOMAIN}>`).join(' ')}`,
      '',
      'Let me in.',
      '',
    ].join('\r\n'),
  );
}

for (const kind of STORE_KINDS) {
  describe(`tracking cookies under attack (${kind})`, () => {
    test('10,000 guessed cookies through the import path: none attached, none forwarded', { timeout: 180_000 }, async (t) => {
      const box = new FakeMailbox();
      const w = await startWorld(t, kind, { tracking: { pollOptions: { opener: box.opener } } });
      if (!w) return;
      const emailId = parseCookie(w.original.cookie!)!.emailId;
      const guesses = new Set<string>();
      // 20 per message: the most candidates one message gets looked up for (MAX_CANDIDATES).
      const MESSAGES = 500;
      for (let m = 0; m < MESSAGES; m++) {
        const cookies: string[] = [];
        for (let i = 0; i < 20; i++) {
          // Three in four aim at the real email with a guessed MAC; the rest at made-up emails.
          const cookie = i % 4 === 3 ? `mt1${randomBase32(26)}${randomBase32(16)}` : `mt1${emailId}${randomBase32(16)}`;
          cookies.push(cookie);
          guesses.add(cookie);
        }
        box.add(guessing(m, cookies));
      }
      assert.ok(guesses.size >= 9_990, `${guesses.size} distinct guesses`);
      assert.ok(!guesses.has(w.original.cookie!), 'the real cookie was not guessed');
      const poll = await w.h.admin.post('/api/v1/admin/email/tracking/poll');
      assert.equal(poll.status, 200, JSON.stringify(poll.body));
      assert.equal(poll.body.fetched, MESSAGES);
      assert.equal(poll.body.imported, 0, 'nothing attached');
      assert.equal(poll.body.forwarded, 0);
      const db = w.h.running.ctx.store.db;
      const rows = await inboundDb(db).selectFrom('inbound_messages').select(['state', 'reason']).execute();
      assert.equal(rows.length, MESSAGES);
      assert.ok(
        rows.every((r) => r.state === 'rejected' && (r.reason === 'cookie_forged' || r.reason === 'cookie_unknown_email')),
        'each refused as forged',
      );
      assert.equal((await db.selectFrom('emails').select('id').where('direction', '=', 'inbound').execute()).length, 0);
      assert.equal((await db.selectFrom('outbox').select('id').where('kind', '=', 'forward').execute()).length, 0);
    });

    test('forged, altered, replayed and foreign cookies attach nothing, wherever they are carried', async (t) => {
      const box = new FakeMailbox();
      const w = await startWorld(t, kind, { tracking: { pollOptions: { opener: box.opener } } });
      if (!w) return;
      const { h } = w;
      const secret = h.running.ctx.config.secret;
      const db = h.running.ctx.store.db;
      // A second project with its own tracked email.
      assert.equal((await h.admin.post('/api/v1/projects', { key: 'BBB', name: 'Beta' })).status, 201);
      const bRec = await h.admin.post('/api/v1/projects/BBB/records', { type: 'defect', title: 'Beta' });
      const bSent = await h.admin.post(`/api/v1/projects/BBB/records/${bRec.body.id}/emails`, { to: ['b@example.test'], text: 'Beta mail' });
      const b = await db.selectFrom('emails').selectAll().where('id', '=', bSent.body.id).executeTakeFirstOrThrow();
      const a = w.original;
      const aMac = a.cookie!.slice(-16);
      const forged: [string, string][] = [
        ['MAC of A on the email id of B (replay on another project)', `mt1${b.id}${aMac}`],
        ["A minted for B's email but A's project and record", createCookie({ emailId: b.id, projectId: a.project_id, recordId: a.record_id }, secret)],
        [
          "B's email, signed by another installation",
          createCookie({ emailId: b.id, projectId: b.project_id, recordId: b.record_id }, 'another-installations-secret-123'),
        ],
        ['one character of the MAC changed', `${a.cookie!.slice(0, -1)}${a.cookie!.endsWith('0') ? '1' : '0'}`],
        ['one character of the email id changed', `mt1${a.id.slice(0, -1)}${a.id.endsWith('0') ? '1' : '0'}${aMac}`],
      ];
      const carriers: [string, (cookie: string, n: string) => Buffer][] = [
        [
          'In-Reply-To',
          (c, n) =>
            Buffer.from(
              [`From: <${CUSTOMER}>`, `To: ${TRACKING}`, 'Subject: Re: x', `Message-ID: <${n}@x.example>`, `In-Reply-To: <${c}@${DOMAIN}>`, '', 'hi', ''].join(
                '\r\n',
              ),
            ),
        ],
        [
          'subject',
          (c, n) =>
            Buffer.from(
              [`From: <${CUSTOMER}>`, `To: ${TRACKING}`, `Subject: Re: [TRK-D1 ${c}] Invoice`, `Message-ID: <${n}@x.example>`, '', 'hi', ''].join('\r\n'),
            ),
        ],
        [
          'body',
          (c, n) =>
            Buffer.from(
              [`From: <${CUSTOMER}>`, `To: ${TRACKING}`, 'Subject: Re: x', `Message-ID: <${n}@x.example>`, '', 'hi', '', `> Mailtrail ref: ${c}`, ''].join(
                '\r\n',
              ),
            ),
        ],
        [
          'plus address',
          (c, n) =>
            Buffer.from([`From: <${CUSTOMER}>`, `To: tracking+${c}@${DOMAIN}`, 'Subject: Re: x', `Message-ID: <${n}@x.example>`, '', 'hi', ''].join('\r\n')),
        ],
      ];
      let n = 0;
      for (const [, cookie] of forged) for (const [, carry] of carriers) box.add(carry(cookie, `forged-${n++}`));
      const poll = await h.admin.post('/api/v1/admin/email/tracking/poll');
      assert.equal(poll.status, 200, JSON.stringify(poll.body));
      assert.equal(poll.body.fetched, forged.length * carriers.length);
      assert.equal(poll.body.imported, 0, 'nothing attached');
      const rows = await inboundDb(db).selectFrom('inbound_messages').select(['message_id', 'state', 'reason']).orderBy('message_id').execute();
      for (const r of rows)
        assert.ok(r.state === 'rejected' && /^cookie_(forged|unknown_email)$/.test(r.reason ?? ''), `${r.message_id}: ${r.state} ${r.reason}`);
      for (const email of [a, b]) {
        const inbound = await db.selectFrom('emails').select('id').where('parent_id', '=', email.id).execute();
        assert.equal(inbound.length, 0, `nothing filed under ${email.id === a.id ? 'A' : 'B'}`);
      }
      // The genuine cookie still works, so the refusals above were not a broken matcher.
      box.add(replyTo(w, 'genuine'));
      assert.equal((await h.admin.post('/api/v1/admin/email/tracking/poll')).body.imported, 1);
    });

    test('a reply with a spoofed From is filed with the sender as received and marked', async (t) => {
      const box = new FakeMailbox();
      const w = await startWorld(t, kind, { tracking: { pollOptions: { opener: box.opener } } });
      if (!w) return;
      box.add(replyTo(w, 'real-customer'));
      box.add(replyTo(w, 'spoofed-stranger', { from: 'ceo@evil.example' }));
      // Display-name spoofing: a colleague's name on an attacker's address.
      const named = replyTo(w, 'spoofed-name')
        .toString('latin1')
        .replace(/^From: .*$/m, 'From: "dev Tester (Accounting)" <attacker@evil.example>');
      box.add(Buffer.from(named, 'latin1'));
      const poll = await w.h.admin.post('/api/v1/admin/email/tracking/poll');
      assert.equal(poll.body.imported, 3);
      const thread = (await w.dev.get(`/api/v1/projects/${w.projectKey}/records/${w.recordId}/emails`)).body.emails as {
        messageId: string;
        from: string;
        fromName: string;
        flags: Record<string, unknown>;
      }[];
      const byId = (id: string) => thread.find((e) => e.messageId === `<reply-${id}@customer.example>`)!;
      assert.equal(byId('real-customer').from, CUSTOMER);
      assert.equal(byId('real-customer').flags.unexpectedSender, undefined, 'the recipient of the email is expected');
      assert.equal(byId('spoofed-stranger').from, 'ceo@evil.example', 'shown as received');
      assert.equal(byId('spoofed-stranger').flags.unexpectedSender, true);
      assert.equal(byId('spoofed-name').from, 'attacker@evil.example', 'the address as received, whatever the name says');
      assert.equal(byId('spoofed-name').fromName, 'dev Tester (Accounting)');
      assert.equal(byId('spoofed-name').flags.unexpectedSender, true);
    });
  });
}
