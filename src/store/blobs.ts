import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const RECENT_ITEM_BYTES = 1024 * 1024;
const RECENT_BYTES = 4 * 1024 * 1024;
const RECENT_ITEMS = 16;

/**
 * Raw messages and attachments live in MAILTRAIL_DATA/blobs, named by their SHA-256.
 * Content addressing makes writes idempotent (a message fetched twice is stored once) and
 * crash-safe (write to a temp file, then rename into place: a blob is whole or absent).
 * Processes sharing one PostgreSQL database must share this folder too.
 */
export class BlobStore {
  readonly root: string;
  /**
   * Fan-out folders known to exist. A recursive mkdir per put was a tenth of the import's CPU;
   * there are at most 65,536 of them, so the set stays small.
   */
  private readonly dirs = new Set<string>();
  /**
   * Small blobs just written as buffers, for the `get` that usually follows (the poller stores
   * a reply, then the pipeline parses it; the sender reads the message it just queued). Blobs
   * never change, so an entry is never stale. A few megabytes at most, oldest out first.
   */
  private readonly recent = new Map<string, Buffer>();
  private recentBytes = 0;

  constructor(dataDir: string) {
    this.root = join(dataDir, 'blobs');
    mkdirSync(join(this.root, 'tmp'), { recursive: true });
  }

  pathOf(key: string): string {
    if (!/^[0-9a-f]{64}$/.test(key)) throw new Error(`invalid blob key ${key}`);
    return join(this.root, key.slice(0, 2), key.slice(2, 4), key);
  }

  private tmpPath(): string {
    return join(this.root, 'tmp', `${Date.now()}-${randomBytes(6).toString('hex')}`);
  }

  /** Moves a finished temp file to its content address (or drops it when that blob exists). */
  private async place(tmp: string, key: string): Promise<void> {
    const final = this.pathOf(key);
    if (existsSync(final)) {
      await rm(tmp, { force: true });
      return;
    }
    const dir = dirname(final);
    if (!this.dirs.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.dirs.add(dir);
    }
    try {
      await rename(tmp, final);
    } catch (err) {
      // The folder went away behind our back (someone cleaned the data directory): make it again.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || !existsSync(tmp)) throw err;
      this.dirs.delete(dir);
      await mkdir(dir, { recursive: true });
      this.dirs.add(dir);
      await rename(tmp, final);
    }
  }

  /** Stores a buffer or stream; returns its key (sha256 hex) and size. */
  async put(content: Buffer | Readable): Promise<{ key: string; size: number }> {
    if (Buffer.isBuffer(content)) return this.putBuffer(content);
    const hash = createHash('sha256');
    let size = 0;
    const tmp = this.tmpPath();
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        size += chunk.length;
        cb(null, chunk);
      },
    });
    try {
      await pipeline(content, meter, createWriteStream(tmp, { flags: 'wx' }));
      const key = hash.digest('hex');
      await this.place(tmp, key);
      return { key, size };
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  /** A buffer in hand is hashed first: a blob already stored costs no write at all. */
  private async putBuffer(content: Buffer): Promise<{ key: string; size: number }> {
    const key = createHash('sha256').update(content).digest('hex');
    const result = { key, size: content.length };
    if (!existsSync(this.pathOf(key))) {
      const tmp = this.tmpPath();
      try {
        await writeFile(tmp, content, { flag: 'wx' });
        await this.place(tmp, key);
      } catch (err) {
        await rm(tmp, { force: true });
        throw err;
      }
    }
    this.remember(key, content);
    return result;
  }

  private remember(key: string, content: Buffer): void {
    if (content.length > RECENT_ITEM_BYTES || this.recent.has(key)) return;
    // A copy: the caller may go on to change its buffer.
    this.recent.set(key, Buffer.from(content));
    this.recentBytes += content.length;
    for (const [oldest, bytes] of this.recent) {
      if (this.recentBytes <= RECENT_BYTES && this.recent.size <= RECENT_ITEMS) break;
      this.recent.delete(oldest);
      this.recentBytes -= bytes.length;
    }
  }

  /** The blob's bytes, in a buffer the caller owns (it may overwrite it). */
  async get(key: string): Promise<Buffer> {
    const recent = this.recent.get(key);
    return recent ? Buffer.from(recent) : readFile(this.pathOf(key));
  }

  stream(key: string, range?: { start: number; end: number }): Readable {
    return createReadStream(this.pathOf(key), range ? { start: range.start, end: range.end - 1 } : {});
  }

  async size(key: string): Promise<number> {
    return (await stat(this.pathOf(key))).size;
  }

  async has(key: string): Promise<boolean> {
    return existsSync(this.pathOf(key));
  }
}
