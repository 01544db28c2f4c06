/**
 * PostgreSQL going away under a running server. Restarting the shared PostgreSQL would hit
 * every test running in parallel, so a restart is simulated the way it looks to a client: every
 * server-side backend of this app's connections is ended with pg_terminate_backend (the app
 * connects with its own application_name to find them). The app must not crash, must serve
 * the next request, and its workers must finish their work with nothing lost or doubled.
 *
 * Run: node --import tsx --test test/reliability/postgres.test.ts
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test, type TestContext } from 'node:test';
import pg from 'pg';
import { setClock } from '../../src/clock.js';
import type { DatabaseConfig } from '../../src/config.js';
import { inboundDb } from '../../src/inbound/inbound.table.js';
import { outboundModule } from '../../src/outbound/index.js';
import { LEASE_MS } from '../../src/outbound/outbox.js';
import { Sender } from '../../src/outbound/sender.js';
import type { Module } from '../../src/core/module.js';
import { migrateToLatest, openStore } from '../../src/store/db.js';
import { setTrackingSettings } from '../../src/store/trackingAccounts.repository.js';
import { FakeMailbox } from '../inbound/fakeMailbox.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { PG_URL, freshDatabase, requirePostgres } from '../support/stores.js';
import { HookedSmtpSink } from './hookedSmtpSink.js';
import { inboundByMessageId, replyTo, startWorld } from './support.js';

interface PgApp {
  appName: string;
  database: DatabaseConfig;
  dataDir: string;
  /** Ends every backend of the app's connections; resolves with how many there were. */
  terminate(): Promise<number>;
  /**
   * Resolves once the server has no backend of the app left and the app's sockets have had a
   * moment to read the goodbye — what a client sees once a restarted PostgreSQL is back.
   */
  gone(): Promise<void>;
}

