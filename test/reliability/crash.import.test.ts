/**
 * kill -9 of the process during import. A second process (importChild.ts, the same poll code a
 * `serve` process runs) polls a scripted POP3 server and is killed with SIGKILL at the moments
 * that matter — in the middle of downloading a message, while removals are being marked, after
 * the server committed the removals but before the client heard so, while listing — and at
 * random moments. A last run is left to finish. Every reply must end up attached exactly once
 * and forwarded exactly once, every untracked message stored once and kept on the server, and
 * nothing removed from the server that was not filed.
 *
 * Run: node --import tsx --test test/reliability/crash.import.test.ts
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inboundDb } from '../../src/inbound/inbound.table.js';
import { STORE_KINDS } from '../support/stores.js';
import { ScriptedPop3Server, type CommandEvent, type HookAnswer } from '../support/scriptedPop3.js';
import { inboundByMessageId, replyTo, startChild, startWorld, type Child } from './support.js';

const FIRST_BATCH = 40;
const SECOND_BATCH = 10;
const REPLIES = FIRST_BATCH + SECOND_BATCH;
const UNTRACKED = 5;

function untracked(n: number): Buffer {
  return Buffer.from(
    [
      `From: News <news@shop.example>`,
      `To: tracking@example.test`,
      `Subject: Offer ${n}`,
      `Message-ID: <offer-${n}@shop.example>`,
      '',
      `Offer number ${n}.`,
      '',
    ].join('\r\n'),
  );
}

for (const kind of STORE_KINDS) {
  describe(`kill -9 during import (${kind})`, () => {
    test('each reply attached and forwarded once, untracked mail stored once and kept, whatever the moment of death', { timeout: 150_000 }, async (t) => {
      const server = new ScriptedPop3Server();
      const port = await server.start();
      t.after(() => server.stop());
      const w = await startWorld(t, kind, { account: { host: '127.0.0.1', port } });
      if (!w) return;
      for (let i = 1; i <= FIRST_BATCH; i++) server.messages.push({ uid: `R${i}`, raw: replyTo(w, i) });
      for (let i = 1; i <= UNTRACKED; i++) server.messages.splice(i * 7, 0, { uid: `U${i}`, raw: untracked(i) });
      const env = { MAILTRAIL_CHILD_CONFIG: JSON.stringify(w.h.running.ctx.config) };

      let current: Child | undefined;
      const killOn = (label: string, match: (e: CommandEvent) => boolean, answer: HookAnswer) => ({ label, match, answer });
      const points = [
        killOn('on the first UIDL (nothing fetched yet)', (e) => e.verb === 'UIDL', 'hang'),
        killOn('halfway through downloading the 5th message', (e) => e.verb === 'RETR' && e.count === 5, 'half'),
        killOn('on the 3rd DELE (decisions committed, removal not)', (e) => e.verb === 'DELE' && e.count === 3, 'hang'),
        killOn('halfway through the first download of the next session', (e) => e.verb === 'RETR' && e.count === 1, 'half'),
      ];
      const run = async (p: (typeof points)[number]) => {
        let fired = false;
        server.hook = (e) => {
          if (fired || !p.match(e)) return 'continue';
          fired = true;
          current?.kill9();
          return p.answer;
        };
        current = startChild(t, 'test/reliability/importChild.ts', env);
        const end = await current.exited;
        assert.ok(fired, `${p.label}: the moment never came (${end.stdout} ${end.stderr.slice(-1500)})`);
        assert.equal(end.signal, 'SIGKILL', `${p.label}: ${end.stderr.slice(-1500)}`);
      };
      for (const p of points) await run(p);
      // Deaths at moments nobody picked (the child may be anywhere: starting, listing, deciding).
      server.hook = () => 'continue';
      const delays: number[] = [];
      for (let i = 0; i < 3 && server.messages.length > UNTRACKED; i++) {
        const child = startChild(t, 'test/reliability/importChild.ts', env);
        while (!child.stdout().includes('ready') && child.process.exitCode === null) await new Promise((r) => setTimeout(r, 10));
        const delay = Math.floor(Math.random() * 300);
        delays.push(delay);
        await new Promise((r) => setTimeout(r, delay));
        child.kill9();
        await child.exited;
      }
      const filedSoFar = (await inboundByMessageId(w)).size;
      t.diagnostic(
        `random kills ${delays.join(', ')} ms after start; ${filedSoFar} of ${FIRST_BATCH} replies filed, ${server.messages.length - UNTRACKED} still on the server`,
      );

      // New mail arrives; the next poll files all of it and dies after the server committed its
      // QUIT but before the client heard back, so no removal is recorded in the database.
      for (let i = FIRST_BATCH + 1; i <= REPLIES; i++) server.messages.push({ uid: `R${i}`, raw: replyTo(w, i) });
      await run(killOn('after the server committed QUIT, before the client heard', (e) => e.verb === 'QUIT', 'hang'));
      assert.equal(server.messages.length, UNTRACKED, 'the QUIT removed every reply');

      const last = await startChild(t, 'test/reliability/importChild.ts', env).exited;
      assert.equal(last.code, 0, `the run after the crashes: ${last.stdout} ${last.stderr.slice(-2000)}`);
      const again = await w.h.admin.post('/api/v1/admin/email/tracking/poll');
      assert.equal(again.status, 200, JSON.stringify(again.body));
      assert.equal(again.body.fetched, 0, 'nothing left to fetch');

      const db = w.h.running.ctx.store.db;
      const attached = await inboundByMessageId(w);
      for (let i = 1; i <= REPLIES; i++) assert.equal(attached.get(`<reply-${i}@customer.example>`), 1, `reply ${i} attached once`);
      assert.equal(attached.size, REPLIES, 'nothing else attached');
      const rows = await inboundDb(db).selectFrom('inbound_messages').select(['message_id', 'state', 'server_uid']).execute();
      assert.equal(rows.length, REPLIES + UNTRACKED, 'every message stored once');
      assert.equal(rows.filter((r) => r.state === 'attached').length, REPLIES);
      assert.equal(rows.filter((r) => r.state === 'unmatched').length, UNTRACKED);
      const forwards = await db.selectFrom('outbox').select('email_id').where('kind', '=', 'forward').execute();
      assert.equal(forwards.length, REPLIES, 'one forward per reply');
      assert.equal(new Set(forwards.map((f) => f.email_id)).size, REPLIES);
      assert.deepEqual(
        server.messages.map((m) => m.uid).sort(),
        Array.from({ length: UNTRACKED }, (_, i) => `U${i + 1}`),
        'only untracked mail left on the server',
      );
      assert.equal(new Set(server.removed).size, server.removed.length, 'nothing removed twice');
      assert.ok(
        server.removed.every((u) => u.startsWith('R')),
        'only filed replies removed',
      );
    });
  });
}
