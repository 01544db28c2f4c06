import { Readable } from 'node:stream';
import type { AppContext } from '../core/context.js';
import type { BlobStore } from '../store/blobs.js';
import { dbFor } from '../store/durability.js';
import { HEADER_SCAN_BYTES, recordFetched, type StoredMessage } from './inbound.repository.js';
import type { RemoteMessage } from './mailbox.js';

/**
 * The store stage: a fetched message's bytes go to a blob, then its row (state 'stored',
 * deduplicated by Message-ID + SHA-256) and server id are committed, before anything decides
 * it. A crash after this loses nothing: the next poll decides what is stored.
 */

/**
 * Messages the server lists at up to this size are collected in memory and stored as a buffer:
 * one write instead of a stream's several, the head read from memory, and the BlobStore keeps
 * the just-written bytes for the parse (store/blobs.ts). A blob written, then its head and then
 * all of it read back from disk were a tenth of an import's wall time on a busy machine.
 * Larger ones stream to disk and are read from there.
 */
const IN_MEMORY_BYTES = 1024 * 1024;

async function* replay(first: Buffer[], rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  yield* first;
  for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
}

/** Stores a fetched message; returns its blob and, when it was small, its bytes. */
async function storeRaw(ctx: AppContext, stream: Readable, listedSize: number): Promise<{ blob: { key: string; size: number }; raw?: Buffer }> {
  if (listedSize > IN_MEMORY_BYTES) return { blob: await ctx.blobs.put(stream) };
  const chunks: Buffer[] = [];
  let size = 0;
  const it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  for (let next = await it.next(); !next.done; next = await it.next()) {
    chunks.push(next.value);
    size += next.value.length;
    // The listing understated the size: the rest streams to disk as a large message would.
    if (size > IN_MEMORY_BYTES) return { blob: await ctx.blobs.put(Readable.from(replay(chunks, it))) };
  }
  const raw = Buffer.concat(chunks, size);
  return { blob: await ctx.blobs.put(raw), raw };
}

async function readHead(blobs: BlobStore, key: string): Promise<Buffer> {
  const file = await blobs.open(key);
  try {
    const buf = Buffer.allocUnsafe(HEADER_SCAN_BYTES);
    const { bytesRead } = await file.read(buf, 0, HEADER_SCAN_BYTES, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

/**
 * Stores the message `m` of `account` streaming in as `stream`. Its commit is 'deferred' (the
 * poller makes it durable before the server deletes anything, store/durability.ts).
 */
export async function storeStage(ctx: AppContext, account: string, m: RemoteMessage, stream: Readable): Promise<StoredMessage> {
  const { blob, raw } = await storeRaw(ctx, stream, m.size);
  const head = raw ? raw.subarray(0, HEADER_SCAN_BYTES) : await readHead(ctx.blobs, blob.key);
  return recordFetched(dbFor(ctx.store, 'deferred'), { account, serverUid: m.uid, blobKey: blob.key, size: blob.size, head });
}
