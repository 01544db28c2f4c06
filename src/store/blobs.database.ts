import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { sql } from 'kysely';
import { checkKey, RecentBlobs, type BlobReader, type BlobRef, type BlobStore, type PutOptions } from './blobs.js';
import type { Db, Executor } from './db.js';

/** Chunk size of new blobs. Each blob records its own, so this may change without a migration. */
export const CHUNK_BYTES = 1024 * 1024;
/** Bytes per read of a chunk on PostgreSQL (see slicedChunk): hex text under V8's 128 KiB large-object threshold. */
const SLICE_BYTES = 60 * 1024;
/** Uploads older than this that never finished (a crash mid-stream) are removed at start. */
const STALE_UPLOAD_MS = 60 * 60 * 1000;

interface Meta {
  size: number;
  chunkBytes: number;
}

/**
 * The database backend: a blob is rows of `blob_chunks` (1 MiB each) plus its row in `blobs`,
 * written last in the same transaction, so a reader sees it whole or not at all. Reads and
 * writes go chunk by chunk: a 70 MB attachment holds about one chunk in memory at a time.
 * Works on both databases; the default on PostgreSQL, where it lets several hosts share nothing
 * but the database.
 *
 * A stream's hash is known only at its end, so its chunks are written under a temporary key
 * and renamed when done — one short statement per chunk rather than one transaction held open
 * while the sender of the stream (a mailbox, a client) takes its time.
 *
 * Connections: on PostgreSQL `db` is a pool of the store's own (Store.blobDb), so a caller that
 * stores a blob while holding a transaction never waits for a connection of the pool its own
 * transaction holds (16 sends at once on a pool of 10 deadlocked that way). On SQLite, with one
 * connection, a caller inside a transaction passes it (`put(…, { tx })`) and the blob is
 * written through it: the connection is the transaction's until it ends.
 */
export class DatabaseBlobStore implements BlobStore {
  readonly backend = 'database' as const;
  private readonly recent = new RecentBlobs();

  /**
   * `fallback` serves blobs written before `mailtrail blobs migrate` moved them here.
   * `ownConnections`: `db` is not the pool callers' transactions come from, so a caller's
   * transaction is not needed (and not used: a blob outlives a rolled-back caller harmlessly).
   */
  constructor(
    private readonly db: Db,
    private readonly fallback?: BlobStore,
    private readonly opts: { ownConnections?: boolean; slicedReads?: boolean } = {},
  ) {}

  /** Where a put writes: the caller's transaction when this store shares its connection. */
  private writer(put?: PutOptions): Executor {
    return put?.tx && !this.opts.ownConnections ? put.tx : this.db;
  }

  /** Removes chunks of uploads a crashed process left behind. */
  async sweep(now = Date.now()): Promise<number> {
    const before = `tmp:${new Date(now - STALE_UPLOAD_MS).toISOString()}`;
    const res = await this.db.deleteFrom('blob_chunks').where('blob_key', 'like', 'tmp:%').where('blob_key', '<', before).executeTakeFirst();
    return Number(res.numDeletedRows);
  }

  private async meta(key: string, db: Executor = this.db): Promise<Meta | undefined> {
    const row = await db.selectFrom('blobs').select(['size', 'chunk_bytes']).where('key', '=', checkKey(key)).executeTakeFirst();
    return row ? { size: Number(row.size), chunkBytes: row.chunk_bytes } : undefined;
  }

  private async metaOrFail(key: string): Promise<Meta> {
    const meta = await this.meta(key);
    if (!meta) throw Object.assign(new Error(`blob ${key} is not stored`), { code: 'ENOENT' });
    return meta;
  }

  private async chunk(key: string, idx: number): Promise<Buffer> {
    if (this.opts.slicedReads) return this.slicedChunk(key, idx);
    const row = await this.db.selectFrom('blob_chunks').select('data').where('blob_key', '=', key).where('idx', '=', idx).executeTakeFirst();
    if (!row) throw new Error(`blob ${key} lacks chunk ${idx}`);
    return row.data;
  }

