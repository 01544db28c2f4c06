import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { sql } from 'kysely';
import type { Config } from '../config.js';
import { openBlobStore } from '../store/blobs.open.js';
import { migrateToLatest, openStore, type Db, type Dialect, type Tx } from '../store/db.js';
import { asAnyDb, backupTables, ranMigrations } from './catalog.js';
import { BLOB_PREFIX, decodeValue, FORMAT, MANIFEST, SUMMARY, TABLE_PREFIX, VERSION, secretCheck, type Manifest, type Row, type Summary } from './format.js';
import { readTar, type TarEntry } from './tar.js';

/** A restore that must not go ahead: said to the operator as it is, exit code 2. */
export class RestoreRefused extends Error {}

const MAX_JSON_ENTRY = 1024 * 1024;
/** Bound parameters per INSERT, under SQLite's 32,766 and PostgreSQL's 65,535. */
const MAX_PARAMS = 10_000;

async function bytesOf(entry: TarEntry, limit = Number.MAX_SAFE_INTEGER): Promise<Buffer> {
  if (entry.size > limit) throw new RestoreRefused(`${entry.name} in the backup is ${entry.size} bytes; this is not a Mailtrail backup`);
  const pieces: Buffer[] = [];
  for await (const piece of entry.body) pieces.push(piece);
  return Buffer.concat(pieces, entry.size);
}

function checkManifest(manifest: Manifest, migrations: string[], tables: string[], secret: string): void {
  if (manifest.format !== FORMAT) throw new RestoreRefused('this file is not a Mailtrail backup');
  if (manifest.version !== VERSION) throw new RestoreRefused(`backup format version ${String(manifest.version)}; this Mailtrail reads version ${VERSION}`);
  const theirs = [...manifest.migrations].sort().join('\n');
  if (theirs !== [...migrations].sort().join('\n')) {
    const missing = manifest.migrations.filter((m) => !migrations.includes(m));
    const extra = migrations.filter((m) => !manifest.migrations.includes(m));
    throw new RestoreRefused(
      `the backup was made by another version of Mailtrail (${manifest.source.mailtrail}): ` +
        (missing.length ? `it has migrations this version does not know (${missing.join(', ')}); ` : '') +
        (extra.length ? `it lacks migrations this version has (${extra.join(', ')}); ` : '') +
        'restore it with the version that made it, then upgrade',
    );
  }
  const unknown = manifest.tables.filter((t) => !tables.includes(t));
  if (unknown.length) throw new RestoreRefused(`the backup has tables this database lacks: ${unknown.join(', ')}`);
  if (manifest.secretCheck !== secretCheck(secret)) {
    throw new RestoreRefused(
      'MAILTRAIL_SECRET differs from the one of the instance that was backed up: its stored mail passwords and tracking cookies would not verify. ' +
        'Run restore (and the server) with the same MAILTRAIL_SECRET (or copy its MAILTRAIL_DATA/secret file).',
    );
  }
}

/**
 * What makes an instance not empty: anything a person or a mailbox put there. Migrations alone
 * seed a few rows (the default tracking account); those are replaced by the backup's.
 */
const CONTENT_TABLES = ['users', 'projects', 'records', 'emails', 'inbound_messages', 'blobs'];

/** Names the content tables that hold rows: a restore goes only into an instance with none. */
async function nonEmptyTables(db: Db, tables: string[]): Promise<string[]> {
  const full: string[] = [];
  for (const table of CONTENT_TABLES.filter((t) => t === 'blobs' || tables.includes(t))) {
    const { rows } = await sql<{ one: number }>`select 1 as one from ${sql.table(table)} limit 1`.execute(db);
    if (rows.length > 0) full.push(table);
  }
  return full;
}

