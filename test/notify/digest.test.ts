import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { simpleParser } from 'mailparser';
import { setClock } from '../../src/clock.js';
import { deliverDueBatches, deliverDueDigests, notificationsModule } from '../../src/notifications/index.js';
import { latestDigestMoment } from '../../src/notifications/prefs.js';
import { outboundModule } from '../../src/outbound/index.js';
import { Sender } from '../../src/outbound/sender.js';
import { setTrackingSettings } from '../../src/store/trackingAccounts.repository.js';
import { startTestApp } from '../support/app.js';
import { SmtpSink } from '../support/smtpSink.js';
import { STORE_KINDS, type StoreKind } from '../support/stores.js';

const HOUR = 3_600_000;

/** A clock the test moves by hand, starting now; the digest never waits on wall time. */
function manualClock(t: TestContext) {
  let at = Date.now();
  setClock({ now: () => new Date(at) });
  t.after(() => setClock({ now: () => new Date() }));
  return { now: () => new Date(at), set: (ms: number) => (at = ms) };
}

async function setup(t: TestContext, kind: StoreKind) {
  const sink = await new SmtpSink().start();
  t.after(() => sink.stop());
  const h = await startTestApp(t, kind, { modules: [outboundModule(), notificationsModule] });
  if (!h) return undefined;
  await h.admin.put('/api/v1/admin/email/sending', { host: '127.0.0.1', port: sink.port, security: 'none' });
  await setTrackingSettings(h.running.ctx.store.db, { address: 'tracking@example.test' });
  await h.admin.post('/api/v1/projects', { key: 'DIG', name: 'Digests' });
  await h.admin.put('/api/v1/projects/DIG/options/email', {
    sendingEnabled: true,
    trackingEnabled: true,
    notificationAccount: { name: 'DIG Tracker', address: 'dig-notify@example.test' },
  });
  const dev = await h.user('dev', { project: 'DIG' });
  const ann = await h.user('ann', { project: 'DIG' });
  const send = async () => {
    const s = new Sender(h.running.ctx);
    const n = await s.drain();
    await s.stop();
    return n;
  };
  return { h, sink, dev, ann, send };
}

describe('digest moments', () => {
  test("the latest digest hour not after now, in the person's zone, across a DST change", () => {
    // Europe/Berlin moves to summer time on 29 March 2026 at 02:00 → 03:00.
    assert.equal(latestDigestMoment(new Date('2026-03-28T08:30:00Z'), 9, 'Europe/Berlin').toISOString(), '2026-03-28T08:00:00.000Z');
    assert.equal(latestDigestMoment(new Date('2026-03-29T07:30:00Z'), 9, 'Europe/Berlin').toISOString(), '2026-03-29T07:00:00.000Z');
    assert.equal(latestDigestMoment(new Date('2026-03-29T06:59:59Z'), 9, 'Europe/Berlin').toISOString(), '2026-03-28T08:00:00.000Z');
    assert.equal(latestDigestMoment(new Date('2026-03-10T23:59:00Z'), 9, 'Asia/Tokyo').toISOString(), '2026-03-10T00:00:00.000Z');
    assert.equal(latestDigestMoment(new Date('2026-03-11T00:00:00Z'), 9, 'Asia/Tokyo').toISOString(), '2026-03-11T00:00:00.000Z');
    assert.equal(latestDigestMoment(new Date('2026-03-11T00:00:00Z'), 0, 'UTC').toISOString(), '2026-03-11T00:00:00.000Z');
  });
});

