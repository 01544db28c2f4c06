/**
 * Fuzzing the whole import path with real mail. Each run takes a message of the corpus in test/fixtures/corpus
 * (real client replies and real bounces from sisimai and talon), makes it a reply to one of
 * our tracked emails half of the time, damages it with a few random mutations (byte flips,
 * cuts, 8-bit and NUL bytes, broken boundaries, unknown charsets, corrupted base64, line-end
 * changes, giant lines), puts it in the tracking mailbox and polls through the API
 * (store → parse → classify → match → attach/reject). Every message must end decided — attached
 * (or filed as bounce/auto-reply), or unmatched/rejected with a known reason — never crash the
 * poll, never hang it, never be an internal processing failure, and leave the server exactly
 * when it was filed.
 *
 * 300 runs per database by default; MAILTRAIL_FUZZ_RUNS and MAILTRAIL_FUZZ_SEED override.
 * Run: node --import tsx --test test/reliability/badMail.fuzz.test.ts
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { REASONS } from '../../src/inbound/outcomes.js';
import { inboundDb } from '../../src/inbound/inbound.table.js';
import { FakeMailbox } from '../inbound/fakeMailbox.js';
import { STORE_KINDS } from '../support/stores.js';
import { corpusMessages, startWorld, type World } from './support.js';

const RUNS = Number(process.env.MAILTRAIL_FUZZ_RUNS ?? 300);
const SEED = process.env.MAILTRAIL_FUZZ_SEED ? Number(process.env.MAILTRAIL_FUZZ_SEED) : undefined;
/** A poll that takes this long is a hang, not a slow machine (a normal one takes milliseconds). */
const HANG_MS = 60_000;

type Mutation =
  | { kind: 'flip'; at: number; byte: number }
  | { kind: 'cut'; at: number }
  | { kind: 'insert'; at: number; bytes: number[] }
  | { kind: 'duplicate'; at: number; length: number }
  | { kind: 'dropLine'; at: number }
  | { kind: 'charset'; name: string }
  | { kind: 'base64'; at: number }
  | { kind: 'lineEnds'; to: '\r' | '\n' | '\r\n' }
  | { kind: 'giantLine'; at: number; length: number }
  | { kind: 'boundary'; at: number };

// Uniform over the message: fast-check's own bias towards small numbers would put nearly every
// mutation into the first header line.
const position = fc.noBias(fc.integer({ min: 0, max: 1_000_000 })).map((n) => n / 1_000_000);
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: position, byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: position }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: position,
    bytes: fc.array(fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0, 10, 13, 0x80, 0xff, 0x2d)), { maxLength: 40 }),
  }),
  fc.record({ kind: fc.constant('duplicate' as const), at: position, length: fc.integer({ min: 1, max: 4_000 }) }),
  fc.record({ kind: fc.constant('dropLine' as const), at: position }),
  fc.record({
    kind: fc.constant('charset' as const),
    name: fc.constantFrom('x-unknown-42', 'utf-7', 'iso-2022-jp', 'gb18030', 'utf-16', '', '"', 'utf-8"; x="'),
  }),
  fc.record({ kind: fc.constant('base64' as const), at: position }),
  fc.record({ kind: fc.constant('lineEnds' as const), to: fc.constantFrom('\r' as const, '\n' as const, '\r\n' as const) }),
  fc.record({ kind: fc.constant('giantLine' as const), at: position, length: fc.integer({ min: 1_000, max: 300_000 }) }),
  fc.record({ kind: fc.constant('boundary' as const), at: position }),
);

