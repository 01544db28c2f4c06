import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createTrackingModule } from '../../src/inbound/index.js';
import { outboundModule } from '../../src/outbound/index.js';
import { Sender } from '../../src/outbound/sender.js';
import { FakeMailbox } from '../inbound/fakeMailbox.js';
import { startTestApp } from '../support/app.js';
import { SmtpSink } from '../support/smtpSink.js';
import { STORE_KINDS } from '../support/stores.js';

const TRACKING = 'tracking@example.test';
const CUSTOMER = 'customer@customer.example';

/** The reply a mail client sends to `messageId`, quoting it. */
function reply(messageId: string, cookie: string, text: string): Buffer {
  return Buffer.from(
    [
      'MIME-Version: 1.0',
      'Date: Tue, 3 Mar 2026 10:15:02 +0100',
      `References: ${messageId}`,
      `In-Reply-To: ${messageId}`,
      `Message-ID: <reply-${cookie}@customer.example>`,
      'Subject: Re: Totals',
      `From: Customer Person <${CUSTOMER}>`,
      `To: ${TRACKING}`,
      'Content-Type: text/plain; charset=UTF-8',
      '',
      text,
      '',
      '> earlier text',
      `> Mailtrail ref: ${cookie}`,
      '',
    ].join('\r\n'),
  );
}

