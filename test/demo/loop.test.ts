import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DEMO_PASSWORD } from '../../src/demo/index.js';

/*
 * The whole loop, as a newcomer meets it: `npm start` on an empty data folder, a tracked
 * email sent through the API, a reply typed in the sandbox, and the reply attached to the
 * record and forwarded to the sender within 15 s. Real process, real sockets, no shortcuts.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ADMIN_PASSWORD = 'loop-admin-password';
const LOOP_DEADLINE_MS = 15_000;

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
}

test('npm start: tracked email out, reply in the sandbox, attached and forwarded within 15 s', { timeout: 120_000 }, async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'mailtrail-loop-'));
  const [port, smtpPort, pop3Port] = [await freePort(), await freePort(), await freePort()];
  const base = `http://127.0.0.1:${port}`;
  let output = '';
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'start'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      MAILTRAIL_DATA: dataDir,
      MAILTRAIL_ADMIN_PASSWORD: ADMIN_PASSWORD,
      MAILTRAIL_SANDBOX_SMTP_PORT: String(smtpPort),
      MAILTRAIL_SANDBOX_POP3_PORT: String(pop3Port),
      DATABASE_URL: '',
      MAILTRAIL_DEMO: '',
      MAILTRAIL_SECRET: '',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = once(child, 'exit');
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  try {
    await waitFor('GET /api/health', 60_000, async () => {
      if (child.exitCode !== null) throw new Error(`mailtrail exited with ${child.exitCode}`);
      const res = await fetch(`${base}/api/health`);
      return res.status === 200 ? true : undefined;
    });
    assert.match(output, /demo-password/, 'the demo banner is printed');

    const login = await fetch(`${base}/api/v1/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'dana', password: DEMO_PASSWORD }),
    });
    assert.equal(login.status, 200);
    const { token } = (await login.json()) as { token: string };
    const api = async <T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> => {
      const res = await fetch(`${base}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
    };

    const defects = await api<{ records: { id: string; title: string }[] }>('GET', '/projects/DEMO/records?type=defect');
    const defect = defects.body.records.find((r) => r.title.startsWith('CSV export'));
    assert.ok(defect, 'the demo defect exists');

    const queued = await api<{ id: string; status: string }>('POST', `/projects/DEMO/records/${defect.id}/emails`, {
      to: ['customer@demo.test'],
      text: 'Could you export your 50 orders again and tell me how many rows you get?',
    });
    assert.equal(queued.status, 202, JSON.stringify(queued.body));

    const customer = `/sandbox/mailboxes/${encodeURIComponent('customer@demo.test')}/messages`;
    const delivered = await waitFor("the tracked email in the customer's sandbox mailbox", LOOP_DEADLINE_MS, async () => {
      const list = await api<{ messages: { id: string; subject: string }[] }>('GET', customer);
      return list.body.messages[0];
    });
    const replied = await api<{ messageId: string }>('POST', `${customer}/${delivered.id}/reply`, { text: 'I get 49 rows, the last order is missing.' });
    assert.equal(replied.status, 202, JSON.stringify(replied.body));

    type Email = { id: string; direction: string; status: string; replyText: string | null; from: string };
    const inbound = await waitFor('the reply attached to the defect and forwarded', LOOP_DEADLINE_MS, async () => {
      const emails = await api<{ emails: Email[] }>('GET', `/projects/DEMO/records/${defect.id}/emails`);
      return emails.body.emails.find((e) => e.direction === 'inbound' && e.status === 'forwarded');
    });
    assert.equal(inbound.from, 'customer@demo.test');
    assert.equal(inbound.replyText?.trim(), 'I get 49 rows, the last order is missing.', 'quote and signature trimmed');
    const danaBox = `/sandbox/mailboxes/${encodeURIComponent('dana@demo.test')}/messages`;
    await waitFor("the forward in Dana's mailbox", LOOP_DEADLINE_MS, async () => {
      const list = await api<{ messages: { subject: string }[] }>('GET', danaBox);
      return list.body.messages.find((m) => m.subject.includes('CSV export'));
    });

    child.kill('SIGINT');
    const [code] = await Promise.race([exited, new Promise<[null]>((resolve) => setTimeout(() => resolve([null]), 15_000))]);
    assert.equal(code, 0, 'SIGINT shuts down cleanly');
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n--- mailtrail output ---\n${output.slice(-4000)}`, { cause: err });
  }
});
