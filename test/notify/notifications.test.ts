import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { simpleParser } from 'mailparser';
import { setClock } from '../../src/clock.js';
import { deliverDueBatches, notificationsModule } from '../../src/notifications/index.js';
import { outboundModule } from '../../src/outbound/index.js';
import { Sender } from '../../src/outbound/sender.js';
import { setTrackingSettings } from '../../src/store/trackingAccounts.repository.js';
import { templatesModule } from '../../src/templates/index.js';
import { startTestApp } from '../support/app.js';
import { SmtpSink } from '../support/smtpSink.js';
import { STORE_KINDS, type StoreKind } from '../support/stores.js';

/** A clock the test moves by hand: batching and digests never wait on wall time. */
function manualClock(t: TestContext) {
  let at = new Date().getTime();
  setClock({ now: () => new Date(at) });
  t.after(() => setClock({ now: () => new Date() }));
  return {
    now: () => new Date(at),
    advance: (ms: number) => {
      at += ms;
    },
  };
}

async function setup(t: TestContext, kind: StoreKind) {
  const sink = await new SmtpSink().start();
  t.after(() => sink.stop());
  const h = await startTestApp(t, kind, { modules: [templatesModule, outboundModule(), notificationsModule] });
  if (!h) return undefined;
  await h.admin.put('/api/v1/admin/email/sending', { host: '127.0.0.1', port: sink.port, security: 'none' });
  await setTrackingSettings(h.running.ctx.store.db, { address: 'tracking@example.test' });
  await h.admin.post('/api/v1/projects', { key: 'NOT', name: 'Notes' });
  await h.admin.put('/api/v1/projects/NOT/options/email', {
    sendingEnabled: true,
    trackingEnabled: true,
    notificationAccount: { name: 'NOT Tracker', address: 'not-notify@example.test' },
  });
  const dev = await h.user('dev', { project: 'NOT' });
  const ann = await h.user('ann', { project: 'NOT' });
  const bob = await h.user('bob', { project: 'NOT' });
  const carl = await h.user('carl', { project: 'NOT' });
  const vic = await h.user('vic', { project: 'NOT', group: 'Viewers' });
  await h.user('outsider');
  const send = async () => {
    const s = new Sender(h.running.ctx);
    const n = await s.drain();
    await s.stop();
    return n;
  };
  const rec = (await dev.post('/api/v1/projects/NOT/records', { type: 'defect', title: 'Totals wrong' })).body as { id: string; tag: string };
  return { h, sink, dev, ann, bob, carl, vic, send, rec, url: `/api/v1/projects/NOT/records/${rec.id}` };
}

