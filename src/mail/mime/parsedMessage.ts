import { AppError } from '../../errors.js';

export interface Address {
  name?: string;
  address: string;
}

export interface Attachment {
  /** Decoded file name; parts without one get `part-<path>.<ext>` so every attachment can be saved. */
  filename: string;
  /** Lower-case `type/subtype`, without parameters. */
  contentType: string;
  /** Bytes of `content`. */
  size: number;
  /**
   * Transfer-decoded bytes (base64/quoted-printable undone; charset untouched). With
   * ParseOptions.inPlace, a view into the raw message buffer.
   */
  content: Buffer;
  /** Content-ID without angle brackets, what `cid:` links in the HTML refer to. */
  contentId?: string;
  /** Meant to be shown in the body (Content-Disposition inline, or an image an HTML part refers to). */
  inline: boolean;
  /**
   * Only from a sparse copy (ParseOptions.elided): the content was left in the raw message, so
   * `content` is empty and `size` 0. Decode the segments in order, as one base64 stream: pieces
   * of the parsed buffer and byte ranges of the raw message. Broken base64 shows only then, and
   * is named with `where` ("part 2").
   */
  deferred?: { encoding: 'base64'; segments: EncodedSegment[]; where: string };
}

/** A piece of encoded content: bytes in hand, or [start, end) of the raw message. */
export type EncodedSegment = Buffer | { start: number; end: number };

/**
 * What Mailtrail needs from one raw message. Message ids (`messageId`, `inReplyTo`,
 * `references`) are bare `local@domain`, without angle brackets, case kept as sent.
 */
export interface ParsedMessage {
  messageId?: string;
  inReplyTo: string[];
  /** Oldest first, as in the header; duplicates removed. */
  references: string[];
  /** Decoded; `''` when the message has none. */
  subject: string;
  from?: Address;
  replyTo: Address[];
  to: Address[];
  cc: Address[];
  date?: Date;
  /** Top-level header fields: lower-case names, unfolded and decoded values, every occurrence in order. */
  headers: Map<string, string[]>;
  /** The text/plain body parts joined; derived from the HTML when the message has only HTML. */
  text?: string;
  /** The text/html body parts joined, unsanitised: sanitise before showing it. */
  html?: string;
  /**
   * Every non-body part, including machine-readable reports (`message/delivery-status`,
   * `text/rfc822-headers`, `message/rfc822`) that bounce classification reads.
   */
  attachments: Attachment[];
  /**
   * What was wrong with the message and what the reader did about it, one line each, each
   * starting with a stable code (`unknown_charset: …`). Empty for a clean message.
   */
  problems: string[];
}

/** Raised only for input that is not an email at all (empty, or no header field anywhere). */
export class UnparseableMessageError extends AppError {
  constructor(message: string) {
    super('bad_request', 'unparseable_message', message);
    this.name = 'UnparseableMessageError';
  }
}
