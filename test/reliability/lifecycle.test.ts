/**
 * Running it for real, with a real `mailtrail serve` process: /metrics scraped (token on the
 * main port, and the separate MAILTRAIL_METRICS_PORT) while it sends and polls, /api/health and
 * /api/ready, and a SIGTERM in the middle of a send: the send under way finishes and is
 * recorded, the entries claimed but not yet sent are given back (another process sends them at
 * once, not after the lease), and the process exits 0 within its bound.
 *
 * Run: node --import tsx --test test/reliability/lifecycle.test.ts
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { newAddress, peersConfig, requirePeers } from '../harness/mailPeers.js';
import { openStore } from '../../src/store/db.js';
import { fillMailbox } from './maildir.js';
import { serve, type Served } from './serveProcess.js';
import { eventually } from './support.js';

/** An SMTP server that can hold its answer to DATA until the test lets go, and refuse some recipients. */
class HoldingSink {
  received: string[] = [];
  hold = false;
  held: (() => void)[] = [];
  port = 0;
  private server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo: (address, _session, cb) =>
      address.address.startsWith('refused') ? cb(Object.assign(new Error('5.1.1 no such user'), { responseCode: 550 })) : cb(),
    onData: (stream, _session, cb) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const accept = () => {
          this.received.push(/^message-id:\s*(<[^>]+>)/im.exec(Buffer.concat(chunks).toString('latin1'))?.[1] ?? '');
          cb();
        };
        if (this.hold) this.held.push(accept);
        else accept();
      });
    },
  });

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.server.address() as { port: number }).port;
    return this;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** One sample of a Prometheus text exposition: the value of `name{labels}` (labels as a substring). */
function sample(text: string, name: string, labels = ''): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_:]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (m && m[1] === name && (m[2] ?? '').includes(labels)) return Number(m[3]);
  }
  return undefined;
}

const TOKEN = 'metrics-token-0123456789abcdef';

