import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { simpleParser } from 'mailparser';
import { outboundModule } from '../../src/outbound/index.js';
import { setTrackingSettings } from '../../src/store/trackingAccounts.repository.js';
import { startTestApp } from '../support/app.js';
import { SmtpSink } from '../support/smtpSink.js';

function runChild(configJson: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', new URL('./sendWorker.child.ts', import.meta.url).pathname], {
      env: { ...process.env, MAILTRAIL_CHILD_CONFIG: configJson },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(Number(out.trim())) : reject(new Error(`child exited ${code}`))));
  });
}

test('two sender processes on one PostgreSQL database send 500 queued emails exactly once', { timeout: 240_000 }, async (t) => {
  const sink = await new SmtpSink().start();
  t.after(() => sink.stop());
  const h = await startTestApp(t, 'postgres', { modules: [outboundModule()] });
  if (!h) return;
  await h.admin.put('/api/v1/admin/email/sending', { host: '127.0.0.1', port: sink.port, security: 'none', maxConnections: 3 });
  await setTrackingSettings(h.running.ctx.store.db, { address: 'tracking@example.test' });
  await h.admin.post('/api/v1/projects', { key: 'LOAD', name: 'Load' });
  const rec = await h.admin.post('/api/v1/projects/LOAD/records', { type: 'defect', title: 'Many mails' });
  const N = 500;
  for (let i = 0; i < N; i++) {
    const r = await h.admin.post(`/api/v1/projects/LOAD/records/${rec.body.id}/emails`, { to: [`r${i}@example.test`], text: `message ${i}` });
    assert.equal(r.status, 202);
  }
  const cfg = JSON.stringify(h.running.ctx.config);
  const [a, b] = await Promise.all([runChild(cfg), runChild(cfg)]);
  assert.equal(a + b, N, `the two processes handled ${a} + ${b}`);
  assert.ok(a > 0 && b > 0, `both processes took part (${a}, ${b})`);
  assert.equal(sink.messages.length, N, 'each email reached the server once');
  const ids = new Set<string>();
  for (const m of sink.messages) ids.add((await simpleParser(m.raw)).messageId ?? '');
  assert.equal(ids.size, N, 'no Message-ID twice');
  const statuses = await h.running.ctx.store.db.selectFrom('emails').select('status').execute();
  assert.ok(statuses.every((s) => s.status === 'sent'));
});

for (const kind of ['sqlite', 'postgres'] as const) {
  test(`a sender that dies after claiming leaves the email to be sent once by another (${kind})`, async (t) => {
    const sink = await new SmtpSink().start();
    t.after(() => sink.stop());
    const h = await startTestApp(t, kind, { modules: [outboundModule()] });
    if (!h) return;
    await h.admin.put('/api/v1/admin/email/sending', { host: '127.0.0.1', port: sink.port, security: 'none' });
    await h.admin.post('/api/v1/projects', { key: 'CR', name: 'Crash' });
    const rec = await h.admin.post('/api/v1/projects/CR/records', { type: 'defect', title: 'x' });
    const sent = await h.admin.post(`/api/v1/projects/CR/records/${rec.body.id}/emails`, { to: ['a@example.test'], text: 'once' });
    const { claimOutbox, LEASE_MS } = await import('../../src/outbound/outbox.js');
    const { Sender } = await import('../../src/outbound/sender.js');
    const { setClock } = await import('../../src/clock.js');
    const { store } = h.running.ctx;
    // The "dead" worker claims and never finishes.
    assert.equal((await claimOutbox(store.db, store.dialect, 'dead-worker', 10)).length, 1);
    const survivor = new Sender(h.running.ctx);
    t.after(() => survivor.stop());
    assert.equal(await survivor.drain(), 0, 'the lease protects the entry while it is valid');
    const base = Date.now();
    setClock({ now: () => new Date(base + LEASE_MS + 1000) });
    t.after(() => setClock({ now: () => new Date() }));
    assert.equal(await survivor.drain(), 1);
    assert.equal(await survivor.drain(), 0);
    assert.equal(sink.messages.length, 1);
    assert.equal((await h.admin.get(`/api/v1/emails/${sent.body.id}`)).body.status, 'sent');
  });
}
