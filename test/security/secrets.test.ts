/**
 * Mail passwords (SMTP, POP3/IMAP) and sign-in secrets: never in an API response — not from
 * the settings routes, not from any GET route, not in the error a failed connection test
 * reports — encrypted at rest (the SQLite file and every PostgreSQL row are searched for the
 * plaintext), unreadable with another MAILTRAIL_SECRET, and absent from the log of a real
 * `mailtrail serve` running at debug level.
 *
 * Run: node --import tsx --test test/security/secrets.test.ts
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { sql } from 'kysely';
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { open } from '../../src/crypto/secretBox.js';
import { allModules } from '../../src/modules.js';
import { createTrackingModule } from '../../src/inbound/index.js';
import type { Module } from '../../src/core/module.js';
import { getSetting } from '../../src/store/settings.repository.js';
import { USER_PASSWORD, startTestApp, testConfig, type ApiClient } from '../support/app.js';
import { STORE_KINDS } from '../support/stores.js';
import { ScriptedPop3Server } from '../support/scriptedPop3.js';
import { serve } from '../reliability/serveProcess.js';

const SMTP_PASSWORD = 'Smtp-Plaintext-7f3a9c1e';
const TRACKING_PASSWORD = 'Track-Plaintext-5b2d8e4f';
const SECRETS = [SMTP_PASSWORD, TRACKING_PASSWORD];

function everyModule(): Module[] {
  const modules = allModules(testConfig({ database: { kind: 'sqlite', path: ':memory:' }, dataDir: '' }));
  return modules.some((m) => m.name === 'tracking') ? modules : [...modules, createTrackingModule()];
}

/** Every way a password could show up in text: as is, in base64, hex, URL-encoded. */
function forms(secret: string): string[] {
  const b = Buffer.from(secret, 'utf8');
  return [secret, b.toString('base64'), b.toString('base64url'), b.toString('hex'), encodeURIComponent(secret)];
}

function assertNoSecret(where: string, text: string): void {
  for (const s of SECRETS) for (const f of forms(s)) assert.ok(!text.includes(f), `${where} contains a password (${f === s ? 'plaintext' : 'encoded'})`);
}