for (const kind of STORE_KINDS) {
  describe(`personal notifications on ${kind}`, () => {
    test('@mentions mail each mentioned member once per comment: not the author, not outsiders, again only for a new comment', async (t) => {
      const s = await setup(t, kind);
      if (!s) return;
      const c = await s.dev.post(`${s.url}/comments`, { body: 'Could @ann and @Bob check the March totals? cc @dev @outsider @admin @nobody' });
      assert.equal(c.status, 201, JSON.stringify(c.body));
      assert.equal(await s.send(), 2);
      assert.deepEqual(s.sink.messages.map((m) => m.to.join()).sort(), ['ann@example.test', 'bob@example.test']);
      const mail = await simpleParser(s.sink.messages.find((m) => m.to.includes('ann@example.test'))!.raw);
      assert.equal(mail.from?.value[0]?.address, 'not-notify@example.test');
      assert.equal(mail.replyTo?.value[0]?.address, 'tracking@example.test');
      assert.match(mail.subject ?? '', /\[NOT-D1[^\]]*\] dev Tester mentioned you on NOT-D1: Totals wrong/);
      assert.match(mail.text ?? '', /Could @ann and @Bob check the March totals\?/);
      assert.match(mail.text ?? '', /filed on NOT-D1 and sent to dev Tester/);

      // An edit that adds @carl tells carl only; ann and bob were told of this comment already.
      const edited = await s.dev.patch(`${s.url}/comments/${c.body.id}`, { body: 'Could @ann, @bob and @carl check the March totals?' });
      assert.equal(edited.status, 200);
      assert.equal(await s.send(), 1);
      assert.deepEqual(
        s.sink.messages.slice(2).map((m) => m.to.join()),
        ['carl@example.test'],
      );
      // A new comment is a new question: ann hears of it, and the author (who mentions themself) does not.
      await s.ann.post(`${s.url}/comments`, { body: '@dev done, and @ann notes it for herself' });
      assert.equal(await s.send(), 1);
      assert.deepEqual(
        s.sink.messages.slice(3).map((m) => m.to.join()),
        ['dev@example.test'],
      );
      assert.equal(await s.send(), 0, 'nothing twice');
    });

    test('a burst of 20 changes to one record is one email per watcher, once the record is quiet (a clock moved by hand)', async (t) => {
      const s = await setup(t, kind);
      if (!s) return;
      const clock = manualClock(t);
      await s.ann.put(`${s.url}/watchers/ann`, {});
      await s.vic.put(`${s.url}/watchers/vic`, {});
      const ctx = s.h.running.ctx;
      for (let i = 1; i <= 20; i++) {
        const res = await s.dev.patch(s.url, { title: `Totals wrong, take ${i}` });
        assert.equal(res.status, 200);
        clock.advance(5_000);
        assert.equal(await deliverDueBatches(ctx, clock.now()), 0, `still busy after change ${i}: nothing goes out`);
      }
      assert.equal(await s.send(), 0, 'no email per change');
      clock.advance(60_000);
      assert.equal(await deliverDueBatches(ctx, clock.now()), 0, 'quiet for 65 s, the window is 2 minutes');
      clock.advance(60_000);
      assert.equal(await deliverDueBatches(ctx, clock.now()), 2, 'quiet for the window: one email to each watcher');
      assert.equal(await deliverDueBatches(ctx, clock.now()), 0, 'and never twice');
      assert.equal(await s.send(), 2);
      assert.deepEqual(
        s.sink.messages.map((m) => m.to.join()).sort(),
        ['ann@example.test', 'vic@example.test'],
        'the one who made the changes is not told of them',
      );
      const mail = await simpleParser(s.sink.messages[0]!.raw);
      assert.match(mail.subject ?? '', /20 updates: Totals wrong, take 20/);
      const bullets = (mail.text ?? '').split('\n').filter((l) => l.startsWith('• '));
      assert.equal(bullets.length, 20);
      assert.match(bullets[0]!, /Title: Totals wrong → Totals wrong, take 1$/);
      assert.match(bullets[19]!, /take 19 → Totals wrong, take 20$/);

      // A record that never goes quiet still mails, once the first change has waited 15 minutes.
      for (let i = 0; i < 16; i++) {
        await s.dev.patch(s.url, { priority: i % 2 ? 'high' : 'low' });
        clock.advance(60_000);
        const due = await deliverDueBatches(ctx, clock.now());
        assert.equal(due, i < 14 ? 0 : i === 14 ? 2 : 0, `minute ${i + 1}`);
      }
    });

    test('settings choose the delivery per event; the inbox counts, lists and marks read; My work lists assigned, watching, mentioned', async (t) => {
      const s = await setup(t, kind);
      if (!s) return;
      const settings = '/api/v1/projects/NOT/notification-settings';
      const initial = await s.ann.get(settings);
      assert.deepEqual(initial.body.events, { mentioned: 'immediate', assigned: 'app', changed: 'batch', commented: 'batch' });
      assert.equal(initial.body.digestHour, 8);
      assert.equal(initial.body.timeZone, null);
      const bad = await s.ann.put(settings, { events: { changed: 'hourly' } });
      assert.equal(bad.status, 400);
      assert.equal((await s.ann.put(settings, { events: { watched: 'app' } })).status, 400, 'an event there is not');
      const put = await s.ann.put(settings, { events: { changed: 'immediate', commented: 'never' } });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      assert.deepEqual(put.body.events, { mentioned: 'immediate', assigned: 'app', changed: 'immediate', commented: 'never' });
      assert.deepEqual((await s.ann.get(settings)).body, put.body, 'kept');
      assert.equal((await s.bob.get(settings)).body.events.changed, 'batch', 'per person');

      await s.dev.patch(s.url, { assignee: 'ann' });
      await s.dev.patch(s.url, { priority: 'high' });
      await s.dev.post(`${s.url}/comments`, { body: 'Plain note, nobody mentioned' });
      await s.dev.post(`${s.url}/comments`, { body: 'And @ann, please look' });
      assert.equal(await s.send(), 2, 'the change (immediate) and the mention; the assignment is in the app only, the plain comment nowhere');
      assert.deepEqual(
        s.sink.messages.map((m) => m.to.join()),
        ['ann@example.test', 'ann@example.test'],
      );

      const inbox = (await s.ann.get('/api/v1/me/notifications')).body as {
        unread: number;
        notifications: { id: string; kind: string; summary: string; record: { tag: string }; actor: string; readAt: string | null }[];
      };
      assert.equal(inbox.unread, 3);
      assert.deepEqual(
        inbox.notifications.map((n) => n.kind),
        ['mentioned', 'changed', 'assigned'],
      );
      assert.ok(inbox.notifications.every((n) => n.record.tag === 'NOT-D1' && n.actor === 'dev'));
      assert.match(inbox.notifications[1]!.summary, /Priority: — → high/);
      assert.deepEqual((await s.ann.get('/api/v1/me/notifications/count')).body, { unread: 3 });
      assert.deepEqual((await s.bob.get('/api/v1/me/notifications/count')).body, { unread: 0 });
      assert.deepEqual((await s.ann.post('/api/v1/me/notifications/read', { ids: [inbox.notifications[2]!.id] })).body, { unread: 2 });
      assert.deepEqual(
        (await s.bob.post('/api/v1/me/notifications/read', { ids: [inbox.notifications[0]!.id] })).body,
        { unread: 0 },
        "someone else's ids change nothing",
      );
      assert.equal((await s.ann.get('/api/v1/me/notifications/count')).body.unread, 2);

      const other = (await s.dev.post('/api/v1/projects/NOT/records', { type: 'defect', title: 'Rounding' })).body as { id: string };
      await s.ann.put(`/api/v1/projects/NOT/records/${other.id}/watchers/ann`, {});
      const work = (await s.ann.get('/api/v1/projects/NOT/my-work')).body as {
        assigned: { tag: string }[];
        watching: { tag: string }[];
        mentioned: { record: { tag: string } }[];
        unread: number;
      };
      assert.deepEqual(
        work.assigned.map((r) => r.tag),
        ['NOT-D1'],
      );
      assert.deepEqual(work.watching.map((r) => r.tag).sort(), ['NOT-D1', 'NOT-D2']);
      assert.deepEqual(
        work.mentioned.map((m) => m.record.tag),
        ['NOT-D1'],
      );
      assert.equal(work.unread, 2);
      assert.deepEqual((await s.ann.post('/api/v1/me/notifications/read', {})).body, { unread: 0 });
      await s.ann.delete(`${s.url}/watchers/ann`);
      assert.deepEqual(
        ((await s.ann.get('/api/v1/projects/NOT/my-work')).body.watching as { tag: string }[]).map((r) => r.tag),
        ['NOT-D2'],
        'unwatched, although the assignee',
      );
    });
  });
}