  /**
   * PostgreSQL sends bytea as hex text, which pg decodes: a 1 MiB chunk is a 2 MiB string first,
   * in V8's large-object space, freed only by a full collection. A 70 MB attachment is read
   * about three times during its import, and that garbage was most of its peak RSS. Slices of
   * SLICE_BYTES make strings small enough for the young generation, which is swept at once.
   */
  private async slicedChunk(key: string, idx: number): Promise<Buffer> {
    const slices: Buffer[] = [];
    for (let from = 0; ; from += SLICE_BYTES) {
      const row = await this.db
        .selectFrom('blob_chunks')
        .select(sql<Buffer>`substring(data from ${from + 1} for ${SLICE_BYTES})`.as('data'))
        .where('blob_key', '=', key)
        .where('idx', '=', idx)
        .executeTakeFirst();
      if (!row) throw new Error(`blob ${key} lacks chunk ${idx}`);
      if (row.data.length > 0 || from === 0) slices.push(row.data);
      if (row.data.length < SLICE_BYTES) break;
    }
    return slices.length === 1 ? slices[0]! : Buffer.concat(slices);
  }

  async put(content: Buffer | Readable, opts?: PutOptions): Promise<BlobRef> {
    const db = this.writer(opts);
    return Buffer.isBuffer(content) ? this.putBuffer(db, content) : this.putStream(db, content);
  }

  private async putBuffer(db: Executor, content: Buffer): Promise<BlobRef> {
    const key = createHash('sha256').update(content).digest('hex');
    if (!(await this.meta(key, db))) {
      await atomically(db, async (tx) => {
        for (let idx = 0, at = 0; at < content.length || idx === 0; idx++, at += CHUNK_BYTES) {
          await tx.insertInto('blob_chunks').values({ blob_key: key, idx, data: content.subarray(at, at + CHUNK_BYTES) }).onConflict((oc) => oc.doNothing()).execute();
        }
        await tx.insertInto('blobs').values({ key, size: content.length, chunk_bytes: CHUNK_BYTES, created_at: new Date().toISOString() }).onConflict((oc) => oc.doNothing()).execute();
      });
    }
    this.recent.remember(key, content);
    return { key, size: content.length };
  }

  private async putStream(db: Executor, content: Readable): Promise<BlobRef> {
    const tmp = `tmp:${new Date().toISOString()}:${randomBytes(8).toString('hex')}`;
    const hash = createHash('sha256');
    let size = 0;
    let idx = 0;
    const buf = Buffer.allocUnsafe(CHUNK_BYTES);
    let filled = 0;
    const flush = async () => {
      // No copy: the buffer is refilled only once the insert has answered, and pg is done with it
      // by then (a copy per chunk was another 165 MB of garbage for a 70 MB attachment).
      await db.insertInto('blob_chunks').values({ blob_key: tmp, idx: idx++, data: buf.subarray(0, filled) }).execute();
      filled = 0;
    };
    try {
      for await (const piece of content) {
        const bytes = Buffer.isBuffer(piece) ? piece : Buffer.from(piece as string);
        hash.update(bytes);
        size += bytes.length;
        for (let at = 0; at < bytes.length; ) {
          const n = bytes.copy(buf, filled, at, Math.min(bytes.length, at + CHUNK_BYTES - filled));
          filled += n;
          at += n;
          if (filled === CHUNK_BYTES) await flush();
        }
      }
      if (filled > 0 || idx === 0) await flush();
      const key = hash.digest('hex');
      await this.finish(db, tmp, key, size);
      return { key, size };
    } catch (err) {
      await db.deleteFrom('blob_chunks').where('blob_key', '=', tmp).execute().catch(() => undefined);
      throw err;
    }
  }

  /** Renames a finished upload to its content address, or drops it when that blob exists. */
  private async finish(db: Executor, tmp: string, key: string, size: number): Promise<void> {
    try {
      await atomically(db, async (tx) => {
        const exists = await tx.selectFrom('blobs').select('key').where('key', '=', key).executeTakeFirst();
        if (exists) {
          await tx.deleteFrom('blob_chunks').where('blob_key', '=', tmp).execute();
          return;
        }
        await tx.updateTable('blob_chunks').set({ blob_key: key }).where('blob_key', '=', tmp).execute();
        await tx.insertInto('blobs').values({ key, size, chunk_bytes: CHUNK_BYTES, created_at: new Date().toISOString() }).execute();
      });
    } catch (err) {
      // Another process finished the same content at the same moment: theirs stands.
      if (db.isTransaction || !(await this.meta(key, db))) throw err;
      await db.deleteFrom('blob_chunks').where('blob_key', '=', tmp).execute();
    }
  }

