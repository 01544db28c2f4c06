/**
 * Backup and restore between running instances: a `mailtrail serve` process is populated through
 * its API (a user, records, emails with attachments of several blob chunks, files on records);
 * `mailtrail backup FILE` runs while the server is up and another client keeps adding records;
 * `mailtrail restore FILE` fills a fresh instance on the *other* database with the *other* blob
 * backend (SQLite + folder → PostgreSQL + database blobs, and back); a `serve` on the restored
 * instance then shows the same records, emails, raw messages, attachments and files (SHA-256
 * compared), the user signs in with their password; a restore with another MAILTRAIL_SECRET and
 * a second restore into the filled instance are refused.
 *
 * Run: node --import tsx --test test/reliability/backupRestore.test.ts
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { freshDatabase, requirePostgres, type StoreKind, type TestDatabase } from '../support/stores.js';
import { serve, type Served } from './serveProcess.js';
import { runChild } from './support.js';

const SECRET = 'backup-restore-secret-0123456789';
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function envOf(db: TestDatabase): Record<string, string> {
  const c = db.config;
  return {
    DATABASE_URL: c.kind === 'postgres' ? `${c.url}${c.url.includes('?') ? '&' : '?'}schema=${c.schema ?? ''}` : `sqlite:${c.path}`,
    MAILTRAIL_DATA: db.dataDir,
    MAILTRAIL_SECRET: SECRET,
    MAILTRAIL_DEMO: '0',
  };
}

async function call<T = Record<string, unknown>>(s: Served, method: string, path: string, body?: unknown, expect = 200): Promise<T> {
  const res = await s.api<T>(method, path, body, s.token);
  assert.equal(res.status, expect, `${method} ${path}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
  return res.body;
}

async function download(s: Served, path: string): Promise<string> {
  const res = await fetch(`${s.base}${path}`, { headers: { authorization: `Bearer ${s.token}` } });
  assert.equal(res.status, 200, `GET ${path}: ${res.status}`);
  return sha(Buffer.from(await res.arrayBuffer()));
}

interface RecordView {
  id: string;
  tag: string;
  title: string;
  description: string;
}

/** What a user sees of project BK: every record, its emails (raw and attachments hashed) and files. */
async function view(s: Served): Promise<Map<string, unknown>> {
  const list = await call<{ records: RecordView[] }>(s, 'GET', '/api/v1/projects/BK/records?limit=500');
  const out = new Map<string, unknown>();
  for (const r of list.records) {
    const thread = await call<{
      emails: {
        id: string;
        subject: string;
        to: string[];
        direction: string;
        textBody?: string;
        attachments: { id: string; filename: string; size: number }[];
      }[];
    }>(s, 'GET', `/api/v1/projects/BK/records/${r.id}/emails`);
    const emails = [];
    for (const e of thread.emails) {
      emails.push({
        id: e.id,
        subject: e.subject,
        to: e.to,
        direction: e.direction,
        raw: await download(s, `/api/v1/emails/${e.id}/raw`),
        attachments: await Promise.all(
          e.attachments.map(async (a) => ({ filename: a.filename, size: a.size, sha: await download(s, `/api/v1/emails/${e.id}/attachments/${a.id}`) })),
        ),
      });
    }
    const { files } = await call<{ files: { id: string; filename: string; size: number }[] }>(s, 'GET', `/api/v1/projects/BK/records/${r.id}/files`);
    out.set(r.id, {
      tag: r.tag,
      title: r.title,
      description: r.description,
      emails,
      files: await Promise.all(files.map(async (f) => ({ filename: f.filename, size: f.size, sha: await download(s, `/api/v1/projects/BK/files/${f.id}`) }))),
    });
  }
  return out;
}

