/**
 * Every bound the MIME reader puts on untrusted input, in one place. Inbound mail is written
 * by strangers, so each bound answers "what is the most a legitimate message needs?" with a
 * wide margin. Past a bound the reader keeps what it has read so far and records a problem:
 * a truncated reply is still worth attaching, a crash or a hang never is.
 */
export interface MimeLimits {
  /**
   * Bytes of raw message read at all. The POP3/IMAP clients refuse larger messages before they
   * get here; this is the last line for anything that reaches the parser some other way. The
   * same 100 MiB as the fetch limit (inbound/poller.ts): whatever is downloaded can be read, so
   * a 50 MB attachment (68 MB in base64) is attached rather than refused as too large.
   */
  readonly maxMessageBytes: number;
  /**
   * Bytes of one header block (the message's or one part's). Long Received chains, DKIM and
   * ARC signatures rarely pass 64 KiB; 256 KiB keeps the worst real ones and still bounds the
   * work per part.
   */
  readonly maxHeaderBytes: number;
  /**
   * MIME entities below the root. Real mail has a handful, a big newsletter a few dozen; each
   * part costs a header parse and an allocation, so an attacker's 100,000-part message must
   * stop early rather than tie up the poller.
   */
  readonly maxParts: number;
  /**
   * Nested multipart levels. Legitimate mail nests 3-5 deep (mixed > alternative > related);
   * the parser recurses once per level, so this bound also keeps the stack small.
   */
  readonly maxDepth: number;
  /**
   * Problems recorded per message. A message with 1,000 broken parts needs one line saying so,
   * not 1,000 copies of it in the database.
   */
  readonly maxProblems: number;
}

export const defaultMimeLimits: MimeLimits = Object.freeze({
  maxMessageBytes: 100 * 1024 * 1024,
  maxHeaderBytes: 256 * 1024,
  maxParts: 1000,
  maxDepth: 32,
  maxProblems: 50,
});
