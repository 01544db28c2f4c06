import { createHash } from 'node:crypto';

/**
 * Outlook's Thread-Index: 22 bytes for the conversation root (6 bytes of FILETIME, 16 bytes of
 * GUID) plus 5 bytes per reply level. Outlook groups its conversation view by it; other clients
 * ignore it. We derive it deterministically from the root email so every message of one thread
 * agrees, and add one 5-byte block per level below the root.
 */
const FILETIME_EPOCH_OFFSET_MS = 11_644_473_600_000n;

export function threadIndex(rootMessageId: string, rootDate: Date, path: string[]): string {
  const filetime = (BigInt(rootDate.getTime()) + FILETIME_EPOCH_OFFSET_MS) * 10_000n;
  const head = Buffer.alloc(6);
  // The top 48 bits of the 64-bit FILETIME.
  head.writeUIntBE(Number(filetime >> 16n), 0, 6);
  const guid = createHash('md5').update(rootMessageId).digest();
  const children = path.map((id) => createHash('md5').update(id).digest().subarray(0, 5));
  return Buffer.concat([head, guid, ...children]).toString('base64');
}