async function roundTrip(t: TestContext, from: StoreKind, to: StoreKind): Promise<void> {
  if ((from === 'postgres' || to === 'postgres') && !(await requirePostgres(t))) return;
  const source = await freshDatabase(from);
  const target = await freshDatabase(to);
  t.after(() => Promise.all([source.drop(), target.drop()]));

  const a = await serve(t, envOf(source));
  // Nothing leaves: the emails stay queued, with their raw messages and attachments stored.
  await call(a, 'PUT', '/api/v1/admin/email/sending', { host: '127.0.0.1', port: 9, security: 'none', paused: true });
  await call(
    a,
    'POST',
    '/api/v1/users',
    { username: 'alice', fullName: 'Alice', email: 'alice@example.test', password: 'alice-password-123', isAdmin: true },
    201,
  );
  await call(a, 'POST', '/api/v1/projects', { key: 'BK', name: 'Backed up' }, 201);
  const populated: string[] = [];
  const sent: Record<string, string> = {};
  for (let i = 0; i < 3; i++) {
    const rec = await call<{ id: string }>(
      a,
      'POST',
      '/api/v1/projects/BK/records',
      { type: 'defect', title: `Record ${i}`, description: `Details of ${i} with ünïcode` },
      201,
    );
    populated.push(rec.id);
    // 2.5 MB: three chunks in the database blob store.
    const big = randomBytes(2.5 * 1024 * 1024 + i);
    const small = Buffer.from(`log line ${i}\n`.repeat(100));
    sent[`big-${i}.bin`] = sha(big);
    sent[`small-${i}.txt`] = sha(small);
    await call(
      a,
      'POST',
      `/api/v1/projects/BK/records/${rec.id}/emails`,
      {
        to: ['customer@example.test'],
        subject: `About ${i}`,
        text: `Hello ${i}`,
        attachments: [
          { filename: `big-${i}.bin`, contentType: 'application/octet-stream', contentBase64: big.toString('base64') },
          { filename: `small-${i}.txt`, contentType: 'text/plain', contentBase64: small.toString('base64') },
        ],
      },
      202,
    );
    const file = randomBytes(1024 * 1024 + 7 * i);
    sent[`shot-${i}.png`] = sha(file);
    const up = await fetch(`${a.base}/api/v1/projects/BK/records/${rec.id}/files?filename=shot-${i}.png`, {
      method: 'POST',
      headers: { authorization: `Bearer ${a.token}`, 'content-type': 'image/png' },
      body: file,
    });
    assert.equal(up.status, 201);
  }

  // The backup runs while a client goes on adding records.
  const file = join(source.dataDir, 'mailtrail.backup.tar');
  let writing = true;
  let added = 0;
  const writer: Promise<unknown> = (async () => {
    // Paced and bounded, so the views below stay small whatever the backup takes.
    while (writing && added < 60) {
      await new Promise((r) => setTimeout(r, 100));
      await call(a, 'POST', '/api/v1/projects/BK/records', { type: 'requirement', title: `Added during the backup ${added++}` }, 201);
    }
  })().catch((err: unknown) => err);
  const backup = await runChild(t, 'src/cli.ts', envOf(source), ['backup', file]);
  writing = false;
  assert.equal(await writer, undefined, 'the server kept taking writes during the backup');
  assert.ok(added > 0);
  assert.equal(backup.code, 0, backup.stderr);
  assert.match(backup.stdout, /backed up into .* (\d+) blobs/);
  assert.ok(existsSync(file) && !existsSync(`${file}.partial`));
  assert.deepEqual(
    readdirSync(source.dataDir).filter((f) => f.endsWith('.sqlite') && f.startsWith('.')),
    [],
    'no snapshot copy left',
  );
  const sourceView = await view(a);
  assert.equal(await a.stop(), 0);

  const otherSecret = await runChild(t, 'src/cli.ts', { ...envOf(target), MAILTRAIL_SECRET: 'another-secret-0123456789abcdef' }, ['restore', file]);
  assert.equal(otherSecret.code, 2, 'another MAILTRAIL_SECRET is refused (and leaves the instance empty for the next try)');
  assert.match(otherSecret.stderr, /MAILTRAIL_SECRET differs/);
  const restore = await runChild(t, 'src/cli.ts', envOf(target), ['restore', file]);
  assert.equal(restore.code, 0, restore.stderr);
  const b = await serve(t, envOf(target));
  const restored = await view(b);
  for (const id of populated) assert.ok(restored.has(id), `record ${id} populated before the backup is restored`);
  assert.ok(restored.size >= populated.length && restored.size <= sourceView.size);
  for (const [id, seen] of restored) assert.deepEqual(seen, sourceView.get(id), `record ${id} reads the same after the restore`);
  const hashes = [...restored.values()].flatMap((r) => {
    const rec = r as { emails: { attachments: { filename: string; sha: string }[] }[]; files: { filename: string; sha: string }[] };
    return [...rec.emails.flatMap((e) => e.attachments), ...rec.files];
  });
  assert.deepEqual(Object.fromEntries(hashes.map((h) => [h.filename, h.sha])), sent, 'every attachment and file, SHA-256 equal to what was uploaded');
  const login = await b.api<{ token?: string }>('POST', '/api/v1/auth/token', { username: 'alice', password: 'alice-password-123' });
  assert.equal(login.status, 200, 'the user signs in with their password');
  // The target's blob backend is its own default: the folder on SQLite, the database on PostgreSQL.
  const folder = join(target.dataDir, 'blobs');
  const folderBlobs = existsSync(folder) ? readdirSync(folder).filter((d) => d !== 'tmp').length : 0;
  assert.equal(folderBlobs > 0, to === 'sqlite', `blobs in ${folder}: ${folderBlobs}`);
  assert.equal(await b.stop(), 0);

  const again = await runChild(t, 'src/cli.ts', envOf(target), ['restore', file]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /restore needs an empty instance, and this database already holds rows in .*users/);
}

test('backup of a running SQLite instance (folder blobs) restores into PostgreSQL (database blobs)', { timeout: 240_000 }, (t) =>
  roundTrip(t, 'sqlite', 'postgres'),
);
test('backup of a running PostgreSQL instance (database blobs) restores into SQLite (folder blobs)', { timeout: 240_000 }, (t) =>
  roundTrip(t, 'postgres', 'sqlite'),
);
