import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createTrackingModule } from '../../src/inbound/index.js';
import { outboundModule } from '../../src/outbound/index.js';
import { Sender } from '../../src/outbound/sender.js';
import { rulesModule } from '../../src/rules/index.js';
import { templatesModule } from '../../src/templates/index.js';
import { FakeMailbox } from '../inbound/fakeMailbox.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { SmtpSink } from '../support/smtpSink.js';
import { STORE_KINDS } from '../support/stores.js';

/**
 * Issue 18, item 1: rules on any field with and/or, and the events beyond record changes —
 * comment added, mentioned, email received — each from the seam where the thing happens.
 */
const TRACKING = 'tracking@example.test';

async function setup(t: Parameters<typeof startTestApp>[0], kind: (typeof STORE_KINDS)[number]) {
  const sink = await new SmtpSink().start();
  t.after(() => sink.stop());
  const box = new FakeMailbox();
  const h = await startTestApp(t, kind, {
    modules: [templatesModule, outboundModule(), createTrackingModule({ pollOptions: { opener: box.opener } }), rulesModule],
  });
  if (!h) return undefined;
  await h.admin.put('/api/v1/admin/email/sending', { host: '127.0.0.1', port: sink.port, security: 'none' });
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
  await h.admin.post('/api/v1/projects', { key: 'EVT', name: 'Events' });
  await h.admin.put('/api/v1/projects/EVT/options/email', {
    sendingEnabled: true,
    trackingEnabled: true,
    notificationAccount: { name: 'EVT Tracker', address: 'evt-notify@example.test' },
  });
  const dev = await h.user('dev', { project: 'EVT', group: 'Developers' });
  const ann = await h.user('ann', { project: 'EVT', group: 'Developers' });
  const sent = async () => {
    const s = new Sender(h.running.ctx);
    await s.drain();
    await s.stop();
    return sink.messages.map((m) => m.to.join());
  };
  return { h, box, dev, ann, sent, sink };
}

async function rule(h: TestApp, body: Record<string, unknown>) {
  const res = await h.admin.post('/api/v1/projects/EVT/notification-rules', {
    enabled: true,
    recordTypes: [],
    tracked: true,
    template: 'Record changed',
    ...body,
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body as Record<string, unknown>;
}

for (const kind of STORE_KINDS) {
  describe(`rule conditions and events on ${kind}`, () => {
    test('a condition tree (any of two priorities, and a changed field) decides; the old conditions still work and read back', async (t) => {
      const s = await setup(t, kind);
      if (!s) return;
      await rule(s.h, {
        name: 'urgent or high, when the priority changed',
        event: 'record.updated',
        recipients: ['address:lead@example.test'],
        condition: {
          all: [
            {
              any: [
                { field: 'priority', op: 'is', value: 'urgent' },
                { field: 'priority', op: 'is', value: 'high' },
              ],
            },
            { field: 'changed', op: 'anyOf', value: ['priority'] },
          ],
        },
      });
      const legacy = await rule(s.h, {
        name: 'old form',
        event: 'record.statusChanged',
        recipients: ['address:qa@example.test'],
        conditions: { statusEquals: 'Fixed' },
      });
      assert.deepEqual(legacy.conditions, { statusEquals: 'Fixed' });
      assert.deepEqual(legacy.condition, { all: [{ field: 'status', op: 'is', value: 'Fixed' }] });
      const bad = await s.h.admin.post('/api/v1/projects/EVT/notification-rules', {
        name: 'bad',
        enabled: true,
        event: 'record.updated',
        recordTypes: [],
        recipients: ['assignee'],
        template: 'Record changed',
        tracked: true,
        condition: { field: 'colour', op: 'is', value: 'red' },
      });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.code, 'invalid_condition');

      const rec = (await s.dev.post('/api/v1/projects/EVT/records', { type: 'defect', title: 'Totals off' })).body;
      await s.dev.patch(`/api/v1/projects/EVT/records/${rec.id}`, { priority: 'low' });
      await s.dev.patch(`/api/v1/projects/EVT/records/${rec.id}`, { title: 'Totals off by one' });
      assert.deepEqual(await s.sent(), [], 'low priority, then no priority change: nothing');
      await s.dev.patch(`/api/v1/projects/EVT/records/${rec.id}`, { priority: 'high' });
      assert.deepEqual(await s.sent(), ['lead@example.test']);
      await s.dev.patch(`/api/v1/projects/EVT/records/${rec.id}`, { status: 'Fixed' });
      assert.deepEqual(await s.sent(), ['lead@example.test', 'qa@example.test'], 'status Fixed: the old-form rule; the priority did not change');
    });

    test('comment added and mentioned fire from the comment; email received fires when mail is filed on the record', async (t) => {
      const s = await setup(t, kind);
      if (!s) return;
      await rule(s.h, { name: 'comments', event: 'comment.added', recipients: ['address:comments@example.test'] });
      await rule(s.h, { name: 'mentions', event: 'record.mentioned', recipients: ['address:mentions@example.test'] });
      await rule(s.h, {
        name: 'mail in on high priority',
        event: 'email.received',
        recipients: ['assignee'],
        condition: { field: 'priority', op: 'in', value: ['high', 'urgent'] },
      });
      const rec = (await s.dev.post('/api/v1/projects/EVT/records', { type: 'defect', title: 'Invoice PDF', assignee: 'ann', priority: 'high' })).body;
      assert.equal((await s.dev.post(`/api/v1/projects/EVT/records/${rec.id}/comments`, { body: 'Looking into it' })).status, 201);
      assert.deepEqual(await s.sent(), ['comments@example.test']);
      assert.equal((await s.dev.post(`/api/v1/projects/EVT/records/${rec.id}/comments`, { body: '@ann can you check?' })).status, 201);
      assert.deepEqual((await s.sent()).slice(1).sort(), ['comments@example.test', 'mentions@example.test']);

      s.box.add(
        [
          'Date: Tue, 3 Mar 2026 15:00:00 +0100',
          'Message-ID: <fresh-evt@customer.example>',
          'Subject: The invoice PDF again',
          `From: Casey <casey@customer.example>`,
          `To: ${TRACKING}`,
          'Content-Type: text/plain; charset="UTF-8"',
          '',
          'Still no page numbers.',
          '',
        ].join('\r\n'),
      );
      const poll = await s.h.admin.post('/api/v1/admin/email/tracking/poll');
      assert.equal(poll.body.kept, 1, JSON.stringify(poll.body));
      const [listed] = (await s.h.admin.get('/api/v1/admin/inbound')).body.messages;
      const attach = await s.h.admin.post(`/api/v1/admin/inbound/${listed.id as string}/attach`, { recordId: rec.id });
      assert.equal(attach.status, 200, JSON.stringify(attach.body));
      assert.deepEqual((await s.sent()).slice(3), ['ann@example.test'], 'the email received rule mails the assignee');
    });
  });
}
