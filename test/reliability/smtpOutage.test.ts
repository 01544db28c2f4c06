/**
 * The SMTP server down for minutes, and for hours. Time is simulated with the clock (the sender
 * retries with backoff from 5 s up to 30 min), so hours pass in seconds. Nothing may fail while
 * the server is unreachable; once it is back, every email goes out exactly once. As a control,
 * a server that answers "try later" (421) keeps using up the attempt budget and the emails end
 * up failed with the server's words, and a 550 fails at once.
 *
 * Run: node --import tsx --test test/reliability/smtpOutage.test.ts
 */
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { setClock } from '../../src/clock.js';
import { outboundModule } from '../../src/outbound/index.js';
import { MAX_ATTEMPTS, backoffMs } from '../../src/outbound/outbox.js';
import { Sender } from '../../src/outbound/sender.js';
import { setTrackingSettings } from '../../src/store/trackingAccounts.repository.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { STORE_KINDS, type StoreKind } from '../support/stores.js';
import { HookedSmtpSink } from './hookedSmtpSink.js';

const N = 20;

async function world(t: TestContext, kind: StoreKind) {
  const sink = await new HookedSmtpSink().start();
  t.after(() => sink.stop());
  const h = await startTestApp(t, kind, { modules: [outboundModule()] });
  if (!h) return undefined;
  await h.admin.put('/api/v1/admin/email/sending', { host: '127.0.0.1', port: sink.port, security: 'none' });
  await setTrackingSettings(h.running.ctx.store.db, { address: 'tracking@example.test' });
  await h.admin.post('/api/v1/projects', { key: 'OUT', name: 'Out' });
  const rec = await h.admin.post('/api/v1/projects/OUT/records', { type: 'defect', title: 'Outage' });
  const ids: string[] = [];
  for (let i = 0; i < N; i++)
    ids.push((await h.admin.post(`/api/v1/projects/OUT/records/${rec.body.id}/emails`, { to: [`r${i}@example.test`], text: `message ${i}` })).body.id);
  let now = Date.now();
  setClock({ now: () => new Date(now) });
  t.after(() => setClock({ now: () => new Date() }));
  const sender = new Sender(h.running.ctx);
  t.after(() => sender.stop());
  return {
    h,
    sink,
    ids,
    sender,
    /** Lets `ms` of simulated time pass, the sender looking at the outbox every `stepMs`. */
    async pass(ms: number, stepMs: number) {
      for (let at = 0; at < ms; at += stepMs) {
        now += stepMs;
        await sender.drain();
      }
    },
    statuses: async (h2: TestApp = h) => await h2.running.ctx.store.db.selectFrom('emails').select(['status', 'error']).where('id', 'in', ids).execute(),
  };
}

for (const kind of STORE_KINDS) {
  describe(`SMTP server down (${kind})`, () => {
    test('down for 20 minutes, then back: nothing failed meanwhile, each email sent once', async (t) => {
      const w = await world(t, kind);
      if (!w) return;
      await w.sink.stop();
      await w.pass(20 * 60_000, 15_000);
      for (const s of await w.statuses()) {
        assert.equal(s.status, 'queued', 'still waiting');
        assert.match(s.error ?? '', /^Will retry: .*ECONNREFUSED/, 'the reason is shown');
      }
      const attempts = await w.h.running.ctx.store.db.selectFrom('outbox').select('attempts').execute();
      assert.ok(
        attempts.every((a) => Number(a.attempts) >= 5),
        'it kept trying with backoff',
      );

      await w.sink.start();
      await w.pass(31 * 60_000, 60_000);
      assert.deepEqual([...new Set((await w.statuses()).map((s) => `${s.status}/${s.error}`))], ['sent/null']);
      assert.equal(w.sink.accepted.length, N);
      assert.equal(w.sink.counts().size, N, 'each once');
    });

    test('down for 6 hours, far past the attempt budget: still nothing failed, all sent once it is back', async (t) => {
      const w = await world(t, kind);
      if (!w) return;
      await w.sink.stop();
      await w.pass(6 * 3600_000, 5 * 60_000);
      const rows = await w.h.running.ctx.store.db.selectFrom('outbox').select(['state', 'attempts']).execute();
      assert.ok(
        rows.every((r) => r.state === 'pending'),
        'nothing given up',
      );
      assert.ok(
        rows.every((r) => Number(r.attempts) > MAX_ATTEMPTS),
        'more attempts than the budget for answered failures',
      );
      await w.sink.start();
      await w.pass(31 * 60_000, 60_000);
      assert.deepEqual([...new Set((await w.statuses()).map((s) => s.status))], ['sent']);
      assert.equal(w.sink.counts().size, N);
      assert.equal(w.sink.accepted.length, N);
    });

    test('control: a server answering 421 for hours uses up the budget and fails; a 550 fails at once', async (t) => {
      const w = await world(t, kind);
      if (!w) return;
      w.sink.rcptError = { code: 421, message: 'Service not available, try later' };
      const budget = Array.from({ length: MAX_ATTEMPTS - 1 }, (_, i) => backoffMs(i + 1)).reduce((a, b) => a + b, 0);
      await w.pass(budget - 10 * 60_000, 60_000);
      assert.ok(
        (await w.statuses()).every((s) => s.status === 'queued'),
        'still within the budget',
      );
      await w.pass(30 * 60_000, 60_000);
      const failed = await w.statuses();
      assert.ok(
        failed.every((s) => s.status === 'failed' && /421/.test(s.error ?? '')),
        JSON.stringify(failed[0]),
      );
      t.diagnostic(`budget for answered 4xx failures: ${(budget / 60_000).toFixed(0)} min over ${MAX_ATTEMPTS} attempts`);

      w.sink.rcptError = { code: 550, message: 'No such user here' };
      const rec = await w.h.admin.get('/api/v1/projects/OUT/records?type=defect');
      const one = await w.h.admin.post(`/api/v1/projects/OUT/records/${rec.body.records[0].id}/emails`, { to: ['gone@example.test'], text: 'x' });
      await w.pass(60_000, 60_000);
      const row = await w.h.admin.get(`/api/v1/emails/${one.body.id}`);
      assert.equal(row.body.status, 'failed');
      assert.match(row.body.error, /550/);
      assert.equal(w.sink.accepted.length, 0);
    });
  });
}
