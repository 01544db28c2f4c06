import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setClock } from '../../src/clock.js';
import { deliverDueBatches, notificationsModule } from '../../src/notifications/index.js';
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
