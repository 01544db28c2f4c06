import type { ParsedMessage } from '../mail/mime/parsedMessage.js';
import { REPLY_MARKER } from '../outbound/index.js';
import { COOKIE_LENGTH, COOKIE_PREFIX, stripCookies } from '../tracking/cookie.js';
import { isEmbeddedLine, trimReply, type ReplySegment } from '../tracking/trim/index.js';

// Our footer line ("Mailtrail ref: mt1…", see bodyLine in tracking/cookie.ts), quoted or not.
const footerLine = new RegExp(`^[ \\t>]*Mailtrail ref:[ \\t]*${COOKIE_PREFIX}[0-9a-z]{${COOKIE_LENGTH - COOKIE_PREFIX.length}}[ \\t]*(?:\\r?\\n|$)`, 'gim');

/**
 * A reply that interleaves text with quotes keeps the quoted lines the person answered, and
 * so can keep our footer line; it is noise to readers, as is a cookie anywhere else.
 */
function withoutOurFooter(text: string): string {
  return stripCookies(text.replace(footerLine, '')).trim();
}

export interface ReplyParts {
  /** The new part of the reply: quotes, our marker and below, and signatures trimmed. */
  replyText: string;
  /** What was trimmed away (quote header and quoted original). */
  quotedText: string;
  /** A bottom-posted or interleaved reply in order: the person's lines and the quotes answered. */
  segments?: ReplySegment[];
}

/**
 * Splits a reply into what the person wrote and what they quoted. Our outbound mail carries
 * REPLY_MARKER at the top, so everything from it down is the quote whatever the client did;
 * otherwise the trimmer's client-specific rules decide. The text part is preferred (GitLab's
 * reply_parser does the same); HTML is used when the text is missing.
 */
export function replyParts(msg: ParsedMessage): ReplyParts {
  const noteAfter = noteAfterForwardedOriginal(msg.text ?? '');
  if (noteAfter) return noteAfter;
  const trimmed = trimReply({ text: msg.text ?? '', html: msg.html ?? '', marker: REPLY_MARKER });
  const segments = trimmed.segments
    ?.map((s) => ({ kind: s.kind, text: withoutOurFooter(s.text) }))
    .filter((s) => s.text.replace(/^[\s>]*$/gm, '').trim() !== '');
  return {
    replyText: withoutOurFooter(trimmed.replyText),
    quotedText: trimmed.quoted,
    ...(segments && segments.some((s) => s.kind === 'quote') ? { segments } : {}),
  };
}

// Our footer line, unquoted, where a forward inlines our original without quoting it.
const unquotedFooter = new RegExp(`^[ \\t]*Mailtrail ref:[ \\t]*${COOKIE_PREFIX}[0-9a-z]{${COOKIE_LENGTH - COOKIE_PREFIX.length}}[ \\t]*$`, 'im');

/**
 * s-nail's `forward` puts the original first (a separator, its whole header, its body) and the
 * note the person typed after it. Our footer line ends that original; when nothing of the person
 * stands before it, the text after it is the note.
 */
function noteAfterForwardedOriginal(text: string): ReplyParts | undefined {
  const m = unquotedFooter.exec(text.replace(/\r\n?/g, '\n'));
  if (!m) return undefined;
  const normalized = text.replace(/\r\n?/g, '\n');
  const before = normalized.slice(0, m.index);
  const after = normalized.slice(m.index + m[0].length);
  if (after.trim() === '') return undefined;
  // Only when the message opens with the forwarded original: its separator line first.
  const first = before.split('\n').find((l) => l.trim() !== '') ?? '';
  if (!isEmbeddedLine(first)) return undefined;
  const note = trimReply({ text: after, marker: REPLY_MARKER });
  const replyText = withoutOurFooter(note.replyText);
  if (replyText === '') return undefined;
  return { replyText, quotedText: [before.trim(), m[0].trim(), note.quoted].filter((q) => q !== '').join('\n') };
}