async function insertPage(tx: Tx, dialect: Dialect, table: string, text: string): Promise<number> {
  const rows: Row[] = text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => Object.fromEntries(Object.entries(JSON.parse(line) as Row).map(([k, v]) => [k, decodeValue(v, dialect)])));
  if (rows.length === 0) return 0;
  const perInsert = Math.max(1, Math.floor(MAX_PARAMS / Object.keys(rows[0]!).length));
  for (let at = 0; at < rows.length; at += perInsert)
    await asAnyDb(tx)
      .insertInto(table)
      .values(rows.slice(at, at + perInsert))
      .execute();
  return rows.length;
}

/**
 * `mailtrail restore FILE` into an empty instance (the database of DATABASE_URL after its
 * migrations, and the blob backend MAILTRAIL_BLOBS or its default — either backend, either
 * database, whatever the backup came from). Blobs first, each checked against its SHA-256 name;
 * then every row in one transaction, committed only when the summary at the end of the file
 * agrees with what was inserted — a cut-short or damaged file leaves the database empty.
 */
export async function restoreInstance(config: Config, file: string): Promise<Summary> {
  const store = await openStore(config.database, { poolSize: 2 });
  try {
    await migrateToLatest(store);
    const blobs = await openBlobStore(config, store);
    const entries = readTar(createReadStream(file))[Symbol.asyncIterator]();
    const first = await entries.next();
    if (first.done || first.value.name !== MANIFEST) throw new RestoreRefused(`${file} does not begin with ${MANIFEST}: not a Mailtrail backup`);
    const manifest = JSON.parse((await bytesOf(first.value, MAX_JSON_ENTRY)).toString('utf8')) as Manifest;
    const tables = await backupTables(asAnyDb(store.db), store.dialect);
    checkManifest(manifest, await ranMigrations(asAnyDb(store.db)), tables, config.secret);
    const full = await nonEmptyTables(store.db, tables);
    if (full.length > 0) {
      throw new RestoreRefused(
        `restore needs an empty instance, and this database already holds rows in ${full.join(', ')}. ` +
          'Point DATABASE_URL at a new database (or ?schema=) and run restore before the first serve.',
      );
    }

    const done: Summary = { rows: Object.fromEntries(manifest.tables.map((t) => [t, 0])), blobs: 0, blobBytes: 0 };
    let next = await entries.next();
    for (; !next.done && next.value.name.startsWith(BLOB_PREFIX); next = await entries.next()) {
      const key = next.value.name.slice(BLOB_PREFIX.length);
      const ref = await blobs.put(Readable.from(next.value.body));
      if (ref.key !== key) throw new RestoreRefused(`blob ${key} in the backup reads back as ${ref.key}: the file is damaged`);
      done.blobs++;
      done.blobBytes += ref.size;
    }

    let summary: Summary | undefined;
    await store.db.transaction().execute(async (tx) => {
      // What the migrations seeded goes; the backup has its own. Referencing tables first.
      for (const table of [...manifest.tables].reverse()) await asAnyDb(tx).deleteFrom(table).execute();
      for (; !next.done; next = await entries.next()) {
        const entry = next.value;
        if (entry.name === SUMMARY) {
          summary = JSON.parse((await bytesOf(entry, MAX_JSON_ENTRY)).toString('utf8')) as Summary;
          continue;
        }
        const table = entry.name.startsWith(TABLE_PREFIX) ? entry.name.slice(TABLE_PREFIX.length).split('/')[0]! : '';
        if (!manifest.tables.includes(table)) throw new RestoreRefused(`unexpected entry ${entry.name} in the backup`);
        done.rows[table] = (done.rows[table] ?? 0) + (await insertPage(tx, store.dialect, table, (await bytesOf(entry)).toString('utf8')));
      }
      if (!summary) throw new RestoreRefused(`${file} is cut short: it has no ${SUMMARY}; nothing was restored`);
      const differs = manifest.tables.filter((t) => (summary!.rows[t] ?? 0) !== done.rows[t]);
      if (differs.length > 0 || summary.blobs !== done.blobs) {
        throw new RestoreRefused(
          `the backup's summary disagrees with its contents (${differs.join(', ') || 'blobs'}): the file is damaged; nothing was restored`,
        );
      }
    });
    return done;
  } finally {
    await store.close();
  }
}
