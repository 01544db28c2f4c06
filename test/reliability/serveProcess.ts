/**
 * `mailtrail serve` as a real child process (node --import tsx src/cli.ts serve), for tests that
 * need what production runs: several processes on one database, the process's own log output.
 */
import type { TestContext } from 'node:test';
import { ADMIN_PASSWORD } from '../support/app.js';
import { freePort } from '../support/smtpSink.js';
import { eventually, startChild, type Child } from './support.js';

export interface Served {
  child: Child;
  base: string;
  /** Calls the API as `token` (or anonymously). */
  api<T = unknown>(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: T }>;
  /** The admin's bearer token (signed in once the process answers). */
  token: string;
  /** SIGTERM and wait; resolves with the exit code. */
  stop(): Promise<number | null>;
}

export async function serve(t: TestContext, env: Record<string, string>): Promise<Served> {
  const port = await freePort();
  const child = startChild(t, 'src/cli.ts', { MAILTRAIL_ADMIN_PASSWORD: ADMIN_PASSWORD, LOG_LEVEL: 'warn', ...env, PORT: String(port), HOST: '127.0.0.1' }, [
    'serve',
  ]);
  const base = `http://127.0.0.1:${port}`;
  const api = async <T>(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: (text && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text) as T };
  };
  await eventually(
    async () => {
      if (child.process.exitCode !== null) throw new Error(`serve exited with ${child.process.exitCode}: ${child.stdout()}`);
      return (await fetch(`${base}/api/health`)).status === 200;
    },
    `serve on port ${port}`,
    60_000,
    100,
  );
  const login = await api<{ token: string }>('POST', '/api/v1/auth/token', { username: 'admin', password: ADMIN_PASSWORD });
  if (login.status !== 200) throw new Error(`admin login: ${login.status}`);
  return {
    child,
    base,
    api,
    token: login.body.token,
    stop: async () => {
      child.process.kill('SIGTERM');
      return (await child.exited).code;
    },
  };
}