/** A fresh schema whose connections carry their own application_name, and a way to kill them. */
async function pgApp(t: TestContext): Promise<PgApp | undefined> {
  if (!(await requirePostgres(t))) return undefined;
  const db = await freshDatabase('postgres');
  t.after(() => db.drop());
  if (db.config.kind !== 'postgres') throw new Error('unreachable');
  const appName = `mtrel_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL, application_name: 'mailtrail-reliability-killer' });
  await admin.connect();
  t.after(() => admin.end());
  return {
    appName,
    database: { kind: 'postgres', url: `${db.config.url}${db.config.url.includes('?') ? '&' : '?'}application_name=${appName}`, schema: db.config.schema! },
    dataDir: db.dataDir,
    terminate: async () => (await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1', [appName])).rowCount ?? 0,
    gone: async () => {
      for (;;) {
        const left = await admin.query('select count(*)::int as n from pg_stat_activity where application_name = $1', [appName]);
        if (left.rows[0].n === 0) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      await new Promise((r) => setTimeout(r, 50));
    },
  };
}

async function start(t: TestContext, p: PgApp, modules: Module[]): Promise<TestApp> {
  const h = await startTestApp(t, 'postgres', { modules, config: { database: p.database, dataDir: p.dataDir } });
  return h!;
}

/** Runs `fn` while a loop ends the app's backends every 20-80 ms; returns how many it ended. */
async function whileKilling<T>(p: PgApp, fn: () => Promise<T>): Promise<{ value: T; killed: number; rounds: number }> {
  let stop = false;
  let killed = 0;
  let rounds = 0;
  const loop = (async () => {
    while (!stop) {
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 60));
      killed += await p.terminate();
      rounds++;
    }
  })();
  try {
    const value = await fn();
    return { value, killed, rounds };
  } finally {
    stop = true;
    await loop;
  }
}

describe('PostgreSQL connections ended under a running server', () => {
  test('the API serves the next request after its backends were ended; the process does not crash', async (t) => {
    const p = await pgApp(t);
    if (!p) return;
    const h = await start(t, p, [outboundModule()]);
    assert.equal((await h.admin.post('/api/v1/projects', { key: 'PGR', name: 'Restart' })).status, 201);
    // Several pooled connections in use, then all of them ended.
    await Promise.all(Array.from({ length: 8 }, () => h.admin.get('/api/v1/projects')));
    assert.ok((await p.terminate()) >= 1, 'the app had backends to end');
    await p.gone();
    const next = await h.admin.post('/api/v1/projects/PGR/records', { type: 'defect', title: 'After the restart' });
    assert.equal(next.status, 201, `the next operation: ${next.status} ${JSON.stringify(next.body)}`);
    const burst = await Promise.all(Array.from({ length: 20 }, (_, i) => h.admin.post('/api/v1/projects/PGR/records', { type: 'defect', title: `burst ${i}` })));
    assert.deepEqual([...new Set(burst.map((r) => r.status))], [201]);
    assert.equal((await h.anonymous.get('/api/health')).body.status, 'ok');

    // Ended again and again while requests run: a request caught mid-query may fail (a clean
    // JSON 5xx, no internals), every request after the last kill succeeds, and what the API
    // answered 201 to is there.
    const during = await whileKilling(p, async () => {
      const out: { status: number; body: { error?: { message: string } } }[] = [];
      for (let i = 0; i < 60; i++) out.push(await h.admin.post('/api/v1/projects/PGR/records', { type: 'defect', title: `during ${i}` }));
      return out;
    });
    for (const r of during.value) {
      if (r.status === 201) continue;
      assert.ok(r.status >= 500, `a failure is a 5xx: ${r.status}`);
      assert.doesNotMatch(JSON.stringify(r.body), /terminat|pg_|at .*\.ts|stack/i, 'no database internals in the answer');
    }
    t.diagnostic(`${during.killed} backends ended in ${during.rounds} rounds; ${during.value.filter((r) => r.status !== 201).length} of 60 requests caught mid-query`);
    await p.gone();
    const after = await h.admin.post('/api/v1/projects/PGR/records', { type: 'defect', title: 'after the storm' });
    assert.equal(after.status, 201);
    const titles = (await h.admin.get('/api/v1/projects/PGR/records?limit=500')).body.records.map((r: { title: string }) => r.title) as string[];
    const created = during.value.filter((r) => r.status === 201).length;
    assert.ok(titles.filter((x) => x.startsWith('during ')).length >= created, 'every 201 was stored');
  });

  test('the sender keeps going while its connections are ended: every email sent, a repeat only after an accepted send', { timeout: 120_000 }, async (t) => {
    const p = await pgApp(t);
    if (!p) return;
    const sink = await new HookedSmtpSink().start();
    t.after(() => sink.stop());
    const h = await start(t, p, [outboundModule()]);
    await h.admin.put('/api/v1/admin/email/sending', { host: '127.0.0.1', port: sink.port, security: 'none', maxConnections: 1 });
    await setTrackingSettings(h.running.ctx.store.db, { address: 'tracking@example.test' });
    await h.admin.post('/api/v1/projects', { key: 'PGS', name: 'Send' });
    const rec = await h.admin.post('/api/v1/projects/PGS/records', { type: 'defect', title: 'x' });
    const N = 80;
    for (let i = 0; i < N; i++) assert.equal((await h.admin.post(`/api/v1/projects/PGS/records/${rec.body.id}/emails`, { to: [`r${i}@example.test`], text: `m ${i}` })).status, 202);

    const sender = new Sender(h.running.ctx, { batch: 5 });
    t.after(() => sender.stop());
    let now = Date.now();
    setClock({ now: () => new Date(now) });
    t.after(() => setClock({ now: () => new Date() }));
    const pending = async () => Number((await h.running.ctx.store.db.selectFrom('outbox').select((eb) => eb.fn.countAll<number>().as('n')).where('state', '=', 'pending').executeTakeFirstOrThrow()).n);
    const run = await whileKilling(p, async () => {
      let errors = 0;
      for (let i = 0; i < 40 && sink.accepted.length < N; i++) await sender.drain().catch(() => errors++);
      return errors;
    });
    // Then time passes (backoff and leases of sends cut short run out) and the sender finishes.
    await p.gone();
    for (let i = 0; i < 10 && (await pending()) > 0; i++) {
      now += LEASE_MS + 60_000;
      await sender.drain();
    }
    assert.equal(await pending(), 0);
    const statuses = await h.running.ctx.store.db.selectFrom('emails').select('status').execute();
    assert.ok(statuses.every((s) => s.status === 'sent'), JSON.stringify([...new Set(statuses.map((s) => s.status))]));
    const counts = sink.counts();
    assert.equal(counts.size, N, 'every email reached the server');
    const repeats = [...counts.values()].filter((n) => n > 1).length;
    assert.ok([...counts.values()].every((n) => n <= 2), 'never more than one repeat');
    t.diagnostic(`${run.killed} backends ended in ${run.rounds} rounds, ${run.value} drains failed, ${repeats} repeats`);
    assert.ok(repeats <= run.rounds, 'a repeat needs a kill between the server\'s 250 and the commit');
  });

  test('the poller keeps going while its connections are ended: every reply attached and forwarded once', { timeout: 120_000 }, async (t) => {
    const p = await pgApp(t);
    if (!p) return;
    const box = new FakeMailbox();
    const w = await startWorld(t, 'postgres', { tracking: { pollOptions: { opener: box.opener } }, config: { database: p.database, dataDir: p.dataDir } });
    if (!w) return;
    const N = 60;
    for (let i = 1; i <= N; i++) box.add(replyTo(w, i));
    const polls: number[] = [];
    const run = await whileKilling(p, async () => {
      for (let i = 0; i < 15 && box.messages.size > 0; i++) polls.push((await w.h.admin.post('/api/v1/admin/email/tracking/poll')).status);
    });
    // The database is back for good: polls finish what is left, by themselves, with no admin action.
    await p.gone();
    for (let i = 0; i < 5 && box.messages.size > 0; i++) polls.push((await w.h.admin.post('/api/v1/admin/email/tracking/poll')).status);
    t.diagnostic(`${run.killed} backends ended in ${run.rounds} rounds; poll answers ${polls.join(' ')}`);

    const db = w.h.running.ctx.store.db;
    const states = await inboundDb(db).selectFrom('inbound_messages').select(['state', 'reason', 'detail']).execute();
    assert.deepEqual(states.filter((s) => s.state !== 'attached'), [], 'nothing left undecided or refused');
    assert.equal(box.messages.size, 0, 'the tracking mailbox is empty');
    const attached = await inboundByMessageId(w);
    for (let i = 1; i <= N; i++) assert.equal(attached.get(`<reply-${i}@customer.example>`), 1, `reply ${i} attached once`);
    const forwards = await db.selectFrom('outbox').select('email_id').where('kind', '=', 'forward').execute();
    assert.equal(forwards.length, N);
    assert.equal(new Set(forwards.map((f) => f.email_id)).size, N);
  });

  test('migrations survive schemas being dropped next to them (Kysely scans every schema)', { timeout: 120_000 }, async (t) => {
    if (!(await requirePostgres(t))) return;
    // Other Mailtrail schemas (here: other tests') come and go in the same database while this
    // one migrates; before the fix in migrateToLatest that failed with "schema … does not exist".
    let stop = false;
    const churn = (async () => {
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      let n = 0;
      while (!stop) {
        const name = `t_churn_${process.pid}_${n++ % 20}`;
        await client.query(`create schema if not exists "${name}"`);
        await client.query(`create table if not exists "${name}".x (id int)`);
        await client.query(`drop schema "${name}" cascade`);
        await new Promise((r) => setTimeout(r, 15));
      }
      await client.end();
    })();
    try {
      for (let i = 0; i < 15; i++) {
        const db = await freshDatabase('postgres');
        const store = await openStore(db.config, { poolSize: 2 });
        try {
          assert.equal((await migrateToLatest(store)).length > 0, true);
        } finally {
          await store.close();
          await db.drop();
        }
      }
    } finally {
      stop = true;
      await churn;
    }
  });
});
