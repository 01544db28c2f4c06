/**
 * Sign-in and sessions under attack: password guessing is slowed down per user and address,
 * cookie sessions need the CSRF token for every state change, and tokens that are guessed,
 * replayed after sign-out, expired, or planted in the wrong place get nobody in.
 *
 * Run: node --import tsx --test test/security/auth.test.ts
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { setClock } from '../../src/clock.js';
import { SESSION_COOKIE } from '../../src/http/auth.js';
import { LoginLimiter } from '../../src/users/loginLimiter.js';
import type { App } from '../../src/http/app.js';
import { ADMIN_PASSWORD, USER_PASSWORD, startTestApp } from '../support/app.js';
import { STORE_KINDS } from '../support/stores.js';

/** A browser: keeps the session cookie, sends the CSRF header only when told to. */
class Browser {
  cookie = '';
  csrf = '';
  constructor(readonly app: App) {}

  async signIn(username: string, password: string): Promise<number> {
    const res = await this.app.inject({ method: 'POST', url: '/api/v1/auth/session', payload: { username, password } });
    if (res.statusCode === 200) {
      const set = res.cookies.find((c) => c.name === SESSION_COOKIE);
      assert.ok(set, 'a session cookie is set');
      assert.equal(set.httpOnly, true, 'scripts cannot read the session cookie');
      assert.equal(String(set.sameSite).toLowerCase(), 'lax', 'not sent on cross-site POSTs');
      assert.equal(set.path, '/');
      this.cookie = set.value;
      this.csrf = res.json<{ csrfToken: string }>().csrfToken;
    }
    return res.statusCode;
  }

  async call(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, opts: { payload?: Record<string, unknown>; csrf?: string | null } = {}) {
    const headers: Record<string, string> = { cookie: `${SESSION_COOKIE}=${this.cookie}` };
    const csrf = opts.csrf === undefined ? this.csrf : opts.csrf;
    if (csrf !== null) headers['x-csrf-token'] = csrf;
    const res = await this.app.inject({ method, url, headers, ...(opts.payload ? { payload: opts.payload } : {}) });
    return { status: res.statusCode, body: res.body ? (res.json() as { error?: { code: string } } & Record<string, unknown>) : {} };
  }
}

