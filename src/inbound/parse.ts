import { defaultMimeLimits } from '../mail/mime/limits.js';
import { UnparseableMessageError, type ParsedMessage } from '../mail/mime/parsedMessage.js';
import type { AppContext } from '../core/context.js';
import type { Decision } from './decision.js';
import type { InboundRow } from './inbound.table.js';
import { parseStoredMessage } from './rawMessage.js';

/**
 * The parse stage: a stored message read as an email (rawMessage.ts reads huge ones sparsely).
 * A message too large to read or not readable as mail is refused here, kept for inspection.
 */

/** Raw messages above this are not parsed: the MIME reader's own bound, the same as the fetch limit. */
export const MAX_PARSE_BYTES = defaultMimeLimits.maxMessageBytes;

export type Parsed = { kind: 'parsed'; msg: ParsedMessage } | Extract<Decision, { kind: 'rejected' }>;

export async function parseStage(ctx: AppContext, row: InboundRow): Promise<Parsed> {
  if (row.size > MAX_PARSE_BYTES) return { kind: 'rejected', reason: 'too_large', detail: `${row.size} bytes` };
  try {
    return { kind: 'parsed', msg: await parseStoredMessage(ctx.blobs, row.raw_blob, row.size) };
  } catch (err) {
    if (err instanceof UnparseableMessageError) return { kind: 'rejected', reason: 'malformed', detail: err.message };
    throw err;
  }
}
