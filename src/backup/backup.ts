import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { finished } from 'node:stream/promises';
import { sql } from 'kysely';
import type { Config } from '../config.js';
import type { BlobStore } from '../store/blobs.js';
import { DatabaseBlobStore } from '../store/blobs.database.js';
import { FolderBlobStore } from '../store/blobs.folder.js';
import { blobBackendOf } from '../store/blobs.open.js';
import { openStore, type Db, type Dialect, type Store } from '../store/db.js';
import { VERSION as MAILTRAIL_VERSION } from '../version.js';
import { asAnyDb, backupTables, ranMigrations } from './catalog.js';
import {
  BLOB_PREFIX,
  encodeValue,
  FORMAT,
  MANIFEST,
  PAGE_BYTES,
  PAGE_ROWS,
  pageName,
  secretCheck,
  SUMMARY,
  VERSION,
  type Manifest,
  type Row,
  type Summary,
} from './format.js';
import { TarWriter } from './tar.js';

/** One consistent view of the database while the server goes on writing. */
interface Snapshot {
  dialect: Dialect;
  db: Db;
  rows(table: string): AsyncIterable<Row>;
}

const FETCH_ROWS = 500;

/**
 * PostgreSQL: one connection in a REPEATABLE READ, READ ONLY transaction. Every statement in it
 * sees the database as of its first query, whatever the server commits meanwhile; rows come
 * through a cursor, FETCH_ROWS at a time.
 */
async function withPostgresSnapshot<T>(store: Store, fn: (snap: Snapshot) => Promise<T>): Promise<T> {
  return store.db.connection().execute(async (conn) => {
    await sql`start transaction isolation level repeatable read read only`.execute(conn);
    try {
      let cursors = 0;
      return await fn({
        dialect: 'postgres',
        db: conn,
        async *rows(table) {
          const cursor = sql.raw(`backup_cursor_${cursors++}`);
          await sql`declare ${cursor} no scroll cursor for select * from ${sql.table(table)}`.execute(conn);
          for (;;) {
            const { rows } = await sql<Row>`fetch ${sql.raw(String(FETCH_ROWS))} from ${cursor}`.execute(conn);
            yield* rows;
            if (rows.length < FETCH_ROWS) break;
          }
          await sql`close ${cursor}`.execute(conn);
        },
      });
    } finally {
      await sql`rollback`.execute(conn);
    }
  });
}

/**
 * SQLite: `VACUUM INTO` a copy next to the backup file (one read transaction of the live
 * database: consistent, and the server's writers wait only for its end), then read the copy.
 */
async function withSqliteSnapshot<T>(store: Store, file: string, fn: (snap: Snapshot) => Promise<T>): Promise<T> {
  const copy = join(dirname(file), `.${basename(file)}.${randomBytes(4).toString('hex')}.sqlite`);
  await sql`vacuum into ${copy}`.execute(store.db);
  const snapshot = await openStore({ kind: 'sqlite', path: copy });
  try {
    return await fn({
      dialect: 'sqlite',
      db: snapshot.db,
      rows: (table) => asAnyDb(snapshot.db).selectFrom(table).selectAll().stream(FETCH_ROWS),
    });
  } finally {
    await snapshot.close();
    await Promise.all(['', '-wal', '-shm'].map((end) => rm(copy + end, { force: true })));
  }
}

/**
 * Where the blobs of the snapshot are: the database's (read in the snapshot itself on
 * PostgreSQL), then the folder's, whichever backend is configured — an instance between two
 * backends (before `blobs migrate` finished) has blobs in both. Folder blobs need no snapshot:
 * a blob is written before any row naming it commits and is never changed or removed.
 */
function blobSources(config: Pick<Config, 'dataDir'>, snap: Snapshot): BlobStore[] {
  const sources: BlobStore[] = [new DatabaseBlobStore(snap.db, undefined, { ownConnections: true })];
  if (config.dataDir !== '' && existsSync(join(config.dataDir, 'blobs'))) sources.push(new FolderBlobStore(config.dataDir));
  return sources;
}

async function writeSnapshot(config: Config, snap: Snapshot, tar: TarWriter): Promise<Summary> {
  const tables = await backupTables(asAnyDb(snap.db), snap.dialect);
  const manifest: Manifest = {
    format: FORMAT,
    version: VERSION,
    createdAt: new Date().toISOString(),
    source: { dialect: snap.dialect, blobs: blobBackendOf(config), mailtrail: MAILTRAIL_VERSION },
    migrations: await ranMigrations(asAnyDb(snap.db)),
    tables,
    secretCheck: secretCheck(config.secret),
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest, null, 2) + '\n');
  await tar.entry(MANIFEST, manifestBytes.length, manifestBytes);

  const summary: Summary = { rows: {}, blobs: 0, blobBytes: 0 };
  const sources = blobSources(config, snap);
  for (const [i, source] of sources.entries()) {
    for await (const key of source.keys()) {
      if (i > 0 && (await sources[0]!.has(key))) continue;
      const size = await source.size(key);
      await tar.entry(`${BLOB_PREFIX}${key}`, size, source.stream(key));
      summary.blobs++;
      summary.blobBytes += size;
    }
  }

  for (const table of tables) {
    let count = 0;
    let page = 0;
    let lines: Buffer[] = [];
    let bytes = 0;
    const flush = async () => {
      await tar.entry(pageName(table, page++), bytes, Buffer.concat(lines, bytes));
      lines = [];
      bytes = 0;
    };
    for await (const row of snap.rows(table)) {
      const line = Buffer.from(JSON.stringify(Object.fromEntries(Object.entries(row).map(([k, v]) => [k, encodeValue(v)]))) + '\n');
      lines.push(line);
      bytes += line.length;
      count++;
      if (bytes >= PAGE_BYTES || lines.length >= PAGE_ROWS) await flush();
    }
    if (lines.length > 0) await flush();
    summary.rows[table] = count;
  }
  const summaryBytes = Buffer.from(JSON.stringify(summary, null, 2) + '\n');
  await tar.entry(SUMMARY, summaryBytes.length, summaryBytes);
  await tar.finish();
  return summary;
}

/**
 * `mailtrail backup FILE`: a consistent snapshot of the database and every blob, streamed into
 * one tar file while the server runs. Written to FILE.partial and renamed when whole, so a
 * failed backup never leaves a file that looks like one.
 */
export async function backupInstance(config: Config, file: string): Promise<Summary> {
  const store = await openStore(config.database, { poolSize: 2 });
  const partial = `${file}.partial`;
  const out = createWriteStream(partial);
  const tar = new TarWriter(out);
  try {
    const write = (snap: Snapshot) => writeSnapshot(config, snap, tar);
    const summary = store.dialect === 'postgres' ? await withPostgresSnapshot(store, write) : await withSqliteSnapshot(store, file, write);
    out.end();
    await finished(out);
    await rename(partial, file);
    return summary;
  } catch (err) {
    out.destroy();
    await rm(partial, { force: true });
    throw err;
  } finally {
    await store.close();
  }
}
