/**
 * The world the real-client corpus (test/fixtures/real-clients) was made in, built the same way
 * twice: once by scripts/real-clients/originals.ts, which sends the tracked originals through
 * Postfix to the customer mailboxes the mail clients read, and once by the replay test
 * (realClients.test.ts), which builds it again on a fresh database and then gives the project,
 * the records and the emails the ids recorded in the manifest. The cookie is an HMAC over
 * email|project|record under the secret, so with the same ids and the same secret every cookie
 * the clients quoted verifies again, and the replies' bytes never need touching.
 */
import { readFileSync } from 'node:fs';
import { sql, type Kysely } from 'kysely';
import { createTrackingModule } from '../../src/inbound/index.js';
import type { MailboxOpener } from '../../src/inbound/mailbox.js';
import { outboundModule } from '../../src/outbound/index.js';
import { silentLogger } from '../../src/log.js';
import { startServer, type Running } from '../../src/server.js';
import { createCookie } from '../../src/tracking/cookie.js';
import type { DatabaseConfig } from '../../src/config.js';
import { ADMIN_PASSWORD, ApiClient, USER_PASSWORD, testConfig } from '../support/app.js';

/** One tracked original as it was sent: the API input and the ids it got. */
export interface OriginalSpec {
  /** Stable name used by fixtures, e.g. `mutt-text`. */
  name: string;
  record: string;
  to: string[];
  cc?: string[];
  subject: string;
  text: string;
  html?: string;
}

export interface RecordSpec {
  name: string;
  title: string;
}

export interface Manifest {
  /** MAILTRAIL_SECRET of the run that sent the originals (a test secret, not a real one). */
  secret: string;
  projectKey: string;
  projectId: string;
  tracking: string;
  devUser: string;
  devAddress: string;
  records: (RecordSpec & { id: string; tag: string })[];
  originals: (OriginalSpec & { id: string; cookie: string; messageId: string })[];
}

export const SECRET = 'real-clients-corpus-secret-2026-12-02';
export const PROJECT_KEY = 'ACME';
export const TRACKING = 'rc-tracking@example.test';
export const DEV_USER = 'dana';
export const DEV_ADDRESS = 'rc-dana@example.test';

export const RECORDS: RecordSpec[] = [
  { name: 'invoice', title: 'Invoice totals are off by one line' },
  { name: 'export', title: 'CSV export drops the last column' },
];

export const QUESTIONS_TEXT = [
  'Hello,',
  '',
  'we are looking into the totals on the March invoice and have two questions.',
  '',
  'Which invoice number shows the wrong total?',
  '',
  'Did the problem start after the February update?',
  '',
  'Thanks,',
  'Dana Reyes',
].join('\n');

export const QUESTIONS_HTML = [
  '<p>Hello,</p>',
  '<p>we are looking into the CSV export and have two questions.</p>',
  '<p><b>Which file did you export?</b></p>',
  '<p><b>Which column is missing?</b></p>',
  '<p>Thanks,<br>Dana Reyes</p>',
].join('\n');

/** The originals for one client: a text one, an HTML one, and a text one with a Cc for reply-all. */
export function originalsFor(client: string): OriginalSpec[] {
  const customer = `rc-${client}@example.test`;
  return [
    { name: `${client}-text`, record: 'invoice', to: [customer], subject: 'Invoice totals', text: QUESTIONS_TEXT },
    {
      name: `${client}-html`,
      record: 'export',
      to: [customer],
      subject: 'CSV export',
      text: QUESTIONS_HTML.replace(/<[^>]+>/g, ''),
      html: QUESTIONS_HTML,
    },
    { name: `${client}-cc`, record: 'invoice', to: [customer], cc: [`rc-${client}-colleague@example.test`], subject: 'Invoice totals, with accounting', text: QUESTIONS_TEXT },
  ];
}

export interface BuiltWorld {
  running: Running;
  admin: ApiClient;
  dev: ApiClient;
  projectId: string;
  records: Manifest['records'];
  /** Ids as created in this run, in the order of `specs`. */
  originals: Manifest['originals'];
}

