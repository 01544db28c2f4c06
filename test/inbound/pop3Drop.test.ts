import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { createTrackingModule } from '../../src/inbound/index.js';
import { inboundDb } from '../../src/inbound/inbound.table.js';
import { outboundModule } from '../../src/outbound/index.js';
import { startTestApp } from '../support/app.js';
import { STORE_KINDS } from '../support/stores.js';
import { ScriptedPop3Server } from '../support/scriptedPop3.js';

function fixture(name: string, vars: Record<string, string>): Buffer {
  const text = readFileSync(new URL(`../fixtures/emails/${name}.eml`, import.meta.url), 'latin1');
  // CRLF, as on the wire, so sizes compare byte for byte.
  return Buffer.from(text.replace(/\{\{([A-Z_]+)\}\}/g, (_m, k: string) => vars[k] ?? '').replace(/\r?\n/g, '\r\n'), 'latin1');
}

/**
 * The team's POP3 client against a scripted server that cuts the connection in the middle of
 * a RETR: the poll fails, the message fetched before the cut stays filed (and on the server,
 * since no QUIT committed its DELE), and the next poll completes the rest without duplicates.
 */
for (const kind of STORE_KINDS) {
  describe(`POP3 connection dropped mid-RETR on ${kind}`, () => {
    test('nothing lost, nothing doubled, the next poll completes', async (t) => {
      const server = new ScriptedPop3Server();
      const port = await server.start();
      t.after(() => server.stop());
      const h = await startTestApp(t, kind, { modules: [outboundModule(), createTrackingModule()] });
      if (!h) return;
      await h.admin.put('/api/v1/admin/email/tracking', {
        protocol: 'pop3',
        host: '127.0.0.1',
        port,
        security: 'none',
        username: 'tracking',
        password: 'pw',
        address: 'tracking@example.test',
        pollSeconds: 60,
        deleteUntracked: false,
      });
      await h.admin.post('/api/v1/projects', { key: 'TRK', name: 'Tracking' });
      const dev = await h.user('dev', { project: 'TRK', group: 'Developers', email: 'dev@example.test' });
      const record = await dev.post('/api/v1/projects/TRK/records', { type: 'defect', title: 'x' });
      const sent = await dev.post(`/api/v1/projects/TRK/records/${record.body.id}/emails`, {
        to: ['customer@customer.example'],
        subject: 'Totals',
        text: 'Check?',
      });
      const db = h.running.ctx.store.db;
      const original = await db.selectFrom('emails').selectAll().where('id', '=', sent.body.id).executeTakeFirstOrThrow();
      const vars = {
        COOKIE: original.cookie!,
        MESSAGE_ID: original.message_id!.slice(1, -1),
        TRACKING: 'tracking@example.test',
        SENDER: 'dev@example.test',
        CUSTOMER: 'customer@customer.example',
      };

      // A big second message, so the cut lands inside the body stream, not in the status line.
      const big = Buffer.concat([fixture('reply_unexpected_sender', vars), Buffer.from(`\r\n${'.padding line that starts with a dot\r\n'.repeat(20_000)}`)]);
      server.messages.push(
        { uid: 'AAA-1', raw: fixture('reply_gmail_in_reply_to', vars) },
        { uid: 'BBB-2', raw: big },
        { uid: 'CCC-3', raw: fixture('no_cookie_newsletter', vars) },
      );
      // The first RETR of BBB-2 sends half the message, then the connection breaks.
      let cut = false;
      server.hook = (e) => (e.verb === 'RETR' && e.uid === 'BBB-2' && !cut ? ((cut = true), 'cut') : 'continue');

      const first = await h.admin.post('/api/v1/admin/email/tracking/poll');
      assert.equal(first.status, 503, JSON.stringify(first.body));
      assert.equal(server.messages.length, 3, 'no QUIT, so no DELE was committed');
      const afterFirst = await inboundDb(db).selectFrom('inbound_messages').select(['server_uid', 'state']).orderBy('id').execute();
      assert.deepEqual(afterFirst, [{ server_uid: 'AAA-1', state: 'attached' }], 'the message fetched before the cut is filed; the cut one is not half-stored');
      const status = await h.admin.get('/api/v1/admin/email/status');
      assert.ok(status.body.lastPollError);

      const second = await h.admin.post('/api/v1/admin/email/tracking/poll');
      assert.equal(second.status, 200, JSON.stringify(second.body));
      assert.deepEqual(second.body, { fetched: 2, imported: 1, forwarded: 1, deletedUntracked: 0, kept: 1, rejected: 0 });
      assert.deepEqual(server.retrs, ['AAA-1', 'BBB-2', 'BBB-2', 'CCC-3'], 'AAA-1 is not downloaded again');
      assert.deepEqual(
        server.messages.map((m) => m.uid),
        ['CCC-3'],
        'filed mail removed at QUIT, untracked mail kept',
      );
      const rows = await inboundDb(db).selectFrom('inbound_messages').select(['server_uid', 'state', 'size']).orderBy('id').execute();
      assert.deepEqual(
        rows.map((r) => [r.server_uid, r.state]),
        [
          ['AAA-1', 'attached'],
          ['BBB-2', 'attached'],
          ['CCC-3', 'unmatched'],
        ],
      );
      assert.equal(Number(rows[1]!.size), big.length, 'the cut message was stored whole the second time');
      const reply = await db
        .selectFrom('emails')
        .select('text_body')
        .where('direction', '=', 'inbound')
        .where('from_address', '=', 'colleague@customer.example')
        .executeTakeFirstOrThrow();
      assert.ok(reply.text_body.includes('.padding line that starts with a dot'), 'dot-stuffing undone');
      assert.equal((await db.selectFrom('outbox').select('id').where('kind', '=', 'forward').execute()).length, 2);
    });
  });
}

for (const kind of STORE_KINDS) {
  describe(`POP3 server refusing one message on ${kind}`, () => {
    test('the refused message is skipped, the rest is processed, the next poll gets it', async (t) => {
      const server = new ScriptedPop3Server();
      const port = await server.start();
      t.after(() => server.stop());
      const h = await startTestApp(t, kind, { modules: [outboundModule(), createTrackingModule()] });
      if (!h) return;
      await h.admin.put('/api/v1/admin/email/tracking', {
        protocol: 'pop3',
        host: '127.0.0.1',
        port,
        security: 'none',
        username: 'tracking',
        password: 'pw',
        address: 'tracking@example.test',
        pollSeconds: 60,
        deleteUntracked: true,
      });
      const vars = { TRACKING: 'tracking@example.test' };
      server.messages.push(
        { uid: 'A', raw: fixture('no_cookie_newsletter', vars) },
        { uid: 'B', raw: Buffer.from(fixture('no_cookie_newsletter', vars).toString('latin1').replace('news-2026-03', 'news-b')) },
      );
      server.hook = (e) => (e.verb === 'RETR' && e.uid === 'A' ? 'refuse' : 'continue');
      const first = await h.admin.post('/api/v1/admin/email/tracking/poll');
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.deepEqual(first.body, { fetched: 1, imported: 0, forwarded: 0, deletedUntracked: 1, kept: 0, rejected: 0 });
      assert.deepEqual(
        server.messages.map((m) => m.uid),
        ['A'],
      );
      server.hook = () => 'continue';
      const second = await h.admin.post('/api/v1/admin/email/tracking/poll');
      assert.deepEqual(second.body, { fetched: 1, imported: 0, forwarded: 0, deletedUntracked: 1, kept: 0, rejected: 0 });
      assert.deepEqual(server.messages, []);
    });
  });
}
