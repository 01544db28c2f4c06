/**
 * Bad mail through the whole import path, one message per kind of damage, each a reply to a
 * tracked email (so it is attached whenever it can be read at all): 8-bit headers, an unknown
 * charset, broken base64, NUL bytes, 1,000 MIME parts, 10,000 nested multiparts, a 50 MB
 * attachment, 1 MB headers, a 1 MB line of text, an empty message and binary garbage. None may
 * crash or stall the poll; each ends in the one outcome docs/reliability.md ("Bad mail") gives
 * it — attached, or refused with that reason and its raw bytes kept for the admin.
 *
 * Run: node --import tsx --test test/reliability/badMail.test.ts
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { defaultMimeLimits } from '../../src/mail/mime/limits.js';
import { inboundDb } from '../../src/inbound/inbound.table.js';
import { FakeMailbox } from '../inbound/fakeMailbox.js';
import { STORE_KINDS } from '../support/stores.js';
import { CUSTOMER, TRACKING, startWorld, type World } from './support.js';

const CRLF = '\r\n';
/** The reader's part limit: the text part and the first 999 of the 1,000 attachments. */
const THOUSAND_PARTS_KEPT = defaultMimeLimits.maxParts - 1;

function head(w: World, id: string, extra: string[] = []): string[] {
  return [
    `From: Customer <${CUSTOMER}>`,
    `To: ${TRACKING}`,
    'Subject: Re: Invoice totals',
    `Message-ID: <${id}@bad.example>`,
    `In-Reply-To: ${w.original.message_id}`,
    ...extra,
    'MIME-Version: 1.0',
  ];
}

function message(lines: (string | Buffer)[]): Buffer {
  return Buffer.concat(lines.map((l) => (Buffer.isBuffer(l) ? Buffer.concat([l, Buffer.from(CRLF)]) : Buffer.from(l + CRLF, 'latin1'))));
}

const b64 = (buf: Buffer) => (buf.toString('base64').match(/.{1,76}/g) ?? []).join(CRLF);

type ThreadEmail = {
  id: string;
  text: string;
  subject: string;
  fromName: string;
  replyText: string | null;
  flags: Record<string, unknown>;
  attachments: { id: string; size: number }[];
};

