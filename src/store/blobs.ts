import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Raw messages and attachments live in MAILTRAIL_DATA/blobs, named by their SHA-256.
 * Content addressing makes writes idempotent (a message fetched twice is stored once) and
 * crash-safe (write to a temp file, fsync by close, then rename into place).
 * Processes sharing one PostgreSQL database must share this folder too.
 */
export class BlobStore {
  readonly root: string;

  constructor(dataDir: string) {
    this.root = join(dataDir, 'blobs');
    mkdirSync(join(this.root, 'tmp'), { recursive: true });
  }

  pathOf(key: string): string {
    if (!/^[0-9a-f]{64}$/.test(key)) throw new Error(`invalid blob key ${key}`);
    return join(this.root, key.slice(0, 2), key.slice(2, 4), key);
  }

  /** Stores a buffer or stream; returns its key (sha256 hex) and size. */
  async put(content: Buffer | Readable): Promise<{ key: string; size: number }> {
    const hash = createHash('sha256');
    let size = 0;
    const tmp = join(this.root, 'tmp', `${Date.now()}-${randomBytes(6).toString('hex')}`);
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        size += chunk.length;
        cb(null, chunk);
      },
    });
    const source = Buffer.isBuffer(content) ? Readable.from([content]) : content;
    try {
      await pipeline(source, meter, createWriteStream(tmp, { flags: 'wx' }));
      const key = hash.digest('hex');
      const final = this.pathOf(key);
      mkdirSync(join(final, '..'), { recursive: true });
      if (existsSync(final)) await rm(tmp, { force: true });
      else await rename(tmp, final);
      return { key, size };
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async get(key: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of createReadStream(this.pathOf(key))) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  stream(key: string): Readable {
    return createReadStream(this.pathOf(key));
  }

  async size(key: string): Promise<number> {
    return (await stat(this.pathOf(key))).size;
  }

  async has(key: string): Promise<boolean> {
    return existsSync(this.pathOf(key));
  }
}