for (const kind of STORE_KINDS) {
  describe(`authentication (${kind})`, () => {
    test('login limiting: backoff per account and address, never a lockout of the owner from elsewhere; the wait passes', async (t) => {
      const h = await startTestApp(t, kind);
      if (!h) return;
      await h.user('victim');
      const base = Date.now();
      t.after(() => setClock({ now: () => new Date() }));
      setClock({ now: () => new Date(base) });
      const from = (ip: string) => ({ remoteAddress: ip });
      const attempt = (username: string, password: string, ip: string, route: 'token' | 'session' = 'token') =>
        h.app.inject({ method: 'POST', url: `/api/v1/auth/${route}`, payload: { username, password }, ...from(ip) });
      // Half on the token route, half on the session route: both count against one budget.
      for (let i = 0; i < 5; i++) {
        const res = await attempt('victim', `guess-${i}`, '203.0.113.9', i % 2 ? 'token' : 'session');
        assert.equal(res.statusCode, 401, `attempt ${i + 1}`);
      }
      assert.equal((await attempt('victim', 'guess-5', '203.0.113.9')).statusCode, 401, 'the fifth failure is still free');
      const blocked = await attempt('victim', USER_PASSWORD, '203.0.113.9');
      assert.equal(blocked.statusCode, 429, 'the guessing address waits, even with the right password');
      assert.equal(blocked.json().error.code, 'too_many_attempts');
      assert.equal(blocked.headers['retry-after'], '1', 'the first wait is one second');
      assert.doesNotMatch(blocked.body, /token/);
      assert.equal((await attempt('VICTIM', USER_PASSWORD, '203.0.113.9')).statusCode, 429, 'the username is matched without case');
      assert.equal((await attempt('victim', USER_PASSWORD, '198.51.100.7')).statusCode, 200, 'the owner signs in from another address at once');
      assert.equal((await attempt('admin', ADMIN_PASSWORD, '203.0.113.9')).statusCode, 200, 'other users are not held up');
      // Each further failure doubles the wait: 1 s, 2 s, 4 s …
      setClock({ now: () => new Date(base + 1_100) });
      assert.equal((await attempt('victim', 'guess-6', '203.0.113.9')).statusCode, 401);
      assert.equal((await attempt('victim', 'guess-7', '203.0.113.9')).headers['retry-after'], '2');
      setClock({ now: () => new Date(base + 3_200) });
      assert.equal((await attempt('victim', USER_PASSWORD, '203.0.113.9')).statusCode, 200, 'after the wait the right password works again');

      // Guessing from many addresses slows the account for everyone, but for 30 s at most.
      for (let i = 0; i < 40; i++) await attempt('victim', `spray-${i}`, `192.0.2.${i + 1}`);
      const owner = await attempt('victim', USER_PASSWORD, '198.51.100.7');
      assert.equal(owner.statusCode, 429);
      assert.ok(Number(owner.headers['retry-after']) <= 30, `wait ${String(owner.headers['retry-after'])} s`);
      setClock({ now: () => new Date(base + 3_200 + 31_000) });
      assert.equal((await attempt('victim', USER_PASSWORD, '198.51.100.7')).statusCode, 200, 'the owner gets in after at most 30 s');
    });

    test('expired sessions and tokens are purged from the table, not only refused', async (t) => {
      const h = await startTestApp(t, kind);
      if (!h) return;
      await h.user('dev');
      const old = await h.login('dev', USER_PASSWORD);
      const db = h.app.ctx.store.db;
      const count = async () => (await db.selectFrom('api_tokens').select('token_hash').execute()).length;
      const before = await count();
      t.after(() => setClock({ now: () => new Date() }));
      setClock({ now: () => new Date(Date.now() + 31 * 86_400_000) });
      assert.equal((await old.get('/api/v1/me')).status, 401);
      await h.login('dev', USER_PASSWORD);
      // Every token issued before (the admin's and dev's, 30 days at most) expired and is gone.
      assert.equal(await count(), 1, `${before} rows before, the new token only after`);
    });

    test('CSRF: a cookie session changes nothing without its own CSRF token; reads need none; bearer tokens need none', async (t) => {
      const h = await startTestApp(t, kind);
      if (!h) return;
      assert.equal((await h.admin.post('/api/v1/projects', { key: 'ACC', name: 'Accounting' })).status, 201);
      await h.user('dev', { project: 'ACC', group: 'Developers' });
      await h.user('eve', { project: 'ACC', group: 'Developers' });
      const dev = new Browser(h.app);
      const eve = new Browser(h.app);
      assert.equal(await dev.signIn('dev', USER_PASSWORD), 200);
      assert.equal(await eve.signIn('eve', USER_PASSWORD), 200);
      assert.notEqual(dev.csrf, eve.csrf);

      const me = await dev.call('GET', '/api/v1/me', { csrf: null });
      assert.equal(me.status, 200, 'reads need no CSRF token');
      assert.equal(me.body.csrfToken, dev.csrf, 'the client can recover its token after a reload');

      const create = (csrf: string | null) => dev.call('POST', '/api/v1/projects/ACC/records', { payload: { type: 'defect', title: 'From the browser' }, csrf });
      for (const [what, csrf] of [['no token', null], ['an empty token', ''], ['a wrong token', 'x'.repeat(32)], ["another session's token", eve.csrf]] as const) {
        const res = await create(csrf);
        assert.equal(res.status, 403, `${what}: ${res.status}`);
        assert.equal(res.body.error?.code, 'csrf_failed', what);
      }
      // The same goes for every method that changes state, and for the admin.
      const admin = new Browser(h.app);
      assert.equal(await admin.signIn('admin', ADMIN_PASSWORD), 200);
      assert.equal((await admin.call('PUT', '/api/v1/admin/email/sending', { payload: { host: 'evil.example', port: 25, security: 'none' }, csrf: null })).status, 403);
      assert.equal((await admin.call('POST', '/api/v1/users', { payload: { username: 'mallory', fullName: 'M', email: 'm@example.test', password: 'pw-123456' }, csrf: null })).status, 403);
      assert.equal((await admin.call('DELETE', '/api/v1/auth/session', { csrf: null })).status, 403, 'no forced sign-out either');
      const records = await h.admin.get('/api/v1/projects/ACC/records');
      assert.equal(records.body.records.length, 0, 'nothing was created without the token');
      assert.equal((await h.admin.get('/api/v1/users/mallory')).status, 404);
      assert.notEqual((await h.admin.get('/api/v1/admin/email/sending')).body.host, 'evil.example');

      const ok = await create(dev.csrf);
      assert.equal(ok.status, 201, JSON.stringify(ok.body));
      const bearer = await h.login('dev', USER_PASSWORD);
      assert.equal((await bearer.post('/api/v1/projects/ACC/records', { type: 'defect', title: 'From a script' })).status, 201, 'bearer tokens are not sent by browsers, so they need no CSRF token');
    });

    test('session cookies: replay after sign-out, expiry, forged and planted tokens get nobody in', async (t) => {
      const h = await startTestApp(t, kind);
      if (!h) return;
      await h.user('dev');
      const dev = new Browser(h.app);
      assert.equal(await dev.signIn('dev', USER_PASSWORD), 200);
      assert.equal((await dev.call('GET', '/api/v1/me')).status, 200);

      // A stolen copy of the cookie keeps working only while the session does.
      const copy = new Browser(h.app);
      copy.cookie = dev.cookie;
      copy.csrf = dev.csrf;
      assert.equal((await dev.call('DELETE', '/api/v1/auth/session')).status, 204);
      assert.equal((await copy.call('GET', '/api/v1/me')).status, 401, 'replayed after sign-out');

      // Expired sessions are refused (7 days).
      assert.equal(await dev.signIn('dev', USER_PASSWORD), 200);
      t.after(() => setClock({ now: () => new Date() }));
      setClock({ now: () => new Date(Date.now() + 8 * 86_400_000) });
      assert.equal((await dev.call('GET', '/api/v1/me')).status, 401, 'expired');
      setClock({ now: () => new Date() });

      // An API token planted in the session cookie does not count (it would dodge the CSRF check).
      const api = await h.login('dev', USER_PASSWORD);
      const planted = new Browser(h.app);
      planted.cookie = api.token!;
      assert.equal((await planted.call('GET', '/api/v1/me', { csrf: null })).status, 401);
      assert.equal((await planted.call('POST', '/api/v1/projects', { payload: { key: 'PWN', name: 'x' }, csrf: null })).status, 401);

      // A disabled user's live session stops working at once.
      const live = new Browser(h.app);
      assert.equal(await live.signIn('dev', USER_PASSWORD), 200);
      assert.equal((await h.admin.patch('/api/v1/users/dev', { disabled: true })).status, 200);
      assert.equal((await live.call('GET', '/api/v1/me')).status, 401);
      assert.equal((await h.anonymous.post('/api/v1/auth/token', { username: 'dev', password: USER_PASSWORD })).status, 401, 'and cannot sign in');
    });

    test('named API tokens: created by the user, shown once, listed by name, revoked alone or with every other session', async (t) => {
      const h = await startTestApp(t, kind);
      if (!h) return;
      const first = await h.user('dev');
      const web = new Browser(h.app);
      assert.equal(await web.signIn('dev', USER_PASSWORD), 200);
      const created = await web.call('POST', '/api/v1/me/tokens', { payload: { name: '  CI deploy  ' } });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body.name, 'CI deploy');
      const token = created.body.token as string;
      const asScript = () => h.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } });
      assert.equal((await asScript()).statusCode, 200, 'the new token works');
      assert.equal((await web.call('POST', '/api/v1/me/tokens', { payload: { name: '   ' } })).status, 400, 'a name of blanks');
      assert.equal((await web.call('POST', '/api/v1/me/tokens', { payload: { name: 'x' }, csrf: null })).status, 403, 'a cookie session needs the CSRF token');

      const list = await web.call('GET', '/api/v1/me/sessions');
      const sessions = list.body.sessions as { id: string; kind: string; name: string | null; current: boolean }[];
      const listed = sessions.find((s) => s.id === created.body.id);
      assert.deepEqual(listed && { kind: listed.kind, name: listed.name, current: listed.current }, { kind: 'api', name: 'CI deploy', current: false });
      assert.ok(!JSON.stringify(list.body).includes(token), 'the list never shows a token again');
      assert.equal(sessions.find((s) => s.current)?.name, null, 'a sign-in has no name');

      // Revoked alone: refused from then on.
      assert.equal((await web.call('DELETE', `/api/v1/me/sessions/${created.body.id as string}`)).status, 204);
      assert.equal((await asScript()).statusCode, 401, 'the revoked token');

      // "Revoke all others": every other session and token of dev ends, this one and other users' stay.
      const other = new Browser(h.app);
      assert.equal(await other.signIn('dev', USER_PASSWORD), 200);
      const script = await h.login('dev', USER_PASSWORD);
      const bystander = await h.user('bystander');
      const ended = await web.call('DELETE', '/api/v1/me/sessions');
      assert.equal(ended.status, 200);
      assert.equal(ended.body.ended, 3);
      assert.equal((await first.get('/api/v1/me')).status, 401, 'the first token');
      assert.equal((await other.call('GET', '/api/v1/me')).status, 401, 'the other web session');
      assert.equal((await script.get('/api/v1/me')).status, 401, 'the other token');
      assert.equal((await web.call('GET', '/api/v1/me')).status, 200, 'the one that asked');
      assert.equal((await bystander.get('/api/v1/me')).status, 200, "another user's token");
    });

    test('10,000 random session and bearer tokens: none is accepted', async (t) => {
      const h = await startTestApp(t, kind);
      if (!h) return;
      const guesser = new Browser(h.app);
      let accepted = 0;
      for (let i = 0; i < 5_000; i++) {
        guesser.cookie = randomBytes(32).toString('base64url');
        if ((await guesser.call('GET', '/api/v1/me', { csrf: null })).status !== 401) accepted++;
        const res = await h.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${randomBytes(32).toString('base64url')}` } });
        if (res.statusCode !== 401) accepted++;
      }
      assert.equal(accepted, 0);
    });
  });
}

test('the login limiter cannot be flushed by failing with 100,000 other names', () => {
  const limiter = new LoginLimiter();
  const now = Date.parse('2026-03-03T10:00:00Z');
  for (let i = 0; i < 10; i++) limiter.fail('victim', '203.0.113.9', now + i);
  assert.ok(limiter.blockedFor('victim', '203.0.113.9', now + 20) > 0);
  // An attacker fills the table with one failure under each of 100,000 made-up names.
  for (let i = 0; i < 100_001; i++) limiter.fail(`name${i}`, '198.51.100.7', now + 30);
  assert.ok(limiter.blockedFor('victim', '203.0.113.9', now + 40) > 0, 'the guesser is still held back');
  // Old entries still expire.
  assert.equal(limiter.blockedFor('victim', '203.0.113.9', now + 16 * 60_000), 0);
});
