import { Readable } from 'node:stream';
import { Base64RunScanner, markerLine, newElision, type Elision } from '../mail/mime/elision.js';
import { parseMessage, parseMessageSync } from '../mail/mime/parseMessage.js';
import type { Attachment, ParsedMessage } from '../mail/mime/parsedMessage.js';
import { Base64Decoder } from '../mail/mime/transferEncoding.js';
import type { BlobReader, BlobStore } from '../store/blobs.js';

/**
 * Reading a stored raw message for the pipeline. Ordinary mail is read whole and parsed in place
 * (one copy in memory). A huge message (a 50 MB attachment is 70 MB on the wire) is parsed from
 * a sparse copy without its long base64 runs (mail/mime/elision.ts); the attachments those runs
 * belong to are decoded later, as a stream from the stored blob (folder or database) into theirs. So the import
 * holds a few megabytes, not the message, whatever its size.
 */

export interface RawReadOptions {
  /** Messages from this size on are read sparsely. */
  sparseFromBytes?: number;
  /** Base64 runs from this length on are left in the file. */
  runBytes?: number;
}

const SPARSE_FROM_BYTES = 16 * 1024 * 1024;
const RUN_BYTES = 1024 * 1024;
/** Read size of the scans: one buffer, reused, so reading 100 MB leaves no garbage behind. */
const CHUNK_BYTES = 1024 * 1024;

async function withFile<T>(blobs: BlobStore, key: string, fn: (file: BlobReader) => Promise<T>): Promise<T> {
  const file = await blobs.open(key);
  try {
    return await fn(file);
  } finally {
    await file.close();
  }
}

/**
 * Consecutive pieces of [start, end) of the file, in one reused buffer: each piece is valid until
 * the next is asked for, so reading 100 MB leaves no garbage behind.
 */
async function* pieces(file: BlobReader, start: number, end: number): AsyncGenerator<Buffer> {
  const buf = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, Math.max(1, end - start)));
  for (let at = start; at < end;) {
    const { bytesRead } = await file.read(buf, 0, Math.min(buf.length, end - at), at);
    if (bytesRead === 0) throw new Error(`the stored message ends at byte ${at}, before ${end}`);
    at += bytesRead;
    yield buf.subarray(0, bytesRead);
  }
}

/** The sparse copy of a stored message, or undefined when it has no long base64 run. */
async function readSparse(blobs: BlobStore, key: string, size: number, runBytes: number): Promise<{ buf: Buffer; elision: Elision } | undefined> {
  return withFile(blobs, key, async (file) => {
    const scanner = new Base64RunScanner(runBytes);
    for await (const piece of pieces(file, 0, size)) scanner.push(piece);
    const ranges = scanner.end();
    if (ranges.length === 0) return undefined;
    const elision = newElision(ranges);
    const markers = ranges.map((_, i) => markerLine(elision, i));
    const length = size - ranges.reduce((n, r) => n + (r.end - r.start), 0) + markers.reduce((n, m) => n + m.length, 0);
    const buf = Buffer.allocUnsafe(length);
    let out = 0;
    let from = 0;
    for (const [i, range] of ranges.entries()) {
      out += (await file.read(buf, out, range.start - from, from)).bytesRead;
      out += markers[i]!.copy(buf, out);
      from = range.end;
    }
    out += (await file.read(buf, out, size - from, from)).bytesRead;
    if (out !== length) throw new Error(`the stored message changed while it was read (${out} of ${length} bytes)`);
    return { buf, elision };
  });
}

function deferredRanges(msg: ParsedMessage): number {
  return msg.attachments.reduce((n, a) => n + (a.deferred?.segments.filter((s) => !Buffer.isBuffer(s)).length ?? 0), 0);
}

/**
 * Parses the stored message `key` of `size` bytes. Its attachments may come back `deferred`;
 * `attachmentContent` gives their bytes.
 */
export async function parseStoredMessage(blobs: BlobStore, key: string, size: number, opts: RawReadOptions = {}): Promise<ParsedMessage> {
  if (size >= (opts.sparseFromBytes ?? SPARSE_FROM_BYTES)) {
    try {
      const sparse = await readSparse(blobs, key, size, opts.runBytes ?? RUN_BYTES);
      if (sparse) {
        const msg = parseMessageSync(sparse.buf, { inPlace: true, elided: sparse.elision });
        // Every run must belong to a base64 attachment. One inside a text body, a message/rfc822
        // part or a part skipped by a limit would be missing from what the parser read: then the
        // message is read whole, as any other.
        if (deferredRanges(msg) === sparse.elision.ranges.length) return msg;
      }
    } catch {
      // Whatever went wrong, reading the message whole gives the answer (or the error) to keep.
    }
  }
  // Read once and given to the parser to decode in place: nothing else needs the raw bytes.
  return parseMessage(await blobs.get(key), { inPlace: true });
}

async function* decodeDeferred(blobs: BlobStore, rawKey: string, deferred: NonNullable<Attachment['deferred']>, problems: string[]): AsyncGenerator<Buffer> {
  const decoder = new Base64Decoder();
  const file = await blobs.open(rawKey);
  try {
    for (const segment of deferred.segments) {
      if (Buffer.isBuffer(segment)) {
        yield decoder.push(segment);
        continue;
      }
      // push() decodes into a buffer of its own: the blob store may still be writing one piece
      // when the next is read into the reused input buffer.
      for await (const piece of pieces(file, segment.start, segment.end)) yield decoder.push(piece);
    }
  } finally {
    await file.close();
  }
  const issue = decoder.end();
  if (issue) problems.push(`broken_base64: ${deferred.where}: ${issue}`);
}

/**
 * The bytes of an attachment of `msg`, parsed from the stored message `rawKey`: its content, or
 * for a deferred one a stream decoded from the stored file (its base64 problems are added to
 * `msg.problems` once the stream has ended).
 */
export function attachmentContent(blobs: BlobStore, rawKey: string, msg: ParsedMessage, attachment: Attachment): Buffer | Readable {
  if (!attachment.deferred) return attachment.content;
  return Readable.from(decodeDeferred(blobs, rawKey, attachment.deferred, msg.problems), { objectMode: false });
}
