/**
 * Two `mailtrail serve` processes on one PostgreSQL database with the default settings — the
 * database blob backend, no MAILTRAIL_BLOBS set — and separate MAILTRAIL_DATA folders: nothing shared but the database (and MAILTRAIL_SECRET). The
 * whole loop with attachments over the real Postfix and Dovecot: an email with an attachment
 * queued on A goes out through Postfix; a reply with an attachment lands in the tracking
 * mailbox; whichever process polls imports it; the other serves the reply's attachment and raw
 * message; the forward to the original sender carries the attachment. Every attachment is
 * compared by SHA-256, and neither data folder holds a blob.
 *
 * Run: node --import tsx --test test/reliability/sharedNothing.test.ts
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { simpleParser } from 'mailparser';
import { newAddress, peersConfig, readAllImap, requirePeers } from '../harness/mailPeers.js';
import { freshDatabase, requirePostgres } from '../support/stores.js';
import { fillMailbox } from './maildir.js';
import { serve, type Served } from './serveProcess.js';
import { eventually } from './support.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test('two serve processes with PostgreSQL blobs and separate data folders run the loop with attachments', { timeout: 180_000 }, async (t) => {
  if (!(await requirePostgres(t))) return;
  if (!(await requirePeers(t))) return;
  const db = await freshDatabase('postgres');
  t.after(() => db.drop());
  if (db.config.kind !== 'postgres') throw new Error('unreachable');
  const dirs = [0, 1].map(() => mkdtempSync(join(tmpdir(), 'mailtrail-host-')));
  t.after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const env = (dataDir: string) => ({
    DATABASE_URL: `${db.config.kind === 'postgres' ? db.config.url : ''}?schema=${db.config.kind === 'postgres' ? db.config.schema : ''}`,
    MAILTRAIL_DATA: dataDir,
    MAILTRAIL_SECRET: 'shared-nothing-secret-0123456789',
    MAILTRAIL_DEMO: '0',
  });
  const a = await serve(t, env(dirs[0]!));
  const b = await serve(t, env(dirs[1]!));
  const peers = peersConfig();
  const tracking = newAddress('shared-tracking');
  const dev = newAddress('shared-dev');
  const customer = newAddress('shared-customer');
  const call = async <T = Record<string, unknown>>(s: Served, method: string, path: string, body?: unknown, expect = 200, token = s.token) => {
    const res = await s.api<T>(method, path, body, token);
    assert.equal(res.status, expect, `${method} ${path}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
    return res.body;
  };
  await call(a, 'PUT', '/api/v1/admin/email/sending', { host: peers.host, port: peers.smtpPort, security: 'none' });
  await call(b, 'PUT', '/api/v1/admin/email/tracking', {
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
  await call(a, 'POST', '/api/v1/users', { username: 'dev', fullName: 'Dev', email: dev, password: 'dev-password-123', isAdmin: true }, 201);
  const devToken = (await call<{ token: string }>(b, 'POST', '/api/v1/auth/token', { username: 'dev', password: 'dev-password-123' })).token;
  await call(a, 'POST', '/api/v1/projects', { key: 'SN', name: 'Shared nothing' }, 201);
  const rec = await call(b, 'POST', '/api/v1/projects/SN/records', { type: 'defect', title: 'Logs attached' }, 201);

  // Out: an email with a 3 MB attachment (several chunks), queued on B, sent by whichever sender.
  const outgoing = randomBytes(3 * 1024 * 1024 + 17);
  const queued = await call<{ id: string }>(
    b,
    'POST',
    `/api/v1/projects/SN/records/${rec.id}/emails`,
    {
      to: [customer],
      text: 'Please look at the logs.',
      attachments: [{ filename: 'logs.bin', contentType: 'application/octet-stream', contentBase64: outgoing.toString('base64') }],
    },
    202,
    devToken,
  );
  await eventually(async () => (await call<{ status: string }>(a, 'GET', `/api/v1/emails/${queued.id}`)).status === 'sent', 'the email sent', 60_000, 200);
  const [delivered] = await eventually(
    async () => {
      const got = await readAllImap(customer);
      return got.length > 0 ? got : undefined;
    },
    'the email in the customer mailbox',
    60_000,
    200,
  );
  const sentMail = await simpleParser(delivered!);
  assert.equal(sha(sentMail.attachments[0]!.content), sha(outgoing), 'the attachment went out intact');
  const original = await call<{ attachments: { id: string }[] }>(a, 'GET', `/api/v1/emails/${queued.id}`);
  for (const s of [a, b]) {
    const res = await fetch(`${s.base}/api/v1/emails/${queued.id}/attachments/${original.attachments[0]!.id}`, {
      headers: { authorization: `Bearer ${s.token}` },
    });
    assert.equal(sha(Buffer.from(await res.arrayBuffer())), sha(outgoing), `${s === a ? 'A' : 'B'} serves the outgoing attachment`);
  }

  // Back: the customer replies with a 5 MB attachment.
  const incoming = randomBytes(5 * 1024 * 1024 + 3);
  const boundary = 'b-shared-nothing';
  const reply = Buffer.from(
    [
      `From: <${customer}>`,
      `To: ${tracking}`,
      `Subject: Re: ${sentMail.subject}`,
      'Message-ID: <reply-shared-nothing@customer.example>',
      `In-Reply-To: ${sentMail.messageId}`,
      `References: ${sentMail.messageId}`,
      'MIME-Version: 1.0',
      `Content-Type: multipart/mixed; boundary="${boundary}"`,
      '',
      `--${boundary}`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Here is the crash dump.',
      '',
      `--${boundary}`,
      'Content-Type: application/octet-stream; name="dump.bin"',
      'Content-Disposition: attachment; filename="dump.bin"',
      'Content-Transfer-Encoding: base64',
      '',
      incoming.toString('base64').replace(/.{76}/g, '$&\r\n'),
      `--${boundary}--`,
      '',
    ].join('\r\n'),
  );
  await fillMailbox(tracking, [reply]);
  const inbound = await eventually(
    async () => {
      const thread = await call<{ emails: { id: string; direction: string; status: string; attachments: { id: string }[] }[] }>(
        a,
        'GET',
        `/api/v1/projects/SN/records/${rec.id}/emails`,
      );
      return thread.emails.find((e) => e.direction === 'inbound' && e.status === 'forwarded');
    },
    'the reply attached and forwarded',
    90_000,
    250,
  );
  for (const s of [a, b]) {
    const res = await fetch(`${s.base}/api/v1/emails/${inbound.id}/attachments/${inbound.attachments[0]!.id}`, {
      headers: { authorization: `Bearer ${s.token}` },
    });
    assert.equal(sha(Buffer.from(await res.arrayBuffer())), sha(incoming), `${s === a ? 'A' : 'B'} serves the reply's attachment`);
    const raw = await fetch(`${s.base}/api/v1/emails/${inbound.id}/raw`, { headers: { authorization: `Bearer ${s.token}` } });
    assert.equal(sha(Buffer.from(await raw.arrayBuffer())), sha(reply), `${s === a ? 'A' : 'B'} serves the raw reply`);
  }
  const forwarded = await eventually(
    async () => {
      const got = await readAllImap(dev);
      return got.length > 0 ? got : undefined;
    },
    'the forward in the sender mailbox',
    60_000,
    200,
  );
  const fwd = await simpleParser(forwarded[0]!);
  assert.equal(sha(fwd.attachments[0]!.content), sha(incoming), 'the forward carries the attachment intact');

  assert.deepEqual(await Promise.all([a.stop(), b.stop()]), [0, 0]);
  for (const d of dirs) {
    const blobs = join(d, 'blobs');
    assert.ok(!existsSync(blobs) || readdirSync(blobs).length === 0, `no blob in ${d}: ${existsSync(blobs) ? readdirSync(blobs).join(',') : ''}`);
  }
  t.diagnostic(`processes A and B; data folders ${dirs.map((d) => readdirSync(d).join('+')).join(' | ')}`);
});