for (const kind of STORE_KINDS) {
  describe(`record versions and history on ${kind}`, () => {
    test('a stale edit gets 409 edit_conflict with the other change; If-Match and version both work', async (t) => {
      const h = await startTestApp(t, kind);
      if (!h) return;
      await h.admin.post('/api/v1/projects', { key: 'ACC', name: 'Accounting' });
      const ann = await h.user('ann', { project: 'ACC' });
      const bob = await h.user('bob', { project: 'ACC' });
      const created = await ann.post('/api/v1/projects/ACC/records', { type: 'defect', title: 'Totals', description: 'line one\nline two\n' });
      assert.equal(created.status, 201);
      assert.equal(created.body.version, 1);
      const url = `/api/v1/projects/ACC/records/${created.body.id}`;
      const got = await bob.get(url);
      assert.equal(got.headers['etag'], '"1"');

      const bobSaves = await h.app.inject({
        method: 'PATCH',
        url,
        headers: { authorization: `Bearer ${bob.token}`, 'if-match': '"1"' },
        payload: { description: 'line one\nline two, clarified by Bob\n' },
      });
      assert.equal(bobSaves.statusCode, 200, bobSaves.body);
      assert.equal(bobSaves.headers['etag'], '"2"');
      assert.equal(JSON.parse(bobSaves.body).version, 2);

      const annSaves = await ann.patch(url, { description: 'Ann rewrote it all\n', title: 'Totals off by one', version: 1 });
      assert.equal(annSaves.status, 409);
      assert.equal(annSaves.body.error.code, 'edit_conflict');
      assert.match(annSaves.body.error.message, /bob/);
      assert.equal(annSaves.body.error.details.current.version, 2);
      assert.equal(annSaves.body.error.details.current.description, 'line one\nline two, clarified by Bob\n');
      assert.deepEqual(annSaves.body.error.details.changes, [
        { field: 'description', old: 'line one\nline two\n', new: 'line one\nline two, clarified by Bob\n', by: ['bob'] },
      ]);
      const unchanged = await ann.get(url);
      assert.equal(unchanged.body.title, 'Totals', 'nothing of the refused edit was saved');

      const merged = await ann.patch(url, { description: 'line one\nline two, clarified by Bob\nAnn adds a line\n', title: 'Totals off by one', version: 2 });
      assert.equal(merged.status, 200);
      assert.equal(merged.body.version, 3);

      const badHeader = await h.app.inject({
        method: 'PATCH',
        url,
        headers: { authorization: `Bearer ${bob.token}`, 'if-match': 'yesterday' },
        payload: { title: 'x' },
      });
      assert.equal(badHeader.statusCode, 400);
      assert.equal(JSON.parse(badHeader.body).error.code, 'invalid_if_match');
      // Without a precondition the old last-write behaviour holds (scripts written before versions).
      assert.equal((await bob.patch(url, { status: 'In progress' })).body.version, 4);

      const history = (await ann.get(`${url}/history`)).body.events as {
        kind: string;
        actor: string;
        version?: number;
        changes: { field: string; old: string | null; new: string | null }[];
      }[];
      assert.deepEqual(
        history.map((e) => [e.kind, e.actor, e.version]),
        [
          ['created', 'ann', 1],
          ['updated', 'bob', 2],
          ['updated', 'ann', 3],
          ['updated', 'bob', 4],
        ],
      );
      const descriptionEdit = history[2]!.changes.find((c) => c.field === 'description')!;
      assert.equal(descriptionEdit.old, 'line one\nline two, clarified by Bob\n', 'the full old text is kept, so the diff can be shown');
      assert.equal(descriptionEdit.new, 'line one\nline two, clarified by Bob\nAnn adds a line\n');
    });

    test('two concurrent edits from one version: exactly one wins, the other gets 409', async (t) => {
      const h = await startTestApp(t, kind);
      if (!h) return;
      await h.admin.post('/api/v1/projects', { key: 'ACC', name: 'Accounting' });
      const ann = await h.user('ann', { project: 'ACC' });
      const rec = await ann.post('/api/v1/projects/ACC/records', { type: 'defect', title: 'Race' });
      const url = `/api/v1/projects/ACC/records/${rec.body.id}`;
      const results = await Promise.all(Array.from({ length: 6 }, (_, i) => ann.patch(url, { description: `writer ${i}`, version: 1 })));
      assert.deepEqual(results.map((r) => r.status).sort(), [200, 409, 409, 409, 409, 409]);
      const final = await ann.get(url);
      assert.equal(final.body.version, 2);
      const winner = results.find((r) => r.status === 200)!;
      assert.equal(final.body.description, winner.body.description);
    });

    test('email sent, received, forwarded and deleted appear in the history; a deleted email with replies stays as a trace', async (t) => {
      const sink = await new SmtpSink().start();
      t.after(() => sink.stop());
      const box = new FakeMailbox();
      const h = await startTestApp(t, kind, { modules: [outboundModule(), createTrackingModule({ pollOptions: { opener: box.opener } })] });
      if (!h) return;
      assert.equal((await h.admin.put('/api/v1/admin/email/sending', { host: '127.0.0.1', port: sink.port, security: 'none' })).status, 200);
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
      assert.equal(put.status, 200);
      await h.admin.post('/api/v1/projects', { key: 'ACC', name: 'Accounting' });
      const dev = await h.user('dev', { project: 'ACC', email: 'dev@example.test' });
      const rec = await dev.post('/api/v1/projects/ACC/records', { type: 'defect', title: 'Totals' });
      const base = `/api/v1/projects/ACC/records/${rec.body.id}`;
      const sent = await dev.post(`${base}/emails`, { to: [CUSTOMER], subject: 'Totals', text: 'Could you check?' });
      assert.equal(sent.status, 202);
      const sender = new Sender(h.running.ctx);
      assert.equal(await sender.drain(), 1);
      const db = h.running.ctx.store.db;
      const original = await db.selectFrom('emails').selectAll().where('id', '=', sent.body.id).executeTakeFirstOrThrow();
      box.add(reply(original.message_id!, original.cookie!, 'Yes, one line too many.'));
      const poll = await h.admin.post('/api/v1/admin/email/tracking/poll');
      assert.equal(poll.body.imported, 1, JSON.stringify(poll.body));
      assert.equal(await sender.drain(), 1, 'the forward goes out');
      await sender.stop();

      assert.equal((await h.admin.delete(`/api/v1/emails/${sent.body.id}`)).status, 204);
      const thread = (await dev.get(`${base}/emails`)).body.emails as {
        id: string;
        parentId: string | null;
        text: string;
        subject: string;
        deleted?: { by: string };
      }[];
      assert.equal(thread.length, 2, 'the deleted original stays as a trace: its reply is not orphaned');
      assert.equal(thread[0]!.id, sent.body.id);
      assert.deepEqual(thread[0]!.deleted?.by, 'admin');
      assert.equal(thread[0]!.text, '', 'the trace carries no content');
      assert.equal(thread[0]!.subject, '');
      assert.equal(thread[1]!.parentId, sent.body.id, 'the reply keeps its place in the thread');
      assert.equal((await dev.get(`/api/v1/emails/${sent.body.id}`)).status, 404, 'the deleted email itself cannot be opened');

      const events = (await dev.get(`${base}/history`)).body.events as {
        kind: string;
        actor: string | null;
        email?: { id: string; from: string; to: string[]; forwardedTo?: string };
      }[];
      const kinds = events.map((e) => e.kind);
      assert.deepEqual(kinds, ['created', 'email.sent', 'email.received', 'email.forwarded', 'email.deleted']);
      const byKind = Object.fromEntries(events.map((e) => [e.kind, e]));
      assert.equal(byKind['email.sent']!.actor, 'dev');
      assert.deepEqual(byKind['email.sent']!.email!.to, [CUSTOMER]);
      assert.equal(byKind['email.received']!.email!.from, CUSTOMER);
      assert.equal(byKind['email.forwarded']!.email!.forwardedTo, 'dev@example.test');
      assert.equal(byKind['email.deleted']!.actor, 'admin');
      assert.equal(byKind['email.deleted']!.email!.id, sent.body.id);

      // A deleted email without replies leaves the thread (only the history remembers it).
      const replyId = thread[1]!.id;
      assert.equal((await h.admin.delete(`/api/v1/emails/${replyId}`)).status, 204);
      assert.equal((await dev.get(`${base}/emails`)).body.emails.length, 0);
      assert.equal((await dev.get(`${base}/history`)).body.events.filter((e: { kind: string }) => e.kind === 'email.deleted').length, 2);
    });
  });
}