function mutate(raw: Buffer, m: Mutation): Buffer {
  const at = (p: number) => Math.min(raw.length, Math.floor(p * raw.length));
  switch (m.kind) {
    case 'flip': {
      if (raw.length === 0) return raw;
      const out = Buffer.from(raw);
      out[Math.min(out.length - 1, at(m.at))] = m.byte;
      return out;
    }
    case 'cut':
      return raw.subarray(0, at(m.at));
    case 'insert':
      return Buffer.concat([raw.subarray(0, at(m.at)), Buffer.from(m.bytes), raw.subarray(at(m.at))]);
    case 'duplicate': {
      const from = at(m.at);
      return Buffer.concat([raw.subarray(0, from), raw.subarray(from, from + m.length), raw.subarray(from)]);
    }
    case 'dropLine': {
      const text = raw.toString('latin1');
      const start = text.lastIndexOf('\n', at(m.at));
      const end = text.indexOf('\n', start + 1);
      return Buffer.from(text.slice(0, start + 1) + (end < 0 ? '' : text.slice(end + 1)), 'latin1');
    }
    case 'charset':
      return Buffer.from(raw.toString('latin1').replace(/charset\s*=\s*"?[^";\s]*"?/gi, `charset="${m.name}"`), 'latin1');
    case 'base64': {
      // Garbage inside what is most likely a base64 block: characters outside the alphabet, '=' in the middle.
      const text = raw.toString('latin1');
      const i = at(m.at);
      return Buffer.from(`${text.slice(0, i)}=!@#\u00e9==\n====${text.slice(i)}`, 'latin1');
    }
    case 'lineEnds':
      return Buffer.from(raw.toString('latin1').replace(/\r\n|\r|\n/g, m.to), 'latin1');
    case 'giantLine':
      return Buffer.concat([raw.subarray(0, at(m.at)), Buffer.alloc(m.length, 0x61), raw.subarray(at(m.at))]);
    case 'boundary': {
      // Cut a MIME boundary line in half, or drop the closing one.
      const text = raw.toString('latin1');
      const bounds = [...text.matchAll(/^--[^\r\n]{4,}$/gm)];
      if (bounds.length === 0) return raw;
      const b = bounds[Math.min(bounds.length - 1, Math.floor(m.at * bounds.length))]!;
      return Buffer.from(text.slice(0, b.index! + 4) + text.slice(b.index! + b[0].length), 'latin1');
    }
  }
}

/** Makes a corpus message a reply to our tracked email, the way a threading client does. */
function asReply(raw: Buffer, w: World): Buffer {
  const text = raw.toString('latin1').replace(/^(in-reply-to|references):.*(\r?\n[ \t].*)*\r?\n/gim, '');
  return Buffer.from(`In-Reply-To: ${w.original.message_id}\r\nReferences: ${w.original.message_id}\r\n${text}`, 'latin1');
}

function within<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} hung for ${HANG_MS} ms`)), HANG_MS)))]).finally(
    () => clearTimeout(timer),
  );
}

for (const kind of STORE_KINDS) {
  describe(`fuzzing the import path with mutated real mail (${kind})`, () => {
    test(`${RUNS} mutated corpus messages: each decided with a reason, none crashes or hangs the poll`, { timeout: 600_000 }, async (t) => {
      const corpus = corpusMessages();
      assert.ok(corpus.length > 800, `only ${corpus.length} corpus messages`);
      const box = new FakeMailbox();
      const w = await startWorld(t, kind, { tracking: { pollOptions: { opener: box.opener } } });
      if (!w) return;
      const db = w.h.running.ctx.store.db;
      const outcomes = new Map<string, number>();

      await fc.assert(
        fc.asyncProperty(fc.nat(corpus.length - 1), fc.boolean(), fc.array(mutation, { minLength: 1, maxLength: 5 }), async (index, reply, mutations) => {
          const source = corpus[index]!;
          let raw = reply ? asReply(source.raw, w) : source.raw;
          for (const m of mutations) raw = mutate(raw, m);
          const uid = box.add(raw);
          const poll = await within(w.h.admin.post('/api/v1/admin/email/tracking/poll'), `polling ${source.name}`);
          assert.equal(poll.status, 200, `poll of ${source.name}: ${JSON.stringify(poll.body)}`);

          const seen = await inboundDb(db)
            .selectFrom('inbound_server_uids as u')
            .leftJoin('inbound_messages as m', 'm.id', 'u.inbound_id')
            .select(['m.state', 'm.reason', 'm.detail', 'u.inbound_id'])
            .where('u.server_uid', '=', uid)
            .executeTakeFirst();
          if (raw.length === 0) {
            // An empty download is still stored and refused as malformed (or was, the first time).
            assert.ok(seen, 'the empty message was seen');
          }
          assert.ok(seen?.inbound_id, `${source.name}: stored`);
          const state = seen.state!;
          assert.ok(['attached', 'bounce', 'auto_reply', 'unmatched', 'rejected'].includes(state), `${source.name}: decided, not ${state}`);
          if (state === 'unmatched' || state === 'rejected') {
            assert.ok(seen.reason && seen.reason in REASONS, `${source.name}: a known reason, not ${seen.reason}`);
            assert.notEqual(seen.reason, 'processing_failed', `${source.name}: internal failure: ${seen.detail}`);
            assert.ok(box.messages.has(uid), 'untracked mail stays on the server (deleteUntracked off)');
          } else {
            assert.ok(!box.messages.has(uid), 'filed mail leaves the server');
          }
          const key = state === 'unmatched' || state === 'rejected' ? `${state}:${seen.reason}` : state;
          outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
        }),
        { numRuns: RUNS, ...(SEED !== undefined ? { seed: SEED } : {}), endOnFailure: true, verbose: 1 },
      );
      t.diagnostic(`outcomes: ${[...outcomes].map(([k, n]) => `${k} ${n}`).join(', ')}`);
      assert.ok((outcomes.get('attached') ?? 0) >= RUNS / 20, 'damaged replies still get attached');
      assert.ok(
        [...outcomes.keys()].some((k) => k.startsWith('unmatched') || k.startsWith('rejected')),
        'some are refused',
      );
      // The thread still reads: every attached reply is in it once.
      const thread = await w.dev.get(`/api/v1/projects/${w.projectKey}/records/${w.recordId}/emails`);
      assert.equal(thread.status, 200);
    });
  });
}
