import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createTrackingModule } from '../../src/inbound/index.js';
import { inboundDb } from '../../src/inbound/inbound.table.js';
import { outboundModule } from '../../src/outbound/index.js';
import { startTestApp } from '../support/app.js';
import { CORPUS_DIR } from '../support/corpus.js';
import { STORE_KINDS } from '../support/stores.js';
import { CARRIERS, asTrackedReply, wrapBody, type Carrier, type Tracked } from './corpusRewrite.js';
import { FakeMailbox } from './fakeMailbox.js';

/**
 * Reply matching over real client output. Every corpus message is rewritten as a reply to one
 * tracked email, once per cookie carrier, and run through the whole pipeline (poll → parse →
 * classify → match → trim → attach):
 *   - every message must be attached to the tracked email (client style must never matter);
 *   - how often `replyText` equals the corpus's expected reply is measured and reported, with a
 *     floor at the measured level so a regression in trimming fails the test.
 * The corpus is test/fixtures/corpus/ (third-party data, see its README).
 */
const corpus = CORPUS_DIR;

interface Case {
  set: 'talon-eml' | 'talon-html' | 'trimmer';
  name: string;
  raw: Buffer;
  /** Accepted replies (any of them), compared as `normalize` says. */
  expected: string[];
  normalize: (s: string) => string;
}

const strip = (s: string) => s.replace(/\r\n?/g, '\n').trim();
const noSpace = (s: string) => s.replace(/\s+/g, '');
/**
 * The person's lines of upstream's expected output: upstream keeps the quotes of a reply written
 * below or between them, replyText holds only what the person typed (src/tracking/trim/CONTEXT.md).
 */
const ownLines = (s: string): string => {
  const lines = strip(s).split('\n');
  const own = lines.filter((line) => !/^\s*>/.test(line));
  // Nothing but a quote: the person typed nothing, and upstream's whole text stands.
  if (own.length === lines.length || own.every((l) => l.trim() === '')) return strip(s);
  return own
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
};

function loadCases(): Case[] {
  const cases: Case[] = [];
  const talon = join(corpus, 'talon', 'standard_replies');
  for (const file of readdirSync(talon)
    .filter((f) => f.endsWith('.eml'))
    .sort()) {
    const name = file.slice(0, -4);
    const withSig = join(talon, `${name}_reply_text`);
    // Upstream keeps the iPhone/Sparrow signatures; a product that strips signatures expects "Hello" (corpus README).
    const expected = existsSync(withSig) ? ['Hello', strip(readFileSync(withSig, 'utf8'))] : ['Hello'];
    cases.push({ set: 'talon-eml', name, raw: readFileSync(join(talon, file)), expected, normalize: strip });
  }
  const html = join(corpus, 'talon', 'html_replies');
  for (const file of readdirSync(html)
    .filter((f) => f.endsWith('.html'))
    .sort()) {
    cases.push({
      set: 'talon-html',
      name: file.slice(0, -5),
      raw: wrapBody(readFileSync(join(html, file), 'utf8'), 'html', 'Alex <alex@customer.example>'),
      expected: ['Hi.Iamfine.Thanks,Alex'],
      normalize: noSpace,
    });
  }
  const trimmer = join(corpus, 'email-reply-trimmer');
  for (const file of readdirSync(join(trimmer, 'emails'))
    .filter((f) => f.endsWith('.txt'))
    .sort()) {
    cases.push({
      set: 'trimmer',
      name: file.slice(0, -4),
      raw: wrapBody(readFileSync(join(trimmer, 'emails', file), 'utf8'), 'plain', 'Customer <customer@customer.example>'),
      expected: [ownLines(readFileSync(join(trimmer, 'trimmed', file), 'utf8'))],
      normalize: strip,
    });
  }
  return cases;
}

/**
 * Exact-match floors per set and carrier, a little under what was measured (2026-11: 12/12,
 * 9/9, 64/64 with the cookie in headers or subject; 63/64 for the trimmer set with the cookie
 * in the quoted body, where our injected line lands inside one body's quote header), so a
 * regression in trimming or matching fails here without pinning every case.
 */
const FLOORS: Record<Case['set'], number> = { 'talon-eml': 11, 'talon-html': 8, trimmer: 60 };