async function login(anonymous: ApiClient, username: string, password: string): Promise<ApiClient> {
  const res = await anonymous.post('/api/v1/auth/token', { username, password });
  if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${JSON.stringify(res.body)}`);
  return new ApiClient(anonymous.app, res.body.token as string);
}

function must(res: { status: number; body: unknown }, status: number, what: string): void {
  if (res.status !== status) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
}

/**
 * Starts Mailtrail (workers off: the outbox is drained by the caller, the tracking account is
 * never polled by itself) and builds the project, dev user, records and originals through the
 * API. `sending` points outbound mail at a real SMTP server; without it nothing leaves. `listen`
 * serves HTTP on a free loopback port (for a browser); otherwise requests go in-process.
 */
export async function buildWorld(
  database: DatabaseConfig,
  dataDir: string,
  specs: OriginalSpec[],
  opts: { sending?: { host: string; port: number }; tracking?: { host: string; port: number; protocol: 'imap' | 'pop3' }; opener?: MailboxOpener; listen?: boolean } = {},
): Promise<BuiltWorld> {
  const trackingModule = createTrackingModule(opts.opener ? { pollOptions: { opener: opts.opener } } : {});
  const running = await startServer(testConfig({ database, dataDir, secret: SECRET }), [outboundModule(), trackingModule], { log: silentLogger, listen: opts.listen ?? false });
  const anonymous = new ApiClient(running.app);
  const admin = await login(anonymous, 'admin', ADMIN_PASSWORD);
  const tracking = opts.tracking ?? { host: '127.0.0.1', port: 143, protocol: 'imap' as const };
  must(
    await admin.put('/api/v1/admin/email/tracking', {
      protocol: tracking.protocol,
      host: tracking.host,
      port: tracking.port,
      security: 'none',
      username: TRACKING,
      password: 'mailtrail-test',
      address: TRACKING,
      pollSeconds: 3600,
      deleteUntracked: false,
      allowSelfSigned: true,
    }),
    200,
    'tracking settings',
  );
  if (opts.sending) {
    must(await admin.put('/api/v1/admin/email/sending', { host: opts.sending.host, port: opts.sending.port, security: 'none', allowSelfSigned: true }), 200, 'sending settings');
  }
  must(await admin.post('/api/v1/projects', { key: PROJECT_KEY, name: 'Acme Billing' }), 201, 'project');
  must(await admin.post('/api/v1/users', { username: DEV_USER, fullName: 'Dana Reyes', email: DEV_ADDRESS, password: USER_PASSWORD }), 201, 'user');
  must(await admin.put(`/api/v1/projects/${PROJECT_KEY}/members/${DEV_USER}`, { securityGroup: 'Developers' }), 200, 'member');
  const dev = await login(anonymous, DEV_USER, USER_PASSWORD);
  const db = running.ctx.store.db;
  const project = await db.selectFrom('projects').select('id').where('key', '=', PROJECT_KEY).executeTakeFirstOrThrow();
  const records: Manifest['records'] = [];
  for (const r of RECORDS) {
    const res = await dev.post(`/api/v1/projects/${PROJECT_KEY}/records`, { type: 'defect', title: r.title });
    must(res, 201, `record ${r.name}`);
    records.push({ ...r, id: res.body.id as string, tag: res.body.tag as string });
  }
  const originals: Manifest['originals'] = [];
  for (const o of specs) {
    const record = records.find((r) => r.name === o.record);
    if (!record) throw new Error(`original ${o.name}: no record ${o.record}`);
    const res = await dev.post(`/api/v1/projects/${PROJECT_KEY}/records/${record.id}/emails`, {
      to: o.to,
      ...(o.cc ? { cc: o.cc } : {}),
      subject: o.subject,
      text: o.text,
      ...(o.html ? { html: o.html } : {}),
    });
    must(res, 202, `send ${o.name}`);
    const row = await db.selectFrom('emails').select(['id', 'cookie', 'message_id']).where('id', '=', res.body.id).executeTakeFirstOrThrow();
    originals.push({ ...o, id: row.id, cookie: row.cookie!, messageId: row.message_id! });
  }
  return { running, admin, dev, projectId: project.id, records, originals };
}

/** Text-like columns of every table, found from the database itself. */
async function textColumns(db: Kysely<unknown>, kind: 'sqlite' | 'postgres'): Promise<{ table: string; column: string }[]> {
  if (kind === 'postgres') {
    // Our store's introspector lists tables without columns; the schema on the search path is ours.
    const { rows } = await sql<{ table: string; column: string }>`
      select table_name as "table", column_name as "column" from information_schema.columns
      where table_schema = any (current_schemas(false)) and data_type in ('text', 'character varying', 'character')`.execute(db);
    return rows;
  }
  const out: { table: string; column: string }[] = [];
  for (const t of await db.introspection.getTables()) {
    for (const c of t.columns) if (/^(text|varchar|char)/i.test(c.dataType)) out.push({ table: t.name, column: c.name });
  }
  return out;
}

/**
 * Gives the freshly built world the manifest's ids: every text value equal to or containing an
 * old id (or old cookie) is rewritten to the new one, in every table, with foreign keys off for
 * the moment (they point at values being rewritten in the same pass). Ids are 26 random
 * characters, so a value containing one is a reference to it.
 */
export async function rekeyWorld(w: BuiltWorld, manifest: Manifest): Promise<void> {
  const pairs: [string, string][] = [];
  // Cookies first: a cookie contains its email id, and must be replaced whole.
  for (const o of w.originals) {
    const m = manifest.originals.find((x) => x.name === o.name);
    if (!m) throw new Error(`manifest has no original ${o.name}`);
    pairs.push([o.cookie, m.cookie]);
  }
  for (const o of w.originals) pairs.push([o.id, manifest.originals.find((x) => x.name === o.name)!.id]);
  for (const r of w.records) {
    const m = manifest.records.find((x) => x.name === r.name);
    if (!m) throw new Error(`manifest has no record ${r.name}`);
    pairs.push([r.id, m.id]);
  }
  pairs.push([w.projectId, manifest.projectId]);

  const db = w.running.ctx.store.db as Kysely<unknown>;
  const kind = w.running.ctx.config.database.kind;
  const columns = await textColumns(db, kind);
  if (columns.length === 0) throw new Error('no text columns found to re-key');
  const run = async (tx: Kysely<unknown>) => {
    for (const { table, column } of columns) {
      for (const [from, to] of pairs) {
        await sql`update ${sql.table(table)} set ${sql.ref(column)} = replace(${sql.ref(column)}, ${from}, ${to}) where ${sql.ref(column)} like ${`%${from}%`}`.execute(tx);
      }
    }
  };
  if (kind === 'sqlite') {
    await sql`pragma foreign_keys = off`.execute(db);
    try {
      await db.transaction().execute(run);
    } finally {
      await sql`pragma foreign_keys = on`.execute(db);
    }
  } else {
    await db.connection().execute(async (conn) => {
      // Triggers (and so foreign-key checks) are off for this session only; needs a superuser,
      // which the test database's trust login is.
      await sql`set session_replication_role = replica`.execute(conn);
      try {
        await conn.transaction().execute(run);
      } finally {
        await sql`set session_replication_role = default`.execute(conn);
      }
    });
  }
  for (const m of manifest.originals) {
    const check = createCookie({ emailId: m.id, projectId: manifest.projectId, recordId: manifest.records.find((r) => r.name === m.record)!.id }, SECRET);
    if (check !== m.cookie) throw new Error(`manifest cookie of ${m.name} does not verify under the corpus secret`);
  }
}

export function readManifest(url: URL): Manifest {
  return JSON.parse(readFileSync(url, 'utf8')) as Manifest;
}
