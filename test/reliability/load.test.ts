/**
 * Load: two `mailtrail serve` processes (node --import tsx src/cli.ts serve) on one PostgreSQL
 * schema, sharing MAILTRAIL_DATA and MAILTRAIL_SECRET, on different ports. N tracked emails are
 * queued through both (sending paused), then sending is resumed and both senders drain the
 * outbox into an SMTP sink running in a process of its own, which writes down every
 * Message-ID it accepts. Then N replies — one to each email — are written straight into the
 * tracking mailbox on the real Dovecot, both pollers take turns on it over POP3, and every
 * reply must be attached once and forwarded once.
 *
 * By default N = 500 (the CI run); MAILTRAIL_LOAD_TEST=1 runs N = 10,000 (or MAILTRAIL_LOAD_N).
 * The measured numbers are in docs/reliability.md.
 * Run: MAILTRAIL_LOAD_TEST=1 node --import tsx --test test/reliability/load.test.ts
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { sql } from 'kysely';
import { inboundDb } from '../../src/inbound/inbound.table.js';
import { openStore } from '../../src/store/db.js';
import { newAddress, peersConfig, readAllImap, requirePeers } from '../harness/mailPeers.js';
import { freshDatabase, requirePostgres } from '../support/stores.js';
import { fillMailbox } from './maildir.js';
import { serve, type Served } from './serveProcess.js';
import { eventually, startChild } from './support.js';

const HEAVY = process.env.MAILTRAIL_LOAD_TEST === '1';
const N = Number(process.env.MAILTRAIL_LOAD_N ?? (HEAVY ? 10_000 : 500));
const PER_RECORD = 100;

/** Runs `fn` over `items` with at most `width` at a time. */
async function pool<T>(items: T[], width: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]!, i);
      }
    }),
  );
}