  private async fallbackHas(key: string): Promise<boolean> {
    return (await this.fallback?.has(key)) ?? false;
  }

  async get(key: string): Promise<Buffer> {
    const recent = this.recent.get(key);
    if (recent) return recent;
    const meta = await this.meta(key);
    if (!meta && this.fallback && (await this.fallbackHas(key))) return this.fallback.get(key);
    const { size } = meta ?? (await this.metaOrFail(key));
    const rows = await this.db.selectFrom('blob_chunks').select('data').where('blob_key', '=', key).orderBy('idx').execute();
    const out = Buffer.concat(rows.map((r) => r.data), size);
    if (out.length !== size) throw new Error(`blob ${key} is ${out.length} bytes, not ${size}`);
    return out;
  }

  stream(key: string, range?: { start: number; end: number }): Readable {
    return Readable.from(this.chunks(key, range), { objectMode: false });
  }

  private async *chunks(key: string, range?: { start: number; end: number }): AsyncGenerator<Buffer> {
    const meta = await this.meta(key);
    if (!meta && this.fallback && (await this.fallbackHas(key))) {
      yield* this.fallback.stream(key, range) as AsyncIterable<Buffer>;
      return;
    }
    const { size, chunkBytes } = meta ?? (await this.metaOrFail(key));
    const start = Math.max(0, range?.start ?? 0);
    const end = Math.min(size, range?.end ?? size);
    for (let idx = Math.floor(start / chunkBytes); idx * chunkBytes < end; idx++) {
      const data = await this.chunk(key, idx);
      const from = idx * chunkBytes;
      yield data.subarray(Math.max(0, start - from), Math.min(data.length, end - from));
    }
  }

  async open(key: string): Promise<BlobReader> {
    const meta = await this.meta(key);
    if (!meta && this.fallback && (await this.fallbackHas(key))) return this.fallback.open(key);
    const { size, chunkBytes } = meta ?? (await this.metaOrFail(key));
    // The reads of the MIME scan are sequential: the last chunk fetched is usually the next one needed.
    let cached: { idx: number; data: Buffer } | undefined;
    const chunkAt = async (idx: number) => {
      if (cached?.idx !== idx) cached = { idx, data: await this.chunk(key, idx) };
      return cached.data;
    };
    return {
      read: async (buffer, offset, length, position) => {
        let done = 0;
        const end = Math.min(size, position + length);
        for (let at = position; at < end; ) {
          const idx = Math.floor(at / chunkBytes);
          const data = await chunkAt(idx);
          const n = data.copy(buffer, offset + done, at - idx * chunkBytes, Math.min(data.length, end - idx * chunkBytes));
          if (n === 0) break;
          done += n;
          at += n;
        }
        return { bytesRead: done };
      },
      close: async () => {
        cached = undefined;
      },
    };
  }

  async size(key: string): Promise<number> {
    const meta = await this.meta(key);
    if (!meta && this.fallback && (await this.fallbackHas(key))) return this.fallback.size(key);
    return (meta ?? (await this.metaOrFail(key))).size;
  }

  async has(key: string): Promise<boolean> {
    return (await this.meta(key)) !== undefined || (await this.fallbackHas(key));
  }

  async *keys(): AsyncIterable<string> {
    // Pages by key, so listing a million blobs holds a page at a time.
    for (let after = ''; ; ) {
      const rows = await this.db.selectFrom('blobs').select('key').where('key', '>', after).orderBy('key').limit(1000).execute();
      for (const r of rows) yield r.key;
      if (rows.length < 1000) return;
      after = rows.at(-1)!.key;
    }
  }
}

/** Runs `fn` in a transaction: the caller's when `db` is one (it commits or rolls back with it). */
async function atomically(db: Executor, fn: (tx: Executor) => Promise<void>): Promise<void> {
  if (db.isTransaction) return fn(db);
  return db.transaction().execute(fn);
}