/** An SMTP server that refuses every login, the way a wrong password is refused. */
async function refusingSmtp(t: TestContext): Promise<number> {
  const server = new SMTPServer({
    authMethods: ['PLAIN', 'LOGIN'],
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth: (_auth, _session, cb) => cb(new Error('Invalid username or password')),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.server.address() as AddressInfo).port;
}

async function configure(t: TestContext, admin: ApiClient): Promise<{ pop3: ScriptedPop3Server }> {
  const smtpPort = await refusingSmtp(t);
  const pop3 = new ScriptedPop3Server();
  const port = await pop3.start();
  t.after(() => pop3.stop());
  // The POP3 server refuses the password, the way a real one does.
  pop3.hook = (e) => (e.verb === 'PASS' ? 'drop' : 'continue');
  const sending = await admin.put('/api/v1/admin/email/sending', {
    host: '127.0.0.1',
    port: smtpPort,
    security: 'none',
    username: 'mailer',
    password: SMTP_PASSWORD,
  });
  assert.equal(sending.status, 200);
  assertNoSecret('PUT sending', JSON.stringify(sending.body));
  const tracking = await admin.put('/api/v1/admin/email/tracking', {
    protocol: 'pop3',
    host: '127.0.0.1',
    port,
    security: 'none',
    username: 'tracking',
    password: TRACKING_PASSWORD,
    address: 'tracking@example.test',
    pollSeconds: 3600,
    deleteUntracked: false,
  });
  assert.equal(tracking.status, 200);
  assertNoSecret('PUT tracking', JSON.stringify(tracking.body));
  assert.equal(sending.body.passwordSet, true);
  assert.equal(tracking.body.passwordSet, true);
  return { pop3 };
}

for (const kind of STORE_KINDS) {
  describe(`mail passwords (${kind})`, () => {
    test('never in any API response, encrypted at rest, useless without MAILTRAIL_SECRET', async (t) => {
      const h = await startTestApp(t, kind, { modules: everyModule() });
      if (!h) return;
      await configure(t, h.admin);
      assert.equal((await h.admin.post('/api/v1/projects', { key: 'SEC', name: 'Secrets' })).status, 201);
      await h.user('dev', { project: 'SEC', group: 'Developers' });
      const rec = await h.admin.post('/api/v1/projects/SEC/records', { type: 'defect', title: 'x' });
      const sent = await h.admin.post(`/api/v1/projects/SEC/records/${rec.body.id}/emails`, { to: ['a@example.test'], text: 'hello' });

      // The connection tests fail on the password: their messages must not echo it.
      const smtpTest = await h.admin.post('/api/v1/admin/email/sending/test');
      assert.equal(smtpTest.body.ok, false);
      assertNoSecret('sending test', JSON.stringify(smtpTest.body));
      const popTest = await h.admin.post('/api/v1/admin/email/tracking/test');
      assert.equal(popTest.body.ok, false);
      assertNoSecret('tracking test', JSON.stringify(popTest.body));
      const poll = await h.admin.post('/api/v1/admin/email/tracking/poll');
      assertNoSecret('poll', JSON.stringify(poll.body));

      // Every GET route of the API, as the admin.
      const doc = await h.anonymous.get('/api/openapi.json');
      const gets = Object.entries(doc.body.paths as Record<string, Record<string, unknown>>)
        .filter(([, ops]) => 'get' in ops)
        .map(([p]) => p);
      let read = 0;
      for (const path of gets) {
        const url = path
          .replace('{key}', 'SEC')
          .replace(/\/records\/\{id\}/, `/records/${rec.body.id}`)
          .replace(/\/emails\/\{id\}/, `/emails/${sent.body.id}`)
          .replace('{username}', 'dev')
          .replace('{name}', encodeURIComponent('Record summary'))
          .replace(/\{[^}]+\}/g, '0');
        const res = await h.admin.get(url);
        assertNoSecret(`GET ${url}`, typeof res.body === 'string' ? res.body : JSON.stringify(res.body));
        assertNoSecret(`GET ${url} headers`, JSON.stringify(res.headers));
        assert.doesNotMatch(JSON.stringify(res.body), /\$argon2/, `GET ${url} shows a password hash`);
        read++;
      }
      assert.ok(read >= 25, `${read} GET routes read`);

      // At rest: only sealed values in the settings, and no plaintext anywhere in the database.
      const db = h.running.ctx.store.db;
      const sending = await getSetting<Record<string, unknown>>(db, 'email.sending');
      const trackingRow = await db.selectFrom('tracking_accounts').select('settings').where('id', '=', 'default').executeTakeFirst();
      const tracking = trackingRow ? (JSON.parse(trackingRow.settings) as Record<string, unknown>) : undefined;
      assert.match(String(sending?.passwordSealed), /^v1:/);
      assert.match(String(tracking?.passwordSealed), /^v1:/);
      assert.equal(open(h.running.ctx.config.secret, String(sending!.passwordSealed)), SMTP_PASSWORD, 'the server can still use it');
      assert.throws(() => open('another-secret-0123456789', String(tracking!.passwordSealed)), 'another secret cannot open it');
      if (kind === 'sqlite') {
        // The file as a thief would copy it, write-ahead log included.
        await sql`pragma wal_checkpoint(FULL)`.execute(db);
        const path = h.running.ctx.config.database.kind === 'sqlite' ? h.running.ctx.config.database.path : '';
        for (const file of [path, `${path}-wal`].filter((f) => existsSync(f))) assertNoSecret(file, readFileSync(file).toString('latin1'));
      } else {
        const tables = await sql<{ t: string }>`select table_name as t from information_schema.tables where table_schema = current_schema()`.execute(db);
        assert.ok(tables.rows.length >= 10);
        for (const { t: table } of tables.rows) {
          const rows = await sql<{ r: string }>`select row_to_json(x)::text as r from ${sql.table(table)} x`.execute(db);
          assertNoSecret(`table ${table}`, rows.rows.map((r) => r.r).join('\n'));
        }
      }
      // Nor in the data folder (raw messages, attachments).
      const walk = (dir: string): string[] => readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)]));
      for (const file of walk(h.running.ctx.config.dataDir)) if (!file.includes('.sqlite')) assertNoSecret(file, readFileSync(file).toString('latin1'));
    });
  });
}

