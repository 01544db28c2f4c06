import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { inboundDb } from '../../src/inbound/inbound.table.js';
import { parseMessage } from '../../src/mail/mime/parseMessage.js';
import { freshDatabase, requirePostgres, STORE_KINDS } from '../support/stores.js';
import { FakeMailbox } from './fakeMailbox.js';
import { buildWorld, rekeyWorld, type Manifest } from './realClientsWorld.js';

/**
 * Replies made by driving real mail clients (test/fixtures/real-clients, README there), replayed
 * through the whole import path (poll → parse → classify → match → trim → attach) on both
 * databases, in the world the originals were sent from (same secret, same ids: see
 * realClientsWorld.ts), so every cookie the clients quoted verifies as it did.
 *   - every reply must land under the email it answers: strict, for every fixture;
 *   - replyText must equal what was typed (whitespace-normalised): strict for every fixture not
 *     listed in known-failing.txt, and a listed fixture that now passes fails too, so the list
 *     only ever shrinks. A score per fixture and per client is printed either way.
 */
const dir = fileURLToPath(new URL('../fixtures/real-clients/', import.meta.url));

interface Fixture {
  id: string;
  client: string;
  raw: Buffer;
  meta: { client: string; version: string; case: string; original: string; typed: string };
}

function loadFixtures(): Fixture[] {
  const out: Fixture[] = [];
  for (const client of readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()) {
    for (const file of readdirSync(join(dir, client))
      .filter((f) => f.endsWith('.eml'))
      .sort()) {
      const name = file.slice(0, -4);
      const meta = JSON.parse(readFileSync(join(dir, client, `${name}.json`), 'utf8')) as Fixture['meta'];
      out.push({ id: `${client}/${name}`, client, raw: readFileSync(join(dir, client, file)), meta });
    }
  }
  return out;
}

/** `client/id` lines; `#` starts a comment (the reason, for whoever fixes it). */
function knownFailing(): Set<string> {
  const file = join(dir, 'known-failing.txt');
  if (!existsSync(file)) return new Set();
  return new Set(
    readFileSync(file, 'utf8')
      .split('\n')
      .map((l) => l.replace(/#.*/, '').trim())
      .filter(Boolean),
  );
}

const norm = (s: string) => s.replace(/\s+/g, ' ').trim();

/** How close the stored replyText is to what was typed, for the report (not an assertion). */
function verdict(got: string, typed: string): string {
  const g = norm(got);
  const t = norm(typed);
  if (g === t) return 'exact';
  if (g === '') return 'empty';
  if (g.includes(t)) return 'typed+extra';
  const words = t.split(' ');
  const found = words.filter((w) => g.includes(w)).length;
  return `partial ${found}/${words.length} words`;
}

const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { worlds: Manifest[] };

for (const kind of STORE_KINDS) {
  describe(`real-client replies on ${kind}`, () => {
    test('every reply lands under the email it answers; replyText is what was typed', async (t) => {
      if (kind === 'postgres' && !(await requirePostgres(t))) return;
      const fixtures = loadFixtures();
      const failing = knownFailing();
      assert.ok(fixtures.length > 0, 'the corpus is there');
      for (const id of failing)
        assert.ok(
          fixtures.some((f) => f.id === id),
          `known-failing.txt names ${id}, which is not a fixture`,
        );

      const rows: { f: Fixture; landed: string; verdict: string; got: string }[] = [];
      for (const world of manifest.worlds) {
        const mine = fixtures.filter((f) => world.originals.some((o) => o.name === f.meta.original));
        if (mine.length === 0) continue;
        const db = await freshDatabase(kind);
        const box = new FakeMailbox();
        const w = await buildWorld(db.config, db.dataDir, world.originals, {
          opener: box.opener,
          tracking: { host: 'mail.invalid', port: 143, protocol: 'imap' },
        });
        try {
          await rekeyWorld(w, world);
          for (const f of mine) box.add(f.raw);
          const poll = await w.admin.post('/api/v1/admin/email/tracking/poll');
          assert.equal(poll.status, 200, JSON.stringify(poll.body));
          assert.equal(poll.body.fetched, mine.length);
          const store = w.running.ctx.store.db;
          const inbound = await inboundDb(store).selectFrom('inbound_messages').select(['message_id', 'state', 'reason', 'email_id']).execute();
          const emails = await store.selectFrom('emails').select(['id', 'parent_id', 'reply_text']).where('direction', '=', 'inbound').execute();
          for (const f of mine) {
            const messageId = (await parseMessage(f.raw)).messageId;
            const row = inbound.find((r) => r.message_id === messageId);
            const email = emails.find((e) => e.id === row?.email_id);
            const want = world.originals.find((o) => o.name === f.meta.original)!.id;
            const landed =
              row?.state === 'attached' && email?.parent_id === want
                ? 'ok'
                : `${row?.state ?? 'missing'} ${row?.reason ?? ''} parent=${email?.parent_id ?? '-'}`;
            const got = email?.reply_text ?? '';
            rows.push({ f, landed, verdict: verdict(got, f.meta.typed), got });
          }
        } finally {
          await w.running.close();
          await db.drop();
        }
      }

      const clients = [...new Set(rows.map((r) => r.f.client))];
      for (const client of clients) {
        const mine = rows.filter((r) => r.f.client === client);
        t.diagnostic(
          `${client.padEnd(12)} landed ${mine.filter((r) => r.landed === 'ok').length}/${mine.length}  replyText exact ${mine.filter((r) => r.verdict === 'exact').length}/${mine.length}`,
        );
      }
      const exact = rows.filter((r) => r.verdict === 'exact').length;
      t.diagnostic(`all          landed ${rows.filter((r) => r.landed === 'ok').length}/${rows.length}  replyText exact ${exact}/${rows.length}`);
      for (const r of rows) {
        const line = `${r.f.id.padEnd(34)} ${r.f.meta.case.padEnd(18)} ${r.verdict}`;
        t.diagnostic(r.verdict === 'exact' ? line : `${line}: ${JSON.stringify(norm(r.got).slice(0, 160))}`);
      }

      const notLanded = rows.filter((r) => r.landed !== 'ok').map((r) => `${r.f.id}: ${r.landed}`);
      assert.deepEqual(notLanded, [], 'every reply lands under the email it answers');
      const wrong = rows
        .filter((r) => r.verdict !== 'exact' && !failing.has(r.f.id))
        .map((r) => `${r.f.id}: ${r.verdict}: ${JSON.stringify(norm(r.got))} (typed ${JSON.stringify(norm(r.f.meta.typed))})`);
      assert.deepEqual(wrong, [], 'replyText is what was typed (fixtures not in known-failing.txt)');
      const fixed = rows.filter((r) => r.verdict === 'exact' && failing.has(r.f.id)).map((r) => r.f.id);
      assert.deepEqual(fixed, [], 'these pass now: remove them from test/fixtures/real-clients/known-failing.txt');
    });
  });
}
