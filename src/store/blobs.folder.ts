import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { checkKey, RecentBlobs, type BlobReader, type BlobStore } from './blobs.js';

/**
 * The folder backend: blobs are files under MAILTRAIL_DATA/blobs/ab/cd/<sha256>, written to a
 * temp file and renamed into place (whole or absent). Processes sharing one PostgreSQL database
 * with this backend must share this folder too; the database backend needs no shared disk.
 */
export class FolderBlobStore implements BlobStore {
  readonly backend = 'folder' as const;
  readonly root: string;
  /**
   * Fan-out folders known to exist. A recursive mkdir per put was a tenth of the import's CPU;
   * there are at most 65,536 of them, so the set stays small.
   */
  private readonly dirs = new Set<string>();
  private readonly recent = new RecentBlobs();

  constructor(dataDir: string) {
    this.root = join(dataDir, 'blobs');
    mkdirSync(join(this.root, 'tmp'), { recursive: true });
  }

  pathOf(key: string): string {
    checkKey(key);
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
    this.recent.remember(key, content);
    return result;
  }

  async get(key: string): Promise<Buffer> {
    return this.recent.get(key) ?? readFile(this.pathOf(key));
  }

  async open(key: string): Promise<BlobReader> {
    return open(this.pathOf(key), 'r');
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

  async *keys(): AsyncIterable<string> {
    const hex2 = (names: string[]) => names.filter((n) => /^[0-9a-f]{2}$/.test(n));
    for (const a of hex2(await readdir(this.root))) {
      for (const b of hex2(await readdir(join(this.root, a)))) {
        for (const name of await readdir(join(this.root, a, b))) if (/^[0-9a-f]{64}$/.test(name)) yield name;
      }
    }
  }
}
