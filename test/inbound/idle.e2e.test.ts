import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { STORE_KINDS } from '../support/stores.js';
import { newAddress, readAllImap, requirePeers, sendViaPostfix, waitForMessageCount } from '../harness/mailPeers.js';
import { buildReply, eventually, startWorld } from './support.js';
import { parseMessage } from '../../src/mail/mime/parseMessage.js';

/**
 * With the workers running and IMAP, the poller keeps a connection in IDLE: a reply is filed
 * within seconds even though the poll interval is an hour.
 */
for (const kind of STORE_KINDS) {
  describe(`IMAP IDLE on ${kind}`, () => {
    test('a reply is attached within seconds, long before the next interval', async (t) => {
      if (!(await requirePeers(t))) return;
      const w = await startWorld(t, kind, { protocol: 'imap', security: 'starttls', pollSeconds: 3600 }, { config: { workers: true } });
      if (!w) return;
      const customer = newAddress('customer');
      const sent = await w.dev.post(`/api/v1/projects/${w.projectKey}/records/${w.recordId}/emails`, {
        to: [customer],
        subject: 'Invoice totals',
        text: 'Please check.',
      });
      assert.equal(sent.status, 202);
      await waitForMessageCount(customer, 1, 15_000);
      const received = await parseMessage((await readAllImap(customer))[0]!);
      // Let the first poll and the IDLE connection settle before the reply arrives.
      await eventually(async () => (await w.h.admin.get('/api/v1/admin/email/status')).body.lastPollAt, 10_000, 'a first poll');
      await new Promise((r) => setTimeout(r, 1500));

      await sendViaPostfix({
        from: customer,
        to: w.tracking,
        raw: await buildReply(received, { from: customer, to: w.tracking, text: 'Arrived through IDLE.' }),
      });
      const reply = await eventually(
        async () => {
          const thread = await w.dev.get(`/api/v1/projects/${w.projectKey}/records/${w.recordId}/emails`);
          return thread.body.emails.find((e: { direction: string }) => e.direction === 'inbound') as { replyText: string } | undefined;
        },
        15_000,
        'the reply to be attached',
      );
      // The poll interval is an hour and the first poll is done, so only IDLE can have fetched it
      // (the latency itself is measured in bench/latency.ts).
      assert.equal(reply.replyText, 'Arrived through IDLE.');
      // The sender worker forwards it to the original sender.
      await waitForMessageCount(w.devAddress, 1, 15_000);
    });
  });
}