test('metrics while sending and polling, readiness, and a SIGTERM mid-send that finishes it and releases the rest', { timeout: 180_000 }, async (t) => {
  if (!(await requirePeers(t))) return;
  const sink = await new HoldingSink().start();
  t.after(() => sink.stop());
  const dataDir = mkdtempSync(join(tmpdir(), 'mailtrail-lifecycle-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const env = {
    MAILTRAIL_DATA: dataDir,
    MAILTRAIL_SECRET: 'lifecycle-secret-0123456789',
    MAILTRAIL_DEMO: '0',
    LOG_LEVEL: 'info',
    MAILTRAIL_METRICS_TOKEN: TOKEN,
    MAILTRAIL_METRICS_PORT: '0',
    MAILTRAIL_SHUTDOWN_SECONDS: '60',
  };
  const s = await serve(t, env);
  const metricsPort = await eventually(
    async () => Number(/"port":(\d+),"msg":"metrics listening"/.exec(s.child.stdout())?.[1]) || undefined,
    'the metrics port',
  );
  const call = async <T = Record<string, unknown>>(method: string, path: string, body?: unknown, expect = 200, served: Served = s) => {
    const res = await served.api<T>(method, path, body, served.token);
    assert.equal(res.status, expect, `${method} ${path}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
    return res.body;
  };
  const scrape = async () => {
    const res = await fetch(`${s.base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    return res.text();
  };

  // Health, readiness, and the protection of /metrics.
  assert.equal((await s.api('GET', '/api/health')).status, 200);
  const ready = await s.api<{ status: string; checks: Record<string, { ok: boolean; detail: string }> }>('GET', '/api/ready');
  assert.equal(ready.status, 200, JSON.stringify(ready.body));
  assert.deepEqual(Object.fromEntries(Object.entries(ready.body.checks).map(([k, v]) => [k, v.ok])), { database: true, migrations: true, workers: true });
  assert.match(ready.body.checks.workers!.detail, /sender/);
  assert.equal((await fetch(`${s.base}/metrics`)).status, 401, 'no token: refused');
  assert.equal((await fetch(`${s.base}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status, 401);
  const onPort = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
  assert.equal(onPort.status, 200, 'the separate port needs no token');
  assert.match(await onPort.text(), /nodejs_eventloop_lag_seconds/);

  const peers = peersConfig();
  const tracking = newAddress('lifecycle-tracking');
  await call('PUT', '/api/v1/admin/email/sending', { host: '127.0.0.1', port: sink.port, security: 'none', maxConnections: 1 });
  await call('PUT', '/api/v1/admin/email/tracking', {
    protocol: 'pop3',
    host: peers.host,
    port: peers.pop3Port,
    security: 'none',
    username: tracking,
    password: peers.password,
    address: tracking,
    pollSeconds: 1,
    deleteUntracked: false,
  });
  await call('POST', '/api/v1/projects', { key: 'LC', name: 'Lifecycle' }, 201);
  const rec = await call<{ id: string }>('POST', '/api/v1/projects/LC/records', { type: 'defect', title: 'Metrics' }, 201);
  const send = (to: string) => call<{ id: string }>('POST', `/api/v1/projects/LC/records/${rec.id}/emails`, { to: [to], text: 'Hello' }, 202);

  // A send that goes through and one the server refuses with 550.
  const ok = await send('first@example.test');
  const refused = await send('refused@example.test');
  await eventually(async () => (await call<{ status: string }>('GET', `/api/v1/emails/${ok.id}`)).status === 'sent', 'the first email sent');
  await eventually(async () => (await call<{ status: string }>('GET', `/api/v1/emails/${refused.id}`)).status === 'failed', 'the refused email failed');
  let text = await scrape();
  assert.equal(sample(text, 'mailtrail_send_duration_seconds_count', 'kind="send",outcome="sent"'), 1);
  assert.equal(sample(text, 'mailtrail_send_duration_seconds_count', 'kind="send",outcome="failed"'), 1);
  assert.equal(sample(text, 'mailtrail_send_failures_total', 'code_class="5xx",permanent="true"'), 1);
  assert.equal(sample(text, 'mailtrail_outbox_entries', 'state="done"'), 1);
  assert.equal(sample(text, 'mailtrail_outbox_entries', 'state="failed"'), 1);
  assert.ok(
    (sample(text, 'mailtrail_http_request_duration_seconds_count', 'method="POST",route="/api/v1/projects/:key/records/:id/emails",status_class="2xx"') ?? 0) >=
      2,
  );
  assert.equal(sample(text, 'mailtrail_workers_running', 'worker="sender"'), 1);
  assert.ok(sample(text, 'mailtrail_db_pool_connections', 'state="total"') !== undefined);
  assert.ok(sample(text, 'nodejs_eventloop_lag_seconds') !== undefined);

  // A poll: a reply to the first email lands in the tracking mailbox; scraped while it is imported.
  const original = await call<{ messageId: string; subject: string }>('GET', `/api/v1/emails/${ok.id}`);
  await fillMailbox(tracking, [
    Buffer.from(
      [
        `From: <first@example.test>`,
        `To: ${tracking}`,
        `Subject: Re: ${original.subject}`,
        'Message-ID: <lifecycle-reply@example.test>',
        `In-Reply-To: ${original.messageId}`,
        '',
        'Thanks.',
        '',
      ].join('\r\n'),
    ),
  ]);
  // The account as the poller names it (protocol, user and server; never the password).
  const account = `account="pop3://${tracking.replace('@', '%40')}@${peers.host}:${peers.pop3Port}"`;
  const scrapes: string[] = [];
  await eventually(
    async () => {
      scrapes.push(await scrape());
      return (sample(scrapes.at(-1)!, 'mailtrail_messages_processed_total', `${account},outcome="imported"`) ?? 0) >= 1;
    },
    'the reply imported, seen in /metrics',
    60_000,
    100,
  ).catch((err: Error) => {
    throw new Error(
      `${err.message}\n${(scrapes.at(-1) ?? '')
        .split('\n')
        .filter((l) => /^mailtrail_(messages|poll)/.test(l))
        .join('\n')}\n${s.child.stdout().slice(-3000)}`,
    );
  });
  text = scrapes.at(-1)!;
  assert.ok((sample(text, 'mailtrail_messages_fetched_total', account) ?? 0) >= 1);
  assert.ok((sample(text, 'mailtrail_poll_duration_seconds_count', `${account},result="ok"`) ?? 0) >= 1);
  assert.ok((sample(text, 'mailtrail_poll_lag_seconds', account) ?? -1) >= 0);
  assert.equal(sample(text, 'mailtrail_poll_failing', account), 0);
  assert.match(text, /# TYPE mailtrail_imap_idle_connected gauge/, 'the IDLE series is declared (POP3 here: no connection)');
  t.diagnostic(`${scrapes.length} scrapes during the poll`);

  // SIGTERM with a send under way: three queued, the first one's DATA held by the server.
  await eventually(async () => sink.received.length === 2, 'the forward of the reply sent');
  sink.hold = true;
  const queued = [await send('a@example.test'), await send('b@example.test'), await send('c@example.test')];
  await eventually(async () => sink.held.length === 1, 'a send under way');
  text = await scrape();
  assert.equal(sample(text, 'mailtrail_outbox_entries', 'state="pending"'), 3, 'the outbox depth during the send');
  s.child.process.kill('SIGTERM');
  await eventually(async () => (await s.api('GET', '/api/ready')).status === 503, '/api/ready says 503 while shutting down');
  assert.equal(s.child.process.exitCode, null, 'the process waits for the send under way');
  sink.hold = false;
  sink.held.shift()!();
  const exit = await s.child.exited;
  assert.equal(exit.code, 0, exit.stderr);

  const store = await openStore({ kind: 'sqlite', path: join(dataDir, 'mailtrail.sqlite') });
  const rows = await store.db
    .selectFrom('outbox')
    .innerJoin('emails', 'emails.id', 'outbox.email_id')
    .select(['emails.id', 'emails.status', 'outbox.state', 'outbox.lease_owner', 'outbox.attempts'])
    .where(
      'emails.id',
      'in',
      queued.map((q) => q.id),
    )
    .execute();
  await store.close();
  const byId = new Map(rows.map((r) => [r.id, r]));
  const first = queued.find((q) => byId.get(q.id)!.status === 'sent');
  assert.ok(first, `the send under way finished and was recorded: ${JSON.stringify(rows)}`);
  for (const q of queued.filter((x) => x !== first)) {
    assert.deepEqual(
      { state: byId.get(q.id)!.state, lease: byId.get(q.id)!.lease_owner, attempts: Number(byId.get(q.id)!.attempts) },
      { state: 'pending', lease: null, attempts: 0 },
      'given back untouched',
    );
  }
  assert.equal(sink.received.length, 3, 'the server got the held message once and nothing more');

  // The next process sends the two given back at once (their lease is gone, not waiting 2 minutes).
  const again = await serve(t, env);
  await eventually(async () => sink.received.length === 5, 'the released emails sent by the next process', 30_000);
  assert.equal(new Set(sink.received).size, 5, 'no message twice');
  assert.equal(await again.stop(), 0);
});
