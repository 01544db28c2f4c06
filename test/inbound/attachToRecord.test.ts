import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createTrackingModule } from '../../src/inbound/index.js';
import { inboundDb } from '../../src/inbound/inbound.table.js';
import { outboundModule } from '../../src/outbound/index.js';
import { startTestApp } from '../support/app.js';
import { STORE_KINDS } from '../support/stores.js';
import { FakeMailbox } from './fakeMailbox.js';

/**
 * POST /admin/inbound/:id/attach {recordId}: mail that names no tracked email (a customer
 * writing fresh, not replying) filed by an admin on a record that has no email yet. It becomes
 * the start of a conversation there (parent null) and is never forwarded (docs/inbound.md).
 */
const TRACKING = 'tracking@example.test';
const CUSTOMER = 'casey@customer.example';

const freshMail = [
  'Date: Tue, 3 Mar 2026 15:00:00 +0100',
  'Message-ID: <fresh-1@customer.example>',
  'Subject: The invoice PDF again',
  `From: Casey <${CUSTOMER}>`,
  `To: ${TRACKING}`,
  'Content-Type: text/plain; charset="UTF-8"',
  '',
  'Hello, the invoice PDF still has no page numbers.',
  '',
  'On Mon, 2 Mar 2026, Support wrote:',
  '> Thanks, we will look into it.',
  '',
].join('\r\n');

for (const kind of STORE_KINDS) {
  describe(`attach unmatched mail to a record on ${kind}`, () => {
    test('filed on the record without a parent, never forwarded, removed from the server; one target only', async (t) => {
      const box = new FakeMailbox();
      const h = await startTestApp(t, kind, { modules: [outboundModule(), createTrackingModule({ pollOptions: { opener: box.opener } })] });
      if (!h) return;
      const put = await h.admin.put('/api/v1/admin/email/tracking', {
        protocol: 'pop3',
        host: 'mail.invalid',
        port: 110,
        security: 'none',
        username: 'tracking',
        password: 'secret-password',
        address: TRACKING,
        pollSeconds: 60,
        deleteUntracked: false,
      });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      assert.equal((await h.admin.post('/api/v1/projects', { key: 'TRK', name: 'Tracking' })).status, 201);
      const dev = await h.user('dev', { project: 'TRK', group: 'Developers' });
      const record = await dev.post('/api/v1/projects/TRK/records', { type: 'defect', title: 'Invoice PDF has no page numbers' });
      assert.equal(record.status, 201);
      const recordId = record.body.id as string;
      const db = h.running.ctx.store.db;

      box.add(freshMail);
      const poll = await h.admin.post('/api/v1/admin/email/tracking/poll');
      assert.equal(poll.body.kept, 1, JSON.stringify(poll.body));
      const [listed] = (await h.admin.get('/api/v1/admin/inbound')).body.messages;
      assert.equal(listed.reason, 'no_cookie');
      const attachPath = `/api/v1/admin/inbound/${listed.id as string}/attach`;

      // The preview reads the stored message; a stored message gone from the blob store is a
      // 404 that says so, not a 500.
      const previewPath = `/api/v1/admin/inbound/${listed.id as string}/preview`;
      const preview = await h.admin.get(previewPath);
      assert.equal(preview.status, 200, JSON.stringify(preview.body));
      assert.equal(preview.body.subject, 'The invoice PDF again');
      const inbound = inboundDb(db);
      const stored = await inbound
        .selectFrom('inbound_messages')
        .select('raw_blob')
        .where('id', '=', listed.id as string)
        .executeTakeFirstOrThrow();
      await inbound
        .updateTable('inbound_messages')
        .set({ raw_blob: 'f'.repeat(64) })
        .where('id', '=', listed.id as string)
        .execute();
      const lost = await h.admin.get(previewPath);
      assert.equal(lost.status, 404, JSON.stringify(lost.body));
      assert.equal(lost.body.error.code, 'raw_message_missing');
      await inbound
        .updateTable('inbound_messages')
        .set({ raw_blob: stored.raw_blob })
        .where('id', '=', listed.id as string)
        .execute();

      // Exactly one target.
      const both = await h.admin.post(attachPath, { emailId: 'x', recordId });
      assert.equal(both.status, 400);
      assert.equal(both.body.error.code, 'attach_target');
      assert.equal((await h.admin.post(attachPath, {})).status, 400);
      assert.equal((await h.admin.post(attachPath, { recordId: 'no-such-record' })).status, 404);
      // An administrator's decision: a project member cannot make it.
      assert.equal((await dev.post(attachPath, { recordId })).status, 403);

      const attached = await h.admin.post(attachPath, { recordId });
      assert.equal(attached.status, 200, JSON.stringify(attached.body));
      assert.equal(attached.body.outcome.kind, 'attached');
      assert.equal(attached.body.message.state, 'attached');
      assert.equal(attached.body.message.targetEmailId, null, 'filed under no email');
      assert.equal(attached.body.message.emailId, attached.body.outcome.emailId);

      const emails = (await dev.get(`/api/v1/projects/TRK/records/${recordId}/emails`)).body.emails;
      assert.equal(emails.length, 1);
      const [mail] = emails;
      assert.equal(mail.id, attached.body.outcome.emailId);
      assert.equal(mail.parentId, null);
      assert.equal(mail.direction, 'inbound');
      assert.equal(mail.status, 'received');
      assert.equal(mail.from, CUSTOMER);
      assert.equal(mail.subject, 'The invoice PDF again');
      assert.equal(mail.replyText, 'Hello, the invoice PDF still has no page numbers.');
      assert.match(mail.quotedText, /we will look into it/);
      assert.equal(mail.flags.attachedByHand, true);
      assert.equal(mail.flags.unexpectedSender, true, 'nobody on the record wrote to this address');
      assert.deepEqual(await db.selectFrom('outbox').select('id').where('kind', '=', 'forward').execute(), [], 'never forwarded');

      // Filed once: a second attach, to the record or to an email, is refused.
      assert.equal((await h.admin.post(attachPath, { recordId })).status, 409);
      const row = await inboundDb(db).selectFrom('inbound_messages').selectAll().where('id', '=', listed.id).executeTakeFirstOrThrow();
      const project = await db.selectFrom('projects').select('id').where('key', '=', 'TRK').executeTakeFirstOrThrow();
      assert.equal(row.project_id, project.id);
      assert.equal(row.email_id, mail.id);

      // Like any filed message it leaves the tracking account at the next poll, unfetched.
      const fetches = box.fetches;
      await h.admin.post('/api/v1/admin/email/tracking/poll');
      assert.equal(box.fetches, fetches);
      assert.equal(box.messages.size, 0);

      // The way to answer it: a tracked reply from the record, to the sender by default.
      const reply = await dev.post(`/api/v1/emails/${mail.id as string}/reply`, { text: 'Thanks, Casey: fixed in the next release.' });
      assert.equal(reply.status, 202, JSON.stringify(reply.body));
      const after = (await dev.get(`/api/v1/projects/TRK/records/${recordId}/emails`)).body.emails;
      const answer = after.find((e: { id: string }) => e.id === reply.body.id);
      assert.equal(answer.parentId, mail.id);
      assert.deepEqual(answer.to, [CUSTOMER]);
    });
  });
}