test('a real `mailtrail serve` at debug level logs no password, token or session cookie', { timeout: 120_000 }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'mailtrail-secrets-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const s = await serve(t, { MAILTRAIL_DATA: dataDir, MAILTRAIL_SECRET: 'log-test-secret-0123456789', LOG_LEVEL: 'debug', MAILTRAIL_DEMO: '0' });
  const smtpPort = await refusingSmtp(t);
  const pop3 = new ScriptedPop3Server();
  const port = await pop3.start();
  t.after(() => pop3.stop());
  pop3.hook = (e) => (e.verb === 'PASS' ? 'drop' : 'continue');
  assert.equal(
    (
      await s.api(
        'PUT',
        '/api/v1/admin/email/sending',
        { host: '127.0.0.1', port: smtpPort, security: 'none', username: 'mailer', password: SMTP_PASSWORD },
        s.token,
      )
    ).status,
    200,
  );
  assert.equal(
    (
      await s.api(
        'PUT',
        '/api/v1/admin/email/tracking',
        {
          protocol: 'pop3',
          host: '127.0.0.1',
          port,
          security: 'none',
          username: 'tracking',
          password: TRACKING_PASSWORD,
          address: 'tracking@example.test',
          pollSeconds: 1,
          deleteUntracked: false,
        },
        s.token,
      )
    ).status,
    200,
  );
  await s.api('POST', '/api/v1/admin/email/sending/test', undefined, s.token);
  await s.api('POST', '/api/v1/admin/email/tracking/test', undefined, s.token);
  await s.api('POST', '/api/v1/admin/email/tracking/poll', undefined, s.token);
  // A user signs in through the web client's session route and sends mail that fails on auth.
  assert.equal(
    (await s.api('POST', '/api/v1/users', { username: 'dev', fullName: 'Dev', email: 'dev@example.test', password: USER_PASSWORD }, s.token)).status,
    201,
  );
  const session = await fetch(`${s.base}/api/v1/auth/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'dev', password: USER_PASSWORD }),
  });
  const cookie = /mailtrail_session=([^;]+)/.exec(session.headers.get('set-cookie') ?? '')?.[1] ?? '';
  assert.ok(cookie.length > 20);
  await fetch(`${s.base}/api/v1/me`, { headers: { cookie: `mailtrail_session=${cookie}` } });
  assert.equal((await s.api('POST', '/api/v1/projects', { key: 'LOG', name: 'Log' }, s.token)).status, 201);
  const rec = await s.api<{ id: string }>('POST', '/api/v1/projects/LOG/records', { type: 'defect', title: 'x' }, s.token);
  await s.api('POST', `/api/v1/projects/LOG/records/${rec.body.id}/emails`, { to: ['a@example.test'], text: 'hello' }, s.token);
  // Let the workers try (the sender against the refusing SMTP server, the poller every second).
  await eventually(() => s.child.stdout().includes('will retry') || s.child.stdout().includes('failed'), 'the workers to log a failed attempt');
  const code = await s.stop();
  assert.equal(code, 0);
  const log = s.child.stdout();
  assert.ok(log.split('\n').length > 20, 'debug logging was on');
  t.diagnostic(`${log.split('\n').length} log lines searched`);
  assertNoSecret('the server log', log);
  for (const [what, value] of [
    ['bearer token', s.token],
    ['session cookie', cookie],
    ['user password', USER_PASSWORD],
  ] as const)
    assert.ok(!log.includes(value), `the log contains the ${what}`);
});

async function eventually(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
