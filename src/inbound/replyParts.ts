import type { ParsedMessage } from '../mail/mime/parsed-message.js';
import { REPLY_MARKER } from '../outbound/message.js';
import { stripCookies } from '../tracking/cookie.js';
import { trimReply } from '../tracking/trim/index.js';

export interface ReplyParts {
  /** The new part of the reply: quotes, our marker and below, and signatures trimmed. */
  replyText: string;
  /** What was trimmed away (quote header and quoted original). */
  quotedText: string;
}

/**
 * Splits a reply into what the person wrote and what they quoted. Our outbound mail carries
 * REPLY_MARKER at the top, so everything from it down is the quote whatever the client did;
 * otherwise the trimmer's client-specific rules decide. The text part is preferred (GitLab's
 * reply_parser does the same); HTML is used when the text is missing.
 */
export function replyParts(msg: ParsedMessage): ReplyParts {
  const trimmed = trimReply({ text: msg.text ?? '', html: msg.html ?? '', marker: REPLY_MARKER });
  // A cookie left in the reply (a client that quoted our footer above the marker) is noise to readers.
  return { replyText: stripCookies(trimmed.replyText).trim(), quotedText: trimmed.quoted };
}
