import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { simpleParser } from 'mailparser';
import { outboundModule } from '../../src/outbound/index.js';
import { Sender } from '../../src/outbound/sender.js';
import { rulesModule } from '../../src/rules/index.js';
import { setTrackingSettings } from '../../src/store/trackingAccounts.repository.js';
import { templatesModule } from '../../src/templates/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { SmtpSink } from '../support/smtpSink.js';
import { STORE_KINDS } from '../support/stores.js';

async function setup(t: Parameters<typeof startTestApp>[0], kind: (typeof STORE_KINDS)[number]) {
  const sink = await new SmtpSink().start();
  t.after(() => sink.stop());
  const h = await startTestApp(t, kind, { modules: [templatesModule, outboundModule(), rulesModule] });
  if (!h) return undefined;
  await h.admin.put('/api/v1/admin/email/sending', { host: '127.0.0.1', port: sink.port, security: 'none' });
  await setTrackingSettings(h.running.ctx.store.db, { address: 'tracking@example.test' });
  await h.admin.post('/api/v1/projects', { key: 'ACC', name: 'Accounting' });
  await h.admin.put('/api/v1/projects/ACC/options/email', {
    sendingEnabled: true,
    trackingEnabled: true,
    notificationAccount: { name: 'ACC Tracker', address: 'acc-notify@example.test' },
  });
  const dev = await h.user('dev', { project: 'ACC', group: 'Developers' });
  const ann = await h.user('ann', { project: 'ACC', group: 'Developers' });
  await h.user('vic', { project: 'ACC', group: 'Viewers' });
  const send = async () => {
    const s = new Sender(h.running.ctx);
    await s.drain();
    await s.stop();
  };
  const mails = async () => Promise.all(sink.messages.map(async (m) => ({ to: m.to, parsed: await simpleParser(m.raw) })));
  return { h, sink, dev, ann, send, mails };
}

