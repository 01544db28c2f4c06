import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setClock } from '../../src/clock.js';
import { deliverDueBatches, deliverDueDigests, notificationsModule } from '../../src/notifications/index.js';
import { outboundModule } from '../../src/outbound/index.js';
import { openContext } from '../../src/server.js';
import { setTrackingSettings } from '../../src/store/trackingAccounts.repository.js';
import { startTestApp } from '../support/app.js';

/**
 * Batched notifications go out exactly once when several servers share one PostgreSQL database:
 * two contexts with pools of their own (as two processes have) deliver the same due batches at
 * the same moment, and each person gets one email per record.
 */
test('two servers delivering the same due batches on PostgreSQL queue each email once', { timeout: 180_000 }, async (t) => {
  const h = await startTestApp(t, 'postgres', { modules: [outboundModule(), notificationsModule] });
  if (!h) return;
  let at = new Date().getTime();
  setClock({ now: () => new Date(at) });
  t.after(() => setClock({ now: () => new Date() }));
  await setTrackingSettings(h.running.ctx.store.db, { address: 'tracking@example.test' });
  await h.admin.post('/api/v1/projects', { key: 'RACE', name: 'Race' });
  await h.admin.put('/api/v1/projects/RACE/options/email', {
    sendingEnabled: true,
    trackingEnabled: true,
    notificationAccount: { name: 'Race', address: 'race@example.test' },
  });
  const dev = await h.user('dev', { project: 'RACE' });
  const watchers = await Promise.all(['w1', 'w2', 'w3'].map((n) => h.user(n, { project: 'RACE' })));
  const RECORDS = 8;
  for (let r = 0; r < RECORDS; r++) {
    const rec = (await dev.post('/api/v1/projects/RACE/records', { type: 'defect', title: `Record ${r}` })).body as { id: string };
    for (const [i, w] of watchers.entries()) assert.equal((await w.put(`/api/v1/projects/RACE/records/${rec.id}/watchers/w${i + 1}`, {})).status, 200);
    for (let c = 0; c < 3; c++) assert.equal((await dev.patch(`/api/v1/projects/RACE/records/${rec.id}`, { title: `Record ${r}, edit ${c}` })).status, 200);
  }
  at += 3 * 60_000;

  const other = await openContext(h.running.ctx.config, h.running.ctx.log);
  t.after(() => other.store.close());
  const now = new Date(at);
  const [a, b] = await Promise.all([deliverDueBatches(h.running.ctx, now), deliverDueBatches(other, now)]);
  assert.equal(a + b, RECORDS * watchers.length, `the two servers queued ${a} + ${b}`);
  const db = h.running.ctx.store.db;
  const emails = await db.selectFrom('emails').select(['record_id', 'to_list']).where('source', '=', 'rule').execute();
  assert.equal(emails.length, RECORDS * watchers.length);
  assert.equal(new Set(emails.map((e) => `${e.record_id} ${e.to_list}`)).size, emails.length, 'no person got two emails about one record');
  const outbox = await db.selectFrom('outbox').select('email_id').where('kind', '=', 'send').execute();
  assert.equal(outbox.length, RECORDS * watchers.length);
  assert.equal(await deliverDueBatches(other, now), 0);
});

/** The daily digest likewise: two servers at the digest hour queue one digest per person. */
test('two servers delivering the same due digests on PostgreSQL queue each digest once', { timeout: 180_000 }, async (t) => {
  const h = await startTestApp(t, 'postgres', { modules: [outboundModule(), notificationsModule] });
  if (!h) return;
  let at = new Date().getTime();
  setClock({ now: () => new Date(at) });
  t.after(() => setClock({ now: () => new Date() }));
  await setTrackingSettings(h.running.ctx.store.db, { address: 'tracking@example.test' });
  await h.admin.post('/api/v1/projects', { key: 'DRACE', name: 'Digest race' });
  await h.admin.put('/api/v1/projects/DRACE/options/email', {
    sendingEnabled: true,
    trackingEnabled: true,
    notificationAccount: { name: 'Race', address: 'race@example.test' },
  });
  const dev = await h.user('dev', { project: 'DRACE' });
  const target = Math.ceil((at + 1) / 3_600_000) * 3_600_000;
  const people = await Promise.all(['w1', 'w2', 'w3', 'w4'].map((n) => h.user(n, { project: 'DRACE' })));
  for (const p of people) {
    const put = await p.put('/api/v1/projects/DRACE/notification-settings', {
      events: { changed: 'digest' },
      digestHour: new Date(target).getUTCHours(),
      timeZone: 'UTC',
    });
    assert.equal(put.status, 200);
  }
  const RECORDS = 5;
  for (let r = 0; r < RECORDS; r++) {
    const rec = (await dev.post('/api/v1/projects/DRACE/records', { type: 'defect', title: `Record ${r}` })).body as { id: string };
    for (const [i, w] of people.entries()) assert.equal((await w.put(`/api/v1/projects/DRACE/records/${rec.id}/watchers/w${i + 1}`, {})).status, 200);
    assert.equal((await dev.patch(`/api/v1/projects/DRACE/records/${rec.id}`, { title: `Record ${r}, edited` })).status, 200);
  }
  at = target;

  const other = await openContext(h.running.ctx.config, h.running.ctx.log);
  t.after(() => other.store.close());
  const now = new Date(at);
  const [a, b] = await Promise.all([deliverDueDigests(h.running.ctx, now), deliverDueDigests(other, now)]);
  assert.equal(a + b, people.length, `the two servers queued ${a} + ${b} digests`);
  const db = h.running.ctx.store.db;
  const digests = await db.selectFrom('emails').select(['to_list']).where('template', '=', 'digest').execute();
  assert.equal(digests.length, people.length);
  assert.equal(new Set(digests.map((e) => e.to_list)).size, people.length, 'nobody got two digests');
  const sections = await db.selectFrom('emails').select('id').where('template', '=', 'digest-section').execute();
  assert.equal(sections.length, people.length * RECORDS, 'one section per person and record');
  assert.equal((await db.selectFrom('outbox').select('email_id').where('kind', '=', 'send').execute()).length, people.length);
  assert.equal(await deliverDueDigests(other, now), 0);
});
