import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import nodemailer from 'nodemailer';
import { curlProbe, requirePeer } from '../../test/support/peers.js';
import { startSandbox, type Sandbox } from './index.js';

const run = promisify(execFile);

describe('startSandbox', () => {
  let dataDir: string;
  let sandbox: Sandbox;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'mailtrail-sandbox-'));
    sandbox = await startSandbox({ dataDir, smtpPort: 0, pop3Port: 0 });
  });
  after(async () => {
    await sandbox.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('reports the ports it bound', () => {
    assert.ok(sandbox.smtpPort > 0 && sandbox.pop3Port > 0 && sandbox.smtpPort !== sandbox.pop3Port);
  });

  test('mail sent over SMTP comes back over POP3 (curl), a 5 MB attachment included', async (t) => {
    if (!(await requirePeer(t, 'curl', curlProbe))) return;
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: sandbox.smtpPort, auth: { user: 'mailtrail', pass: 'whatever' } });
    await transport.sendMail({
      from: 'Dana <dana@example.com>',
      to: 'tracker@example.com',
      subject: 'Round trip',
      text: 'hello\r\n.\r\n',
      attachments: [{ filename: 'blob.bin', content: randomBytes(5 * 1024 * 1024) }],
    });
    const [message] = await sandbox.store.list('tracker@example.com');
    assert.ok(message);
    const stored = await sandbox.store.read('tracker@example.com', message.id);

    const base = `pop3://127.0.0.1:${sandbox.pop3Port}`;
    const auth = ['-u', 'tracker@example.com:demo'];
    const list = await run('curl', ['--silent', '--show-error', '--max-time', '30', `${base}/`, ...auth]);
    assert.equal(list.stdout, `1 ${message.size}\r\n`);
    const retr = await run('curl', ['--silent', '--show-error', '--max-time', '30', `${base}/1`, ...auth], {
      encoding: 'buffer',
      maxBuffer: 64 * 1024 * 1024,
    });
    assert.ok(retr.stdout.equals(stored), 'curl got the stored bytes');
    assert.deepEqual(await sandbox.store.mailboxes(), [{ address: 'tracker@example.com', count: 1, size: message.size }]);
  });

  test('fails cleanly when a port is taken, and frees the one it had bound', async () => {
    const listen = async (port: number): Promise<Server> => {
      const server = createServer();
      server.listen(port, '127.0.0.1');
      await once(server, 'listening');
      return server;
    };
    const blocker = await listen(0);
    const probe = await listen(0);
    const smtpPort = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    try {
      await assert.rejects(startSandbox({ dataDir, smtpPort, pop3Port: (blocker.address() as AddressInfo).port }), /EADDRINUSE/);
      const rebound = await listen(smtpPort); // would fail if the sandbox's SMTP listener were left open
      await new Promise((resolve) => rebound.close(resolve));
    } finally {
      blocker.close();
    }
  });
});