async function rule(h: TestApp, body: Record<string, unknown>) {
  const res = await h.admin.post('/api/v1/projects/ACC/notification-rules', {
    enabled: true,
    recordTypes: [],
    tracked: true,
    template: 'Record changed',
    ...body,
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body as { id: string };
}

for (const kind of STORE_KINDS) {
  describe(`notification rules on ${kind}`, () => {
    test('assigned: the assignee gets a tracked email from the notification account', async (t) => {
      const s = await setup(t, kind);
      if (!s) return;
      await rule(s.h, { name: 'Tell the assignee', event: 'record.assigned', recipients: ['assignee'], template: 'Record assigned', recordTypes: ['defect'] });
      const rec = await s.dev.post('/api/v1/projects/ACC/records', { type: 'defect', title: 'Rounding error' });
      await s.dev.patch(`/api/v1/projects/ACC/records/${rec.body.id}`, { assignee: 'ann' });
      await s.send();
      const mails = await s.mails();
      assert.equal(mails.length, 1);
      const m = mails[0]!;
      assert.deepEqual(m.to, ['ann@example.test']);
      assert.equal(m.parsed.from?.value[0]?.address, 'acc-notify@example.test');
      assert.equal(m.parsed.from?.value[0]?.name, 'ACC Tracker');
      assert.equal(m.parsed.replyTo?.value[0]?.address, 'tracking@example.test');
      assert.equal(m.parsed.headers.get('auto-submitted'), 'auto-generated');
      assert.equal(m.parsed.headers.get('x-auto-response-suppress'), 'All');
      assert.match(m.parsed.messageId ?? '', /^<mt1/);
      assert.match(m.parsed.text ?? '', /Rounding error/);
      const emails = await s.dev.get(`/api/v1/projects/ACC/records/${rec.body.id}/emails`);
      assert.equal(emails.body.emails[0].source, 'rule');
      assert.equal(emails.body.emails[0].from, 'acc-notify@example.test');
    });

    test('each event and recipient kind; the actor is not mailed; disabled rules are silent', async (t) => {
      const s = await setup(t, kind);
      if (!s) return;
      await rule(s.h, { name: 'created → creator (actor, so nobody)', event: 'record.created', recipients: ['creator'] });
      await rule(s.h, { name: 'created → group Viewers', event: 'record.created', recipients: ['group:Viewers'], template: 'Record created' });
      await rule(s.h, {
        name: 'status → user:ann + address',
        event: 'record.statusChanged',
        recipients: ['user:ann', 'address:boss@example.test'],
        conditions: { statusEquals: 'Fixed' },
      });
      await rule(s.h, { name: 'updated → creator, actor included', event: 'record.updated', recipients: ['creator'], notifyActor: true, tracked: false });
      await rule(s.h, { name: 'disabled', event: 'record.updated', recipients: ['address:never@example.test'], enabled: false });
      await rule(s.h, { name: 'other type', event: 'record.created', recipients: ['address:req@example.test'], recordTypes: ['requirement'] });

      const rec = await s.dev.post('/api/v1/projects/ACC/records', { type: 'defect', title: 'Crash on save' });
      await s.send();
      let mails = await s.mails();
      assert.deepEqual(
        mails.map((m) => m.to.join()),
        ['vic@example.test'],
        'created: only the Viewers group (creator is the actor)',
      );

      await s.dev.patch(`/api/v1/projects/ACC/records/${rec.body.id}`, { status: 'In progress' });
      await s.send();
      mails = await s.mails();
      assert.deepEqual(
        mails.slice(1).map((m) => m.to.join()),
        ['dev@example.test'],
        'updated (not Fixed): the creator, who asked to be told of own changes',
      );
      assert.ok(!(mails[1]!.parsed.messageId ?? '').includes('mt1'), 'tracked: false sends without a cookie');

      // One update matching two rules sends two emails, once each.
      await s.ann.patch(`/api/v1/projects/ACC/records/${rec.body.id}`, { status: 'Fixed' });
      await s.send();
      mails = await s.mails();
      // The status rule names ann, but ann made the change: only the fixed address gets it.
      // The "updated" rule mails the creator (dev). Two rules, two emails.
      assert.deepEqual(
        mails
          .slice(2)
          .map((m) => m.to.join())
          .sort(),
        ['boss@example.test', 'dev@example.test'],
      );
      assert.match(mails.find((m) => m.to.includes('boss@example.test'))!.parsed.text ?? '', /Fixed/);
      await s.send();
      assert.equal(s.sink.messages.length, 4, 'nothing is sent twice');
    });

    test('rule routes need project.administer and validate input', async (t) => {
      const s = await setup(t, kind);
      if (!s) return;
      assert.equal((await s.dev.get('/api/v1/projects/ACC/notification-rules')).status, 403);
      const bad = await s.h.admin.post('/api/v1/projects/ACC/notification-rules', {
        name: 'x',
        enabled: true,
        event: 'record.created',
        recordTypes: [],
        recipients: ['nobody'],
        template: 'Record created',
        tracked: true,
      });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.code, 'invalid_recipient');
      const noTemplate = await s.h.admin.post('/api/v1/projects/ACC/notification-rules', {
        name: 'x',
        enabled: true,
        event: 'record.created',
        recordTypes: [],
        recipients: ['creator'],
        template: 'Nope',
        tracked: true,
      });
      assert.equal(noTemplate.status, 400);
      const r = await rule(s.h, { name: 'r', event: 'record.created', recipients: ['creator'] });
      const upd = await s.h.admin.put(`/api/v1/projects/ACC/notification-rules/${r.id}`, {
        name: 'r2',
        enabled: false,
        event: 'record.updated',
        recordTypes: ['defect'],
        recipients: ['assignee'],
        template: 'Record changed',
        tracked: true,
      });
      assert.equal(upd.status, 200);
      assert.equal(upd.body.name, 'r2');
      assert.equal((await s.h.admin.get('/api/v1/projects/ACC/notification-rules')).body.rules.length, 1);
      assert.equal((await s.h.admin.delete(`/api/v1/projects/ACC/notification-rules/${r.id}`)).status, 204);
    });
  });
}
