import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { STORE_KINDS } from '../support/stores.js';
import { newAddress, readAllImap, requirePeers, sendViaPostfix, waitForMessageCount } from '../harness/mailPeers.js';
import { buildReply, drainOutbox, sendOriginal, startWorld } from './support.js';

/**
 * End to end on the real peers: a tracked email goes out through Postfix, the customer's reply
 * comes back through Postfix into the Dovecot tracking mailbox, the poll fetches it over POP3
 * or IMAP, files it under the original, queues the forward and removes it from the mailbox.
 */
for (const kind of STORE_KINDS) {
  for (const protocol of ['pop3', 'imap'] as const) {
    describe(`tracked reply over ${protocol} on ${kind}`, () => {
      test('reply attached under the original, forwarded to the sender, gone from the tracking mailbox', async (t) => {
        if (!(await requirePeers(t))) return;
        const w = await startWorld(t, kind, { protocol, security: protocol === 'imap' ? 'tls' : 'none' });
        if (!w) return;
        const customer = newAddress('customer');
        const original = await sendOriginal(w, customer);
        assert.equal(original.received.replyTo[0]?.address, w.tracking, 'Reply-To is the tracking address');

        const reply = await buildReply(original.received, { from: customer, to: w.tracking, text: 'Fixed on our side, thanks!' });
        await sendViaPostfix({ from: customer, to: w.tracking, raw: reply });
        await waitForMessageCount(w.tracking, 1);

        const poll = await w.h.admin.post('/api/v1/admin/email/tracking/poll');
        assert.equal(poll.status, 200, JSON.stringify(poll.body));
        assert.deepEqual(poll.body, { fetched: 1, imported: 1, forwarded: 1, deletedUntracked: 0, kept: 0, rejected: 0 });

        const thread = await w.dev.get(`/api/v1/projects/${w.projectKey}/records/${w.recordId}/emails`);
        assert.equal(thread.status, 200);
        assert.equal(thread.body.emails.length, 2);
        const inbound = thread.body.emails.find((e: { direction: string }) => e.direction === 'inbound');
        assert.equal(inbound.parentId, original.id);
        assert.equal(inbound.recordId, w.recordId);
        assert.equal(inbound.status, 'received');
        assert.equal(inbound.from, customer);
        assert.equal(inbound.replyText, 'Fixed on our side, thanks!');
        assert.match(inbound.text, /Could you check the totals/, 'text keeps the quote');
        assert.equal(inbound.flags.unexpectedSender, undefined, 'the customer was a recipient of the thread');

        const db = w.h.running.ctx.store.db;
        const forwards = await db.selectFrom('outbox').selectAll().where('kind', '=', 'forward').execute();
        assert.equal(forwards.length, 1);
        assert.equal(forwards[0]!.email_id, inbound.id);
        assert.equal(forwards[0]!.forward_to, w.devAddress);

        assert.deepEqual(await readAllImap(w.tracking), [], 'the reply left the tracking mailbox');
        const again = await w.h.admin.post('/api/v1/admin/email/tracking/poll');
        assert.deepEqual(again.body, { fetched: 0, imported: 0, forwarded: 0, deletedUntracked: 0, kept: 0, rejected: 0 });

        // The forward really goes out, to the sender, and the reply is then 'forwarded'.
        await drainOutbox(w.h);
        await waitForMessageCount(w.devAddress, 1);
        const forwarded = (await readAllImap(w.devAddress))[0]!.toString('latin1');
        assert.match(forwarded, /Fixed on our side, thanks!/);
        const after = await w.dev.get(`/api/v1/projects/${w.projectKey}/records/${w.recordId}/emails`);
        assert.equal(after.body.emails.find((e: { id: string }) => e.id === inbound.id).status, 'forwarded');

        const status = await w.h.admin.get('/api/v1/admin/email/status');
        assert.equal(status.status, 200);
        assert.equal(status.body.lastPollError, null);
        assert.equal(status.body.inbound.attached, 1);
      });

      test('untracked mail: kept on the server and never fetched twice; deleted with deleteUntracked', async (t) => {
        if (!(await requirePeers(t))) return;
        const w = await startWorld(t, kind, { protocol });
        if (!w) return;
        const stranger = newAddress('stranger');
        await sendViaPostfix({ from: stranger, to: w.tracking, subject: 'Buy now', text: 'Nothing to do with any record.' });
        await waitForMessageCount(w.tracking, 1);

        // Server options → Tracking → Test: the stored settings, then unsaved ones with a wrong password.
        const ok = await w.h.admin.post('/api/v1/admin/email/tracking/test');
        assert.equal(ok.status, 200);
        assert.equal(ok.body.ok, true, ok.body.message);
        assert.match(ok.body.message, /1 message/);
        const current = (await w.h.admin.get('/api/v1/admin/email/tracking')).body;
        const { passwordSet: _ps, configured: _cf, ...fields } = current;
        const wrong = await w.h.admin.post('/api/v1/admin/email/tracking/test', { ...fields, password: 'wrong-password' });
        assert.equal(wrong.body.ok, false);
        assert.match(wrong.body.message, /refused the user name or password/);
        assert.equal((await w.h.admin.get('/api/v1/admin/email/tracking')).body.passwordSet, true, 'testing does not save');

        const first = await w.h.admin.post('/api/v1/admin/email/tracking/poll');
        assert.deepEqual(first.body, { fetched: 1, imported: 0, forwarded: 0, deletedUntracked: 0, kept: 1, rejected: 0 });
        const second = await w.h.admin.post('/api/v1/admin/email/tracking/poll');
        assert.deepEqual(second.body, { fetched: 0, imported: 0, forwarded: 0, deletedUntracked: 0, kept: 0, rejected: 0 }, 'not fetched again');
        assert.equal((await readAllImap(w.tracking)).length, 1, 'still on the server');

        const list = await w.h.admin.get('/api/v1/admin/inbound?state=unmatched');
        assert.equal(list.status, 200);
        assert.equal(list.body.messages.length, 1);
        const m = list.body.messages[0];
        assert.equal(m.from, stranger);
        assert.equal(m.subject, 'Buy now');
        assert.equal(m.state, 'unmatched');
        assert.equal(m.reason, 'no_cookie');
        assert.match(m.message, /No Mailtrail tracking reference/);
        const raw = await w.h.admin.get(`/api/v1/admin/inbound/${m.id}/raw`);
        assert.equal(raw.status, 200);
        assert.match(String(raw.headers['content-type']), /message\/rfc822/);
        assert.match(String(raw.body), /Nothing to do with any record/);

        // Turning deleteUntracked on removes what was kept, at the next poll, without fetching it again.
        const settings = await w.h.admin.get('/api/v1/admin/email/tracking');
        const { passwordSet: _p, configured: _c, ...rest } = settings.body;
        assert.equal((await w.h.admin.put('/api/v1/admin/email/tracking', { ...rest, deleteUntracked: true })).status, 200);
        const third = await w.h.admin.post('/api/v1/admin/email/tracking/poll');
        assert.deepEqual(third.body, { fetched: 0, imported: 0, forwarded: 0, deletedUntracked: 1, kept: 0, rejected: 0 });
        assert.deepEqual(await readAllImap(w.tracking), []);
      });
    });
  }
}