for (const kind of STORE_KINDS) {
  describe(`reply matching over the corpus on ${kind}`, () => {
    test('every client style is matched under every carrier; replyText accuracy measured', async (t) => {
      const box = new FakeMailbox();
      const h = await startTestApp(t, kind, { modules: [outboundModule(), createTrackingModule({ pollOptions: { opener: box.opener } })] });
      if (!h) return;
      const tracking = 'tracking@example.test';
      await h.admin.put('/api/v1/admin/email/tracking', {
        protocol: 'imap',
        host: 'mail.invalid',
        port: 143,
        security: 'none',
        username: 'tracking',
        password: 'pw',
        address: tracking,
        pollSeconds: 60,
        deleteUntracked: false,
      });
      await h.admin.post('/api/v1/projects', { key: 'TRK', name: 'Tracking' });
      const dev = await h.user('dev', { project: 'TRK', group: 'Developers', email: 'dev@example.test' });
      const record = await dev.post('/api/v1/projects/TRK/records', { type: 'defect', title: 'Totals' });
      const sent = await dev.post(`/api/v1/projects/TRK/records/${record.body.id}/emails`, {
        to: ['customer@customer.example'],
        subject: 'Test',
        text: 'How are you?',
      });
      const db = h.running.ctx.store.db;
      const original = await db.selectFrom('emails').selectAll().where('id', '=', sent.body.id).executeTakeFirstOrThrow();
      const tracked: Tracked = { cookie: original.cookie!, messageId: original.message_id!, recordTag: record.body.tag, tracking };

      const cases = loadCases();
      const idOf = (c: Case, carrier: Carrier) => `${c.set}.${c.name}.${carrier}`.replace(/[^a-z0-9._-]/gi, '-');
      for (const c of cases) for (const carrier of CARRIERS) box.add(asTrackedReply(c.raw, carrier, tracked, idOf(c, carrier)));

      const poll = await h.admin.post('/api/v1/admin/email/tracking/poll');
      assert.equal(poll.status, 200, JSON.stringify(poll.body));
      assert.equal(poll.body.fetched, cases.length * CARRIERS.length);

      const inbound = await inboundDb(db).selectFrom('inbound_messages').select(['message_id', 'state', 'reason', 'email_id']).execute();
      const emails = await db.selectFrom('emails').select(['id', 'parent_id', 'reply_text']).where('direction', '=', 'inbound').execute();
      const byId = new Map(emails.map((e) => [e.id, e]));

      const report: string[] = [];
      const misses: string[] = [];
      for (const set of ['talon-eml', 'talon-html', 'trimmer'] as const) {
        for (const carrier of CARRIERS) {
          const subset = cases.filter((c) => c.set === set);
          let matched = 0;
          let exact = 0;
          for (const c of subset) {
            const row = inbound.find((r) => r.message_id === `${idOf(c, carrier)}@corpus.test`);
            const email = row?.email_id ? byId.get(row.email_id) : undefined;
            if (row?.state === 'attached' && email?.parent_id === original.id) matched++;
            else misses.push(`${set}/${c.name} via ${carrier}: ${row?.state ?? 'missing'} ${row?.reason ?? ''}`);
            const got = c.normalize(email?.reply_text ?? '');
            if (c.expected.some((e) => c.normalize(e) === got)) exact++;
            else report.push(`  differs (${carrier}): ${set}/${c.name}: ${JSON.stringify(got.slice(0, 120))}`);
          }
          const line = `${set.padEnd(10)} carrier=${carrier.padEnd(7)} matched ${matched}/${subset.length}  replyText exact ${exact}/${subset.length} (${((100 * exact) / subset.length).toFixed(1)}%)`;
          report.unshift(line);
          t.diagnostic(line);
          assert.ok(exact >= FLOORS[set], `${line} is below the floor of ${FLOORS[set]}`);
        }
      }
      const all = cases.length * CARRIERS.length;
      t.diagnostic(`total matched ${all - misses.length}/${all}`);
      // The cases whose replyText differs, for whoever looks at a drop in the figures.
      for (const line of report.filter((l) => l.startsWith('  differs'))) t.diagnostic(line);
      assert.deepEqual(misses, [], 'every corpus reply is attached to the tracked email under every carrier');
    });
  });
}
