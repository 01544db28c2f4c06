import type { Readable } from 'node:stream';
import type { Executor } from './db.js';

/**
 * Raw messages and attachments, named by their SHA-256. Content addressing makes writes
 * idempotent (a message fetched twice is stored once) and crash-safe (a blob is whole or absent).
 *
 * Two backends: the local folder MAILTRAIL_DATA/blobs (blobs.folder.ts, the default on SQLite)
 * and the database itself, in chunks (blobs.database.ts, the default on PostgreSQL), with which
 * several hosts share nothing but the database. Both stream both ways: a 70 MB attachment is
 * never whole in memory unless a caller asks for it with `get`.
 */
export type BlobBackend = 'folder' | 'database';

export interface BlobRef {
  key: string;
  size: number;
}

/** Random access to one blob, the subset of a FileHandle the MIME reader uses. */
export interface BlobReader {
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  close(): Promise<void>;
}

export interface PutOptions {
  /**
   * The transaction the caller holds, if any. A store that shares the caller's connection
   * (the database store on SQLite) must write through it, or it would wait for that connection.
   */
  tx?: Executor;
}

export interface BlobStore {
  readonly backend: BlobBackend;
  /** Stores a buffer or stream; returns its key (sha256 hex) and size. */
  put(content: Buffer | Readable, opts?: PutOptions): Promise<BlobRef>;
  /** The blob's bytes, in a buffer the caller owns (it may overwrite it). */
  get(key: string): Promise<Buffer>;
  /** The blob as a stream; `range` is [start, end) in bytes. */
  stream(key: string, range?: { start: number; end: number }): Readable;
  open(key: string): Promise<BlobReader>;
  size(key: string): Promise<number>;
  has(key: string): Promise<boolean>;
  /** Every stored key (for `blobs migrate` and backups); order unspecified. */
  keys(): AsyncIterable<string>;
}

export function checkKey(key: string): string {
  if (!/^[0-9a-f]{64}$/.test(key)) throw new Error(`invalid blob key ${key}`);
  return key;
}

const RECENT_ITEM_BYTES = 1024 * 1024;
const RECENT_BYTES = 4 * 1024 * 1024;
const RECENT_ITEMS = 16;

/**
 * Small blobs just written as buffers, for the `get` that usually follows (the poller stores
 * a reply, then the pipeline parses it; the sender reads the message it just queued). Blobs
 * never change, so an entry is never stale. A few megabytes at most, oldest out first.
 */
export class RecentBlobs {
  private readonly items = new Map<string, Buffer>();
  private bytes = 0;

  remember(key: string, content: Buffer): void {
    if (content.length > RECENT_ITEM_BYTES || this.items.has(key)) return;
    // A copy: the caller may go on to change its buffer.
    this.items.set(key, Buffer.from(content));
    this.bytes += content.length;
    for (const [oldest, buf] of this.items) {
      if (this.bytes <= RECENT_BYTES && this.items.size <= RECENT_ITEMS) break;
      this.items.delete(oldest);
      this.bytes -= buf.length;
    }
  }

  /** A copy the caller owns, or undefined. */
  get(key: string): Buffer | undefined {
    const hit = this.items.get(key);
    return hit ? Buffer.from(hit) : undefined;
  }
}