interface Case {
  id: string;
  raw: Buffer;
  /** The one outcome this damage ends in: `attached`, or `rejected:<reason>`. */
  expect: 'attached' | `rejected:${string}`;
  /** Runs on the attached email (only for `attached`). */
  check?: (email: ThreadEmail) => void | Promise<void>;
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** The SHA-256 of what a GET returns, after checking it is a 200. */
async function downloadedSha256(w: World, url: string, token: string | undefined): Promise<string> {
  const res = await w.h.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token ?? ''}` } });
  assert.equal(res.statusCode, 200, `GET ${url}`);
  return sha256(res.rawPayload);
}

function cases(w: World): Case[] {
  const fiftyMb = randomBytes(50 * 1024 * 1024);
  return [
    {
      id: 'eight-bit-headers',
      // Raw UTF-8 in the subject (RFC 6532) and raw Latin-1 in the From name, no encoded words.
      raw: message([
        Buffer.concat([Buffer.from('From: '), Buffer.from('J\xfcrgen M\xfcller', 'latin1'), Buffer.from(` <${CUSTOMER}>`)]),
        `To: ${TRACKING}`,
        Buffer.concat([Buffer.from('Subject: '), Buffer.from('Re: Réponse — ça marche ✓', 'utf8')]),
        'Message-ID: <eight-bit-headers@bad.example>',
        `In-Reply-To: ${w.original.message_id}`,
        'Content-Type: text/plain; charset=utf-8',
        '',
        Buffer.from('Les totaux sont corrigés.', 'utf8'),
      ]),
      expect: 'attached',
      check: (e) => {
        assert.match(e.subject, /ça marche ✓/);
        assert.equal(e.fromName, 'Jürgen Müller');
        assert.match(e.replyText ?? '', /corrigés/);
      },
    },
    {
      id: 'unknown-charset',
      raw: message([
        ...head(w, 'unknown-charset'),
        'Content-Type: text/plain; charset="x-mailtrail-unknown"',
        'Content-Transfer-Encoding: 8bit',
        '',
        Buffer.from('Caf\xe9 au lait, na\xefve r\xe9sum\xe9.', 'latin1'),
      ]),
      expect: 'attached',
      check: (e) => assert.match(e.text, /Café au lait, naïve résumé\./, 'decoded with the fallback charset'),
    },
    {
      id: 'broken-base64',
      raw: message([
        ...head(w, 'broken-base64'),
        'Content-Type: multipart/mixed; boundary="b64"',
        '',
        '--b64',
        'Content-Type: text/plain; charset=utf-8',
        'Content-Transfer-Encoding: base64',
        '',
        `${Buffer.from('The readable start of the reply.').toString('base64')}!!!@@@###\u00e9\u00e9==QUJD=RE`,
        '--b64',
        'Content-Type: application/pdf; name="broken.pdf"',
        'Content-Transfer-Encoding: base64',
        'Content-Disposition: attachment; filename="broken.pdf"',
        '',
        'JVBERi0xLjQK%%%%not base64 at all\u00ff\u00fe',
        '--b64--',
      ]),
      expect: 'attached',
      check: (e) => assert.match(e.text, /readable start/),
    },
    {
      id: 'nul-bytes',
      raw: message([...head(w, 'nul-bytes'), 'Content-Type: text/plain; charset=utf-8', '', Buffer.from('Before\0the NUL\0\0and after.', 'latin1')]),
      expect: 'attached',
      check: (e) => assert.match(e.text, /Beforethe NULand after\./),
    },
    {
      id: 'thousand-parts',
      raw: message([
        ...head(w, 'thousand-parts'),
        'Content-Type: multipart/mixed; boundary="many"',
        '',
        '--many',
        'Content-Type: text/plain',
        '',
        'A thousand attachments follow.',
        ...Array.from({ length: 1000 }, (_, i) => [
          `--many`,
          `Content-Type: text/plain; name="part-${i}.txt"`,
          `Content-Disposition: attachment; filename="part-${i}.txt"`,
          '',
          `part ${i}`,
        ]).flat(),
        '--many--',
      ]),
      expect: 'attached',
      check: (e) => {
        assert.match(e.text, /A thousand attachments follow/);
        assert.equal(e.attachments.length, THOUSAND_PARTS_KEPT, 'the reader keeps its first 1,000 parts: the text and 999 attachments');
      },
    },
    {
      id: 'deep-nesting',
      raw: (() => {
        const depth = 10_000;
        const open = Array.from({ length: depth }, (_, i) => `Content-Type: multipart/mixed; boundary="d${i}"${CRLF}${CRLF}--d${i}`).join(CRLF);
        const close = Array.from({ length: depth }, (_, i) => `--d${depth - 1 - i}--`).join(CRLF);
        return message([
          ...head(w, 'deep-nesting'),
          'Content-Type: multipart/mixed; boundary="top"',
          '',
          '--top',
          'Content-Type: text/plain',
          '',
          'Text before the abyss.',
          '--top',
          open,
          'Content-Type: text/plain',
          '',
          'The bottom.',
          close,
          '--top--',
        ]);
      })(),
      expect: 'attached',
      check: (e) => assert.match(e.text, /Text before the abyss/),
    },
    {
      id: 'fifty-megabytes',
      raw: message([
        ...head(w, 'fifty-megabytes'),
        'Content-Type: multipart/mixed; boundary="big"',
        '',
        '--big',
        'Content-Type: text/plain',
        '',
        'The database dump you asked for.',
        '--big',
        'Content-Type: application/octet-stream; name="dump.bin"',
        'Content-Transfer-Encoding: base64',
        'Content-Disposition: attachment; filename="dump.bin"',
        '',
        b64(fiftyMb),
        '--big--',
      ]),
      // 50 MB is about 68 MB in base64, within the MIME reader's 100 MiB: attached, byte for byte.
      expect: 'attached',
      check: async (e) => {
        assert.equal(e.attachments.length, 1);
        assert.equal(e.attachments[0]!.size, fiftyMb.length);
        const got = await downloadedSha256(w, `/api/v1/emails/${e.id}/attachments/${e.attachments[0]!.id}`, w.dev.token);
        assert.equal(got, sha256(fiftyMb), 'the attachment is intact (SHA-256 equal)');
      },
    },
    {
      id: 'megabyte-references',
      // One 1 MB token without an "@" in References: a quadratic regex would spend minutes here.
      raw: message([
        ...head(w, 'megabyte-references', [`References: ${'a'.repeat(1024 * 1024)}`]),
        'Content-Type: text/plain',
        '',
        'Threading header gone wild.',
      ]),
      expect: 'attached',
      check: (e) => assert.match(e.text, /Threading header gone wild/),
    },
    {
      id: 'megabyte-of-headers',
      // 1 MB of header lines after the threading headers (the header block is read up to 256 KiB).
      raw: message([
        ...head(w, 'megabyte-of-headers'),
        ...Array.from({ length: 8192 }, (_, i) => `X-Junk-${i}: ${'x'.repeat(120)}`),
        'Content-Type: text/plain',
        '',
        'Headers first, then this.',
      ]),
      expect: 'attached',
    },
    {
      id: 'megabyte-header-before',
      // 1 MB of one header line before anything else: more than the 256 KiB header block, so the
      // message cannot be read as mail at all.
      raw: message([`X-Huge: ${'y'.repeat(1024 * 1024)}`, ...head(w, 'megabyte-header-before'), 'Content-Type: text/plain', '', 'After a huge header.']),
      expect: 'rejected:malformed',
    },
    {
      id: 'megabyte-line',
      raw: message([...head(w, 'megabyte-line'), 'Content-Type: text/plain', '', `Start ${'z'.repeat(1024 * 1024)} end`]),
      expect: 'attached',
      check: (e) => assert.ok(e.text.length > 1024 * 1024),
    },
  ];
}

