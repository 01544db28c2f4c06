/**
 * The product as the security review met it: `mailtrail start` (demo mode: SQLite, the mail
 * sandbox, the demo project) as a real child process on free ports, with a fresh data folder.
 * The findings tests (findings.test.ts) reproduce each attack against it over real sockets.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { DEMO_PASSWORD } from '../../src/demo/index.js';
import { eventually, startChild, type Child } from '../reliability/support.js';
import { freePort } from '../support/smtpSink.js';

export const LIVE_ADMIN_PASSWORD = 'live-admin-password';

export interface ApiResult<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

export interface Live {
  child: Child;
  base: string;
  smtpPort: number;
  pop3Port: number;
  /** A bearer token for `username` (demo users share DEMO_PASSWORD). */
  signIn(username: string, password?: string): Promise<string>;
  api<T = Record<string, unknown>>(
    method: string,
    path: string,
    opts?: { body?: unknown; raw?: string | Buffer; token?: string; headers?: Record<string, string> },
  ): Promise<ApiResult<T>>;
  admin: string;
  stop(): Promise<void>;
}

export async function startLive(t: TestContext | { after(fn: () => Promise<void> | void): void }, env: Record<string, string> = {}): Promise<Live> {
  const dataDir = await mkdtemp(join(tmpdir(), 'mailtrail-security-'));
  const [port, smtpPort, pop3Port] = [await freePort(), await freePort(), await freePort()];
  const child = startChild(
    t as TestContext,
    'src/cli.ts',
    {
      PORT: String(port),
      HOST: '127.0.0.1',
      MAILTRAIL_DATA: dataDir,
      MAILTRAIL_ADMIN_PASSWORD: LIVE_ADMIN_PASSWORD,
      MAILTRAIL_SANDBOX_SMTP_PORT: String(smtpPort),
      MAILTRAIL_SANDBOX_POP3_PORT: String(pop3Port),
      DATABASE_URL: '',
      MAILTRAIL_DEMO: '',
      MAILTRAIL_SECRET: '',
      LOG_LEVEL: 'warn',
      ...env,
    },
    ['start'],
  );
  const base = `http://127.0.0.1:${port}`;
  t.after(async () => {
    if (child.process.exitCode === null && child.process.signalCode === null) {
      child.process.kill('SIGKILL');
      await child.exited.catch(() => undefined);
    }
    await rm(dataDir, { recursive: true, force: true });
  });
  await eventually(
    async () => {
      if (child.process.exitCode !== null) throw new Error(`mailtrail start exited with ${child.process.exitCode}: ${child.stdout()}`);
      return (await fetch(`${base}/api/health`)).status === 200;
    },
    `mailtrail start on port ${port}`,
    60_000,
    100,
  );
  const api = async <T>(
    method: string,
    path: string,
    opts: { body?: unknown; raw?: string | Buffer; token?: string; headers?: Record<string, string> } = {},
  ): Promise<ApiResult<T>> => {
    const headers: Record<string, string> = { ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}), ...opts.headers };
    let body: string | Buffer | undefined;
    if (opts.raw !== undefined) body = opts.raw;
    else if (opts.body !== undefined) body = JSON.stringify(opts.body);
    if (body !== undefined) headers['content-type'] ??= 'application/json';
    const res = await fetch(`${base}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    const json = (res.headers.get('content-type') ?? '').includes('json') && text !== '';
    return { status: res.status, body: (json ? JSON.parse(text) : text) as T, headers: res.headers };
  };
  const signIn = async (username: string, password = DEMO_PASSWORD): Promise<string> => {
    const res = await api<{ token: string }>('POST', '/api/v1/auth/token', { body: { username, password } });
    if (res.status !== 200) throw new Error(`sign-in of ${username}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.token;
  };
  const admin = await signIn('admin', LIVE_ADMIN_PASSWORD);
  return {
    child,
    base,
    smtpPort,
    pop3Port,
    signIn,
    api,
    admin,
    stop: async () => {
      child.process.kill('SIGTERM');
      await child.exited;
    },
  };
}

export { eventually };