test(
  `two serve processes on one PostgreSQL database: ${N} emails sent once, ${N} replies attached once`,
  { timeout: HEAVY ? 4 * 3600_000 : 180_000 },
  async (t) => {
    if (!(await requirePostgres(t))) return;
    if (!(await requirePeers(t))) return;
    const db = await freshDatabase('postgres');
    t.after(() => db.drop());
    if (db.config.kind !== 'postgres') throw new Error('unreachable');
    const env = {
      DATABASE_URL: `${db.config.url}${db.config.url.includes('?') ? '&' : '?'}schema=${db.config.schema}`,
      MAILTRAIL_DATA: db.dataDir,
      MAILTRAIL_SECRET: 'load-test-secret-0123456789',
      MAILTRAIL_DEMO: '0',
      LOG_LEVEL: 'info',
    };
    const sinkFile = join(db.dataDir, 'sink-message-ids.txt');
    const sink = startChild(t, 'test/reliability/sinkChild.ts', { MAILTRAIL_SINK_FILE: sinkFile });
    const sinkPort = await eventually(async () => Number(/port (\d+)/.exec(sink.stdout())?.[1]) || undefined, 'the SMTP sink process');

    const a = await serve(t, env);
    const b = await serve(t, env);
    const both: Served[] = [a, b];
    const peers = peersConfig();
    const tracking = newAddress('load');
    const call = async (s: Served, method: string, path: string, body?: unknown, expect = 200) => {
      const res = await s.api<Record<string, unknown>>(method, path, body, s.token);
      assert.equal(res.status, expect, `${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    };
    await call(a, 'PUT', '/api/v1/admin/email/sending', { host: '127.0.0.1', port: sinkPort, security: 'none', paused: true, maxConnections: 5 });
    await call(a, 'PUT', '/api/v1/admin/email/tracking', {
      protocol: 'pop3',
      host: peers.host,
      port: peers.pop3Port,
      security: 'none',
      username: tracking,
      password: peers.password,
      address: tracking,
      pollSeconds: 2,
      deleteUntracked: false,
    });
    await call(a, 'POST', '/api/v1/projects', { key: 'LOAD', name: 'Load' }, 201);
    const records: string[] = [];
    for (let r = 0; r < Math.ceil(N / PER_RECORD); r++)
      records.push(String((await call(b, 'POST', '/api/v1/projects/LOAD/records', { type: 'defect', title: `Load ${r}` }, 201)).id));

    // Queue N emails through both processes, sending paused.
    const queuedAt = Date.now();
    await pool(
      Array.from({ length: N }, (_, i) => i),
      16,
      async (i) => {
        await call(
          both[i % 2]!,
          'POST',
          `/api/v1/projects/LOAD/records/${records[Math.floor(i / PER_RECORD)]}/emails`,
          { to: [`customer${i}@example.test`], text: `Question number ${i}?` },
          202,
        );
      },
    );
    const queueMs = Date.now() - queuedAt;
    const store = await openStore(db.config, { poolSize: 2 });
    t.after(() => store.close());
    const count = async (q: string) => Number((await sql.raw<{ n: number }>(q).execute(store.db)).rows[0]!.n);
    assert.equal(await count(`select count(*)::int as n from outbox where state = 'pending'`), N, 'all queued, none sent while paused');
    assert.equal(existsSync(sinkFile), false, 'nothing reached the server while paused');

    // Resume: both senders drain the outbox at once.
    const sendAt = Date.now();
    await call(b, 'PUT', '/api/v1/admin/email/sending', { host: '127.0.0.1', port: sinkPort, security: 'none', paused: false, maxConnections: 5 });
    await eventually(
      async () => (await count(`select count(*)::int as n from emails where direction = 'outbound' and status = 'sent'`)) === N,
      `${N} emails sent`,
      HEAVY ? 3600_000 : 120_000,
      250,
    );
    const sendMs = Date.now() - sendAt;

    // N replies, one to each email, straight into the tracking mailbox.
    const sent = await store.db.selectFrom('emails').select(['id', 'message_id', 'to_list', 'subject']).where('direction', '=', 'outbound').execute();
    const replies = sent.map((e, i) => {
      const to = (JSON.parse(e.to_list) as { address: string }[])[0]!.address;
      return Buffer.from(
        [
          `From: <${to}>`,
          `To: ${tracking}`,
          `Subject: Re: ${e.subject}`,
          `Message-ID: <load-reply-${i}@customer.example>`,
          `In-Reply-To: ${e.message_id}`,
          `References: ${e.message_id}`,
          '',
          `Answer ${i}.`,
          '',
          '> the question',
          '',
        ].join('\r\n'),
      );
    });
    const importAt = Date.now();
    for (let i = 0; i < replies.length; i += 1000) await fillMailbox(tracking, replies.slice(i, i + 1000));
    await eventually(
      async () => (await count(`select count(*)::int as n from inbound_messages where state = 'attached'`)) === N,
      `${N} replies attached`,
      HEAVY ? 3600_000 : 120_000,
      500,
    );
    const importMs = Date.now() - importAt;
    await eventually(
      async () =>
        (await count(`select count(*)::int as n from emails where direction = 'inbound' and status = 'forwarded'`)) === N &&
        (await readAllImap(tracking)).length === 0,
      'every reply forwarded and removed from the mailbox',
      HEAVY ? 3600_000 : 120_000,
      500,
    );
    const doneMs = Date.now() - importAt;

    const codes = await Promise.all(both.map((s) => s.stop()));
    assert.deepEqual(codes, [0, 0], 'both processes shut down cleanly');

    // What the SMTP server got: every original and every forward, each exactly once.
    const ids = readFileSync(sinkFile, 'utf8').trim().split('\n');
    const unique = new Set(ids);
    const repeated = ids.length - unique.size;
    assert.equal(unique.size, 2 * N, `${N} originals and ${N} forwards reached the server`);
    assert.equal(repeated, 0, `${repeated} Message-IDs accepted more than once`);
    for (const e of sent) assert.ok(unique.has(e.message_id!), `email ${e.id} reached the server`);
    // And the replies: each stored once, attached once.
    const inbound = await inboundDb(store.db).selectFrom('inbound_messages').select(['message_id', 'state']).execute();
    assert.equal(inbound.length, N);
    assert.equal(new Set(inbound.map((r) => r.message_id)).size, N, 'each reply stored once');
    const attached = await store.db.selectFrom('emails').select(['message_id', 'parent_id']).where('direction', '=', 'inbound').execute();
    assert.equal(attached.length, N);
    assert.equal(new Set(attached.map((r) => r.parent_id)).size, N, 'each email got its own reply');
    // Both processes did part of the sending.
    const sentBy = both.map((s) => (s.child.stdout().match(/"msg":"email sent"/g) ?? []).length);
    assert.ok(
      sentBy.every((n) => n > 0),
      `emails sent per process: ${sentBy.join(' + ')}`,
    );
    assert.equal(sentBy[0]! + sentBy[1]!, 2 * N, 'the processes sent every message once between them');
    t.diagnostic(
      `N=${N}: queued in ${(queueMs / 1000).toFixed(1)} s; ${N} sends drained in ${(sendMs / 1000).toFixed(1)} s (${sentBy.join(' + ')} messages per process incl. forwards); ` +
        `${N} replies attached in ${(importMs / 1000).toFixed(1)} s, forwarded and removed after ${(doneMs / 1000).toFixed(1)} s; ${ids.length} messages at the SMTP server, ${unique.size} distinct`,
    );
  },
);