for (const kind of STORE_KINDS) {
  describe(`daily digest on ${kind}`, () => {
    test('settings take "digest", an hour and a time zone; bad ones are refused', async (t) => {
      const s = await setup(t, kind);
      if (!s) return;
      const url = '/api/v1/projects/DIG/notification-settings';
      assert.equal((await s.ann.put(url, { digestHour: 24 })).status, 400);
      assert.equal((await s.ann.put(url, { timeZone: 'Mars/Olympus' })).body.error.code, 'invalid_time_zone');
      const put = await s.ann.put(url, { events: { changed: 'digest' }, digestHour: 7, timeZone: 'Asia/Tokyo', autoWatch: { commented: false } });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      const got = (await s.ann.get(url)).body;
      assert.equal(got.events.changed, 'digest');
      assert.equal(got.digestHour, 7);
      assert.equal(got.timeZone, 'Asia/Tokyo');
      assert.deepEqual(got.autoWatch, { created: true, assigned: true, commented: false, mentioned: true });
      assert.equal(typeof got.serverTimeZone, 'string');
      assert.equal((await s.ann.put(url, { timeZone: null })).body.timeZone, null, "back to the server's zone");
      assert.equal((await s.ann.get(url)).body.digestHour, 7, 'the hour is kept when only the zone changes');
    });

    test('at the chosen hour in the chosen zone, one digest with one section per record, each a tracked email of its record; once', async (t) => {
      const s = await setup(t, kind);
      if (!s) return;
      const clock = manualClock(t);
      // The next full UTC hour is the digest hour in Tokyo (UTC+9, no summer time).
      const target = Math.ceil((clock.now().getTime() + 1) / HOUR) * HOUR;
      const tokyoHour = (new Date(target).getUTCHours() + 9) % 24;
      const put = await s.ann.put('/api/v1/projects/DIG/notification-settings', {
        events: { changed: 'digest', commented: 'digest' },
        digestHour: tokyoHour,
        timeZone: 'Asia/Tokyo',
      });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      const recs: { id: string; tag: string }[] = [];
      for (const title of ['Totals wrong', 'Export slow', 'Login loops']) {
        recs.push((await s.dev.post('/api/v1/projects/DIG/records', { type: 'defect', title })).body as { id: string; tag: string });
      }
      for (const r of recs.slice(0, 2)) assert.equal((await s.ann.put(`/api/v1/projects/DIG/records/${r.id}/watchers/ann`, {})).status, 200);
      const ctx = s.h.running.ctx;
      await s.dev.patch(`/api/v1/projects/DIG/records/${recs[0]!.id}`, { priority: 'high' });
      await s.dev.post(`/api/v1/projects/DIG/records/${recs[0]!.id}/comments`, { body: 'Seen on the March invoice too' });
      await s.dev.patch(`/api/v1/projects/DIG/records/${recs[1]!.id}`, { title: 'Export slow on Mondays' });
      await s.dev.patch(`/api/v1/projects/DIG/records/${recs[2]!.id}`, { priority: 'low' }); // ann does not watch it

      clock.set(target - 1_000);
      assert.equal(await deliverDueBatches(ctx, clock.now()), 0, 'digest rows are no batch');
      assert.equal(await deliverDueDigests(ctx, clock.now()), 0, 'a second before the hour: nothing');
      assert.equal(await s.send(), 0);
      clock.set(target);
      assert.equal(await deliverDueDigests(ctx, clock.now()), 1, 'at the hour: one digest');
      assert.equal(await deliverDueDigests(ctx, clock.now()), 0, 'and only one');
      assert.equal(await s.send(), 1);
      const mail = await simpleParser(s.sink.messages[0]!.raw);
      assert.deepEqual(s.sink.messages[0]!.to, ['ann@example.test']);
      assert.match(mail.subject ?? '', /^\[DIG-D1 [0-9a-z]{8}\] Daily digest: 2 records in Digests$/);
      const text = mail.text ?? '';
      const headings = text.split('\n').filter((l) => l.startsWith('== '));
      assert.deepEqual(
        headings.map((h) => h.slice(3, 9)),
        ['DIG-D1', 'DIG-D2'],
        'one section per record, in order',
      );
      assert.match(text, /dev Tester changed DIG-D1: Priority: — → high/);
      assert.match(text, /dev Tester commented on DIG-D1/);
      assert.match(text, /Title: Export slow → Export slow on Mondays/);
      assert.doesNotMatch(text, /DIG-D3/);
      const links = [...(mail.html || '').matchAll(/href="(mailto:[^"]+)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));
      assert.equal(links.length, 2);

      const db = ctx.store.db;
      const sections = await db
        .withTables<{ digest_sections: { digest_email_id: string; section_email_id: string; record_id: string; record_tag: string; position: number } }>()
        .selectFrom('digest_sections')
        .selectAll()
        .orderBy('position')
        .execute();
      assert.deepEqual(
        sections.map((x) => x.record_id),
        [recs[0]!.id, recs[1]!.id],
      );
      for (const [i, sec] of sections.entries()) {
        const row = await db.selectFrom('emails').selectAll().where('id', '=', sec.section_email_id).executeTakeFirstOrThrow();
        assert.equal(row.record_id, recs[i]!.id, 'each section is a tracked email of its own record');
        assert.equal(row.forward_to, 'dev@example.test', 'its replies go to whoever did what it tells of');
        const link = new URL(links[i]!);
        assert.match(decodeURIComponent(link.searchParams.get('subject') ?? ''), new RegExp(`^Re: \\[${recs[i]!.tag} [0-9a-z]{8}\\]`));
        assert.ok(link.searchParams.get('body')!.includes(row.cookie!), 'the link carries that section’s own cookie');
      }
      const outbox = await db.selectFrom('outbox').select('email_id').where('kind', '=', 'send').execute();
      assert.equal(outbox.length, 1, 'the sections are never sent alone');

      // A change after the hour waits for the next day's digest.
      await s.dev.patch(`/api/v1/projects/DIG/records/${recs[0]!.id}`, { priority: 'low' });
      clock.set(target + 23 * HOUR);
      assert.equal(await deliverDueDigests(ctx, clock.now()), 0);
      clock.set(target + 24 * HOUR);
      assert.equal(await deliverDueDigests(ctx, clock.now()), 1);
      assert.equal(await s.send(), 1);
      const next = await simpleParser(s.sink.messages[1]!.raw);
      assert.match(next.subject ?? '', /Daily digest: 1 record in Digests$/);
    });
  });
}
