/**
 * kill -9 of the process during send. Sender processes (sendChild.ts, the sender of a `serve`
 * process) work through 60 queued emails against an SMTP server that lets the test pick the
 * moment of death: while the server holds the message without answering (the client dies
 * before the 250), right after the server's 250 (before the sender can record it), and at a
 * random moment. Each next process runs with its clock past the dead one's leases. Nothing may
 * be lost; a message can be accepted twice only when the process died between the server's 250
 * and its own commit — at most once per crash and message in flight (one connection here, so
 * one), byte for byte the same message (same Message-ID, so mail clients show one), which is the
 * best SMTP allows without a two-phase commit.
 *
 * Run: node --import tsx --test test/reliability/crash.send.test.ts
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LEASE_MS } from '../../src/outbound/outbox.js';
import { outboundModule } from '../../src/outbound/index.js';
import { setTrackingSettings } from '../../src/store/trackingAccounts.repository.js';
import { startTestApp, type Response } from '../support/app.js';
import { STORE_KINDS } from '../support/stores.js';
import { HookedSmtpSink } from './hookedSmtpSink.js';
import { startChild, type Child } from './support.js';

const N = 60;

for (const kind of STORE_KINDS) {
  describe(`kill -9 during send (${kind})`, () => {
    test('every email accepted by the server, none lost, a repeat only for a crash after the 250', { timeout: 150_000 }, async (t) => {
      const sink = await new HookedSmtpSink().start();
      t.after(() => sink.stop());
      const h = await startTestApp(t, kind, { modules: [outboundModule()] });
      if (!h) return;
      assert.equal((await h.admin.put('/api/v1/admin/email/sending', { host: '127.0.0.1', port: sink.port, security: 'none', maxConnections: 1 })).status, 200);
      await setTrackingSettings(h.running.ctx.store.db, { address: 'tracking@example.test' });
      await h.admin.post('/api/v1/projects', { key: 'OUT', name: 'Out' });
      const rec = await h.admin.post('/api/v1/projects/OUT/records', { type: 'defect', title: 'Many mails' });
      const ids: string[] = [];
      for (let i = 0; i < N; i++) {
        const r: Response = await h.admin.post(`/api/v1/projects/OUT/records/${rec.body.id}/emails`, { to: [`r${i}@example.test`], text: `message ${i}` });
        assert.equal(r.status, 202);
        ids.push(r.body.id);
      }
      const config = JSON.stringify(h.running.ctx.config);
      let generation = 0;
      const child = (): Child =>
        // Each process's clock is past every lease an earlier one could have left.
        startChild(t, 'test/reliability/sendChild.ts', {
          MAILTRAIL_CHILD_CONFIG: config,
          MAILTRAIL_CLOCK_OFFSET_MS: String(generation++ * (LEASE_MS + 5_000)),
        });

      let kills = 0;
      let afterAcceptKills = 0;
      // 1. Dies while the server holds the 10th message unanswered: that one was not accepted.
      {
        const c = child();
        sink.hook = (n) => (n === 10 ? (c.kill9(), 'hang') : 'accept');
        const end = await c.exited;
        assert.equal(end.signal, 'SIGKILL', end.stderr.slice(-1500));
        kills++;
      }
      // 2. Dies right after the server answered 250 to the 5th message of this run.
      {
        const c = child();
        const start = sink.received;
        sink.hook = (n) => (n === start + 5 ? 'accept-then' : 'accept');
        sink.afterAccept = () => c.kill9();
        const end = await c.exited;
        assert.equal(end.signal, 'SIGKILL', end.stderr.slice(-1500));
        kills++;
        afterAcceptKills++;
      }
      // 3. Dies at a moment nobody picked.
      {
        sink.hook = () => 'accept';
        const c = child();
        while (!c.stdout().includes('ready') && c.process.exitCode === null) await new Promise((r) => setTimeout(r, 10));
        const delay = Math.floor(Math.random() * 150);
        await new Promise((r) => setTimeout(r, delay));
        c.kill9();
        const end = await c.exited;
        t.diagnostic(`random kill ${delay} ms after start (${end.signal ?? `exit ${end.code}`}), ${sink.accepted.length} accepted so far`);
        if (end.signal === 'SIGKILL') {
          kills++;
          afterAcceptKills++; // it may have died in the window after a 250, too
        }
      }
      // 4. A process left alone finishes the rest.
      const last = await child().exited;
      assert.equal(last.code, 0, last.stderr.slice(-2000));

      const counts = sink.counts();
      const db = h.running.ctx.store.db;
      const rows = await db.selectFrom('emails').select(['id', 'message_id', 'status']).where('id', 'in', ids).execute();
      for (const row of rows) {
        assert.equal(row.status, 'sent', `email ${row.id} is sent`);
        assert.ok((counts.get(row.message_id ?? '') ?? 0) >= 1, `email ${row.id} reached the server`);
      }
      assert.equal(counts.size, N, 'nothing but our emails');
      const repeated = [...counts].filter(([, n]) => n > 1);
      assert.ok(
        repeated.every(([, n]) => n === 2),
        `never more than one repeat: ${JSON.stringify(repeated)}`,
      );
      assert.ok(
        repeated.length <= afterAcceptKills,
        `${repeated.length} repeats for ${afterAcceptKills} crash(es) that could leave an accepted message unrecorded`,
      );
      for (const [id] of repeated) {
        const copies = sink.accepted.filter((m) => m.messageId === id).map((m) => m.raw.toString('latin1'));
        assert.equal(copies[0], copies[1], 'a repeat is the same bytes, same Message-ID');
      }
      const outbox = await db.selectFrom('outbox').select(['state']).execute();
      assert.ok(outbox.every((o) => o.state === 'done'));
      t.diagnostic(`${kills} kills, ${sink.accepted.length} acceptances for ${N} emails, ${repeated.length} repeated`);
    });
  });
}