for (const kind of STORE_KINDS) {
  describe(`bad mail through the import path (${kind})`, () => {
    test('every kind of damage ends attached or refused with a reason; nothing crashes or stalls the poll', { timeout: 180_000 }, async (t) => {
      const box = new FakeMailbox();
      const w = await startWorld(t, kind, { tracking: { pollOptions: { opener: box.opener } } });
      if (!w) return;
      const all = cases(w);
      const uids = new Map(all.map((c) => [c.id, box.add(c.raw)]));
      const junkRaw = [Buffer.alloc(0), randomBytes(64 * 1024)];
      const junk = junkRaw.map((raw) => box.add(raw));
      const poll = await w.h.admin.post('/api/v1/admin/email/tracking/poll');
      assert.equal(poll.status, 200, JSON.stringify(poll.body));
      assert.equal(poll.body.fetched, all.length + 2);

      const db = w.h.running.ctx.store.db;
      const rows = await inboundDb(db)
        .selectFrom('inbound_messages as m')
        .innerJoin('inbound_server_uids as u', 'u.inbound_id', 'm.id')
        .select(['m.id', 'u.server_uid', 'm.state', 'm.reason', 'm.detail', 'm.size'])
        .execute();
      const thread = (await w.dev.get(`/api/v1/projects/${w.projectKey}/records/${w.recordId}/emails`)).body.emails as (ThreadEmail & { messageId: string })[];
      assert.ok(thread.length >= 2, 'the Email tab loads');
      const summary: string[] = [];
      for (const c of all) {
        const row = rows.find((r) => r.server_uid === uids.get(c.id));
        assert.ok(row, `${c.id}: stored`);
        const outcome = row.state === 'attached' ? 'attached' : `${row.state}:${row.reason ?? ''}`;
        assert.equal(outcome, c.expect, `${c.id}: ${row.detail ?? ''}`);
        const email = thread.find((e) => e.messageId === `<${c.id}@bad.example>`);
        assert.equal(email !== undefined, row.state === 'attached', `${c.id}: in the thread iff attached`);
        if (email) await c.check?.(email);
        else {
          const kept = await downloadedSha256(w, `/api/v1/admin/inbound/${row.id}/raw`, w.h.admin.token);
          assert.equal(kept, sha256(c.raw), `${c.id}: the raw message is kept for the admin, byte for byte`);
        }
        summary.push(`${c.id} → ${row.state}${row.reason ? ` (${row.reason})` : ''}`);
      }
      // The empty download and the binary garbage: refused as malformed, kept.
      const refused = junk.map((uid) => rows.find((r) => r.server_uid === uid));
      assert.deepEqual(
        refused.map((r) => r && `${r.state}:${r.reason}`),
        ['rejected:malformed', 'rejected:malformed'],
      );
      for (const [i, row] of refused.entries()) {
        const kept = await downloadedSha256(w, `/api/v1/admin/inbound/${row!.id}/raw`, w.h.admin.token);
        assert.equal(kept, sha256(junkRaw[i]!), 'the raw message is kept for the admin, byte for byte');
      }
      t.diagnostic(summary.join('; '));
      // Nothing is stuck: a second poll has nothing new to do.
      assert.equal((await w.h.admin.post('/api/v1/admin/email/tracking/poll')).body.fetched, 0);
    });
  });
}
