import type { TestContext } from 'node:test';
import type { Config } from '../../src/config.js';
import type { App } from '../../src/http/app.js';
import { silentLogger } from '../../src/log.js';
import type { Module } from '../../src/core/module.js';
import { startServer, type Running } from '../../src/server.js';
import { freshDatabase, requirePostgres, type StoreKind } from './stores.js';

export const ADMIN_PASSWORD = 'admin-password-for-tests';

export function testConfig(overrides: Partial<Config> & Pick<Config, 'database' | 'dataDir'>): Config {
  return {
    port: 0,
    host: '127.0.0.1',
    secret: 'test-secret-0123456789abcdef',
    adminPassword: ADMIN_PASSWORD,
    demo: false,
    sandboxSmtpPort: 0,
    sandboxPop3Port: 0,
    logLevel: 'silent',
    workers: false,
    ...overrides,
  };
}

export interface Response {
  status: number;
  // Test convenience: response bodies are asserted field by field.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each test asserts the fields it reads
  body: any;
  headers: Record<string, string | string[] | number | undefined>;
}

/** A client for app.inject that carries a bearer token. */
export class ApiClient {
  constructor(
    readonly app: App,
    readonly token?: string,
  ) {}

  async call(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: unknown): Promise<Response> {
    const res = await this.app.inject({
      method,
      url,
      headers: this.token ? { authorization: `Bearer ${this.token}` } : {},
      ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}),
    });
    const text = res.body;
    let body: unknown = text;
    if ((res.headers['content-type'] ?? '').toString().includes('json') && text) body = JSON.parse(text);
    return { status: res.statusCode, body, headers: res.headers };
  }

  get(url: string) {
    return this.call('GET', url);
  }
  post(url: string, payload?: unknown) {
    return this.call('POST', url, payload ?? {});
  }
  put(url: string, payload: unknown) {
    return this.call('PUT', url, payload);
  }
  patch(url: string, payload: unknown) {
    return this.call('PATCH', url, payload);
  }
  delete(url: string) {
    return this.call('DELETE', url);
  }
}

export interface TestApp {
  running: Running;
  app: App;
  admin: ApiClient;
  anonymous: ApiClient;
  login(username: string, password: string): Promise<ApiClient>;
  /** Creates a user, optionally a member of `project` in `group`, and signs them in. */
  user(username: string, opts?: { project?: string; group?: string; email?: string }): Promise<ApiClient>;
  close(): Promise<void>;
}

export const USER_PASSWORD = 'user-password-123';

export async function startTestApp(
  t: TestContext,
  kind: StoreKind,
  opts: { modules?: Module[]; config?: Partial<Config> } = {},
): Promise<TestApp | undefined> {
  if (kind === 'postgres' && !(await requirePostgres(t))) return undefined;
  const db = await freshDatabase(kind);
  const running = await startServer(testConfig({ database: db.config, dataDir: db.dataDir, ...opts.config }), opts.modules ?? [], {
    log: silentLogger,
    listen: opts.config?.port !== undefined,
  });
  const anonymous = new ApiClient(running.app);
  const login = async (username: string, password: string) => {
    const res = await anonymous.post('/api/v1/auth/token', { username, password });
    if (res.status !== 200) throw new Error(`login ${username} failed: ${res.status} ${JSON.stringify(res.body)}`);
    return new ApiClient(running.app, res.body.token as string);
  };
  const admin = await login('admin', ADMIN_PASSWORD);
  const testApp: TestApp = {
    running,
    app: running.app,
    admin,
    anonymous,
    login,
    async user(username, o = {}) {
      const created = await admin.post('/api/v1/users', {
        username,
        fullName: `${username} Tester`,
        email: o.email ?? `${username}@example.test`,
        password: USER_PASSWORD,
      });
      if (created.status !== 201) throw new Error(`create user ${username}: ${JSON.stringify(created.body)}`);
      if (o.project) {
        const m = await admin.put(`/api/v1/projects/${o.project}/members/${username}`, { securityGroup: o.group ?? 'Developers' });
        if (m.status !== 200) throw new Error(`add member ${username}: ${JSON.stringify(m.body)}`);
      }
      return login(username, USER_PASSWORD);
    },
    async close() {
      await running.close();
      await db.drop();
    },
  };
  t.after(() => testApp.close());
  return testApp;
}
