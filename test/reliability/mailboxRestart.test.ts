/**
 * The POP3/IMAP server restarting in the middle of a poll, against the real Dovecot: a proxy in
 * front of it cuts every connection when the poller starts its 10th download and refuses
 * connections for 3 s, as a restarting server does (Dovecot itself is shared by other tests,
 * so it is not restarted for real). The poller worker of the server process is left alone:
 * it must notice, retry by itself, and end with every reply attached and forwarded exactly once
 * and the mailbox empty.
 *
 * Run: node --import tsx --test test/reliability/mailboxRestart.test.ts
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readPollStatus } from '../../src/inbound/index.js';
import { inboundDb } from '../../src/inbound/inbound.table.js';
import { newAddress, peersConfig, readAllImap, requirePeers } from '../harness/mailPeers.js';
import { STORE_KINDS } from '../support/stores.js';
import { CuttableProxy } from './cuttableProxy.js';
import { fillMailbox } from './maildir.js';
import { eventually, inboundByMessageId, replyTo, startWorld } from './support.js';

const REPLIES = 30;

for (const kind of STORE_KINDS) {
  for (const protocol of ['pop3', 'imap'] as const) {
    describe(`${protocol.toUpperCase()} server restarting mid-session (${kind})`, () => {
      test('the poller recovers by itself; every reply attached and forwarded once; the mailbox ends empty', { timeout: 120_000 }, async (t) => {
        if (!(await requirePeers(t))) return;
        const peers = peersConfig();
        const proxy = new CuttableProxy(peers.host, protocol === 'pop3' ? peers.pop3Port : peers.imapPort);
        const port = await proxy.start();
        t.after(() => proxy.stop());
        const tracking = newAddress('restart');
        const w = await startWorld(t, kind, {
          account: { host: '127.0.0.1', port, protocol, username: tracking, password: peers.password, address: tracking, pollSeconds: 3600 },
          config: { workers: true },
        });
        if (!w) return;
        let downloads = 0;
        let restarted: Promise<void> | undefined;
        proxy.onClientData = (chunk) => {
          const text = chunk.toString('latin1');
          downloads += (text.match(protocol === 'pop3' ? /^RETR \d+/gim : /BODY\.PEEK\[\]/gi) ?? []).length;
          if (downloads >= 10 && !restarted) restarted = proxy.restart(3_000);
        };
        // The worker may poll as soon as mail is there; the restart is armed first.
        const how = await fillMailbox(
          tracking,
          Array.from({ length: REPLIES }, (_, i) => replyTo(w, `${protocol}-${i + 1}`)),
        );
        t.diagnostic(`mailbox filled through ${how}`);
        // Settings with a 1-second interval wake the worker; from here on nobody pokes it.
        const put = await w.h.admin.put('/api/v1/admin/email/tracking', {
          protocol,
          host: '127.0.0.1',
          port,
          security: 'none',
          username: tracking,
          address: tracking,
          pollSeconds: 1,
          deleteUntracked: false,
        });
        assert.equal(put.status, 200, JSON.stringify(put.body));

        await eventually(async () => restarted !== undefined, 'the restart at the 10th download', 30_000);
        await restarted;
        const failedPoll = await eventually(
          async () => (await readPollStatus(w.h.running.ctx)).lastPollError,
          'a poll that failed because of the restart',
          30_000,
        );
        t.diagnostic(`poll error seen: ${failedPoll}`);
        await eventually(
          async () => (await inboundByMessageId(w)).size === REPLIES && (await readAllImap(tracking)).length === 0,
          'every reply filed and removed',
          60_000,
          200,
        );

        const attached = await inboundByMessageId(w);
        for (let i = 1; i <= REPLIES; i++) assert.equal(attached.get(`<reply-${protocol}-${i}@customer.example>`), 1, `reply ${i} attached once`);
        const db = w.h.running.ctx.store.db;
        const rows = await inboundDb(db).selectFrom('inbound_messages').select(['state', 'removed_from_server']).execute();
        assert.equal(rows.length, REPLIES, 'each stored once');
        assert.ok(rows.every((r) => r.state === 'attached'));
        const forwards = await db.selectFrom('outbox').select('email_id').where('kind', '=', 'forward').execute();
        assert.equal(forwards.length, REPLIES);
        assert.equal(new Set(forwards.map((f) => f.email_id)).size, REPLIES, 'one forward per reply');
        assert.equal(proxy.restarts, 1);
        await eventually(async () => (await readPollStatus(w.h.running.ctx)).lastPollError === null, 'a clean poll after the restart', 10_000);
      });
    });
  }
}
