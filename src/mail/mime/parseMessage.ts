import libmime from 'libmime';
import { parseAddressHeader, type EmailAddress } from 'mailparser';
import { decodeCharset } from './charset.js';
import { decodeEncodedWords } from './encodedWords.js';
import { allRaw, firstRaw, readHeaderBlock, type HeaderField } from './headers.js';
import { htmlToText } from './htmlToText.js';
import { defaultMimeLimits, type MimeLimits } from './limits.js';
import { splitMessageIds } from './messageIds.js';
import type { Elision } from './elision.js';
import { type Address, type Attachment, type EncodedSegment, type ParsedMessage, UnparseableMessageError } from './parsedMessage.js';
import { Problems } from './problems.js';
import { decodeBase64, decodeQuotedPrintable } from './transferEncoding.js';

export interface ParseOptions {
  /** Tighter or looser bounds than `defaultMimeLimits` (tests, or a trusted import). */
  limits?: Partial<MimeLimits>;
  /**
   * `raw` is the parser's to overwrite: line ends and transfer encodings are undone in its own
   * memory, and attachment contents are views into it (no copy). For a caller that read the
   * message just to parse it; a message of 70 MB is then held once instead of three times.
   */
  inPlace?: boolean;
  /**
   * `raw` is a sparse copy of the message (mime/elision.ts): base64 attachments whose body
   * holds marker lines come back `deferred`, as pieces of `raw` and ranges of the real message.
   */
  elided?: Elision;
}

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const HT = 0x09;
const DASH = 0x2d;
const EMPTY = Buffer.alloc(0);

/**
 * Parses one raw RFC 5322 message. Never throws for a damaged message: what cannot be read is
 * skipped or guessed and named in `problems`. Throws UnparseableMessageError only when the input
 * is not a message at all (empty, or not a single header field at the top).
 */
export async function parseMessage(raw: Buffer, options: ParseOptions = {}): Promise<ParsedMessage> {
  return parseMessageSync(raw, options);
}

/** The synchronous core of parseMessage, for callers that already hold the whole message. */
export function parseMessageSync(raw: Buffer, options: ParseOptions = {}): ParsedMessage {
  const limits: MimeLimits = { ...defaultMimeLimits, ...options.limits };
  const problems = new Problems(limits.maxProblems);

  let input = raw;
  if (input.length > limits.maxMessageBytes) {
    problems.add('message_too_large', `message is ${input.length} bytes; only the first ${limits.maxMessageBytes} were read`);
    input = input.subarray(0, limits.maxMessageBytes);
  }
  const inPlace = options.inPlace ?? false;
  const buf = toLf(input, inPlace);
  let start = 0;
  while (start < buf.length && (buf[start] === LF || buf[start] === SP || buf[start] === HT)) start++;
  if (start >= buf.length) throw new UnparseableMessageError('The message is empty.');

  const root = readHeaderBlock(buf, start, buf.length, 'message', { limits, problems, root: true });
  if (root.fields.length === 0) throw new UnparseableMessageError('The message has no header fields.');

  const ctx: WalkContext = { buf, limits, problems, parts: 0, stopped: false, attachments: [], inPlace, ...(options.elided ? { elided: options.elided } : {}) };
  let bodies: Bodies = { plain: [], html: [] };
  try {
    bodies = walkContent(ctx, root.fields, root.bodyStart, buf.length, '', 0, 'text/plain');
  } catch (error) {
    // A reader bug must not cost the headers: they alone thread the reply
    problems.add('body_unreadable', error instanceof Error ? error.message : String(error));
  }

  const html = bodies.html.length > 0 ? bodies.html.join('\n') : undefined;
  const text = bodies.plain.length > 0 ? bodies.plain.join('\n') : html !== undefined ? htmlToText(html) : undefined;
  const top = topLevelFields(root.fields, problems);
  const message: ParsedMessage = { ...top, attachments: ctx.attachments, problems: problems.list() };
  if (text !== undefined) message.text = text;
  if (html !== undefined) message.html = html;
  return message;
}

/**
 * CRLF and lone CR (classic Mac files) become LF, so every later step handles one line end.
 * Only `Content-Transfer-Encoding: binary` content could hold a meaningful CR; mail practically
 * never uses it, and base64 and quoted-printable content is unaffected. In place, the output
 * never passes the byte being read.
 */
function toLf(raw: Buffer, inPlace: boolean): Buffer {
  if (raw.indexOf(CR) < 0) return raw;
  const out = inPlace ? raw : Buffer.allocUnsafe(raw.length);
  let j = 0;
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i] ?? 0;
    if (b === CR) {
      out[j++] = LF;
      if (raw[i + 1] === LF) i++;
    } else {
      out[j++] = b;
    }
  }
  return out.subarray(0, j);
}

function topLevelFields(fields: HeaderField[], problems: Problems): Omit<ParsedMessage, 'attachments' | 'problems'> {
  const headers = new Map<string, string[]>();
  for (const field of fields) {
    const value = decodeEncodedWords(field.raw, `field ${field.displayName}`, problems);
    const list = headers.get(field.name);
    if (list) list.push(value);
    else headers.set(field.name, [value]);
  }
  const out: Omit<ParsedMessage, 'attachments' | 'problems'> = {
    inReplyTo: splitMessageIds(allRaw(fields, 'in-reply-to').join(' ')),
    references: splitMessageIds(allRaw(fields, 'references').join(' ')),
    subject: headers.get('subject')?.[0] ?? '',
    replyTo: parseAddressList(allRaw(fields, 'reply-to')),
    to: parseAddressList(allRaw(fields, 'to')),
    cc: parseAddressList(allRaw(fields, 'cc')),
    headers,
  };
  const messageId = splitMessageIds(firstRaw(fields, 'message-id') ?? '')[0];
  if (messageId !== undefined) out.messageId = messageId;
  const from = parseAddressList(allRaw(fields, 'from').slice(0, 1))[0];
  if (from !== undefined) out.from = from;
  const dateRaw = firstRaw(fields, 'date');
  if (dateRaw !== undefined) {
    const date = parseDate(dateRaw);
    if (date === undefined) problems.add('bad_date', `Date field "${dateRaw.slice(0, 100)}" is not a date`);
    else out.date = date;
  }
  return out;
}

// Zone names JavaScript's Date does not know but mailers in the corpus write (RFC 5322 4.3
// only defines the North American ones)
const zoneOffsets: Record<string, string> = {
  JST: '+0900',
  KST: '+0900',
  CET: '+0100',
  CEST: '+0200',
  BST: '+0100',
  MET: '+0100',
  MEST: '+0200',
  EET: '+0200',
  EEST: '+0300',
  WET: '+0000',
  WEST: '+0100',
  IST: '+0530',
  HKT: '+0800',
  SGT: '+0800',
  AEST: '+1000',
  AEDT: '+1100',
};

function parseDate(raw: string): Date | undefined {
  const direct = new Date(raw);
  if (!Number.isNaN(direct.getTime())) return direct;
  const zoned = raw.replace(/\b([A-Z]{3,4})\s*$/, (whole, zone: string) => zoneOffsets[zone] ?? whole);
  const retried = new Date(zoned);
  return Number.isNaN(retried.getTime()) ? undefined : retried;
}

/** Parses address fields (groups flattened, empty entries such as `<>` dropped). */
export function parseAddressList(values: string[]): Address[] {
  if (values.length === 0) return [];
  const out: Address[] = [];
  const visit = (entries: EmailAddress[]): void => {
    for (const entry of entries) {
      if (entry.group) visit(entry.group);
      const address = entry.address?.trim();
      if (!address) continue;
      const name = entry.name.trim();
      out.push(name ? { name, address } : { address });
    }
  };
  visit(parseAddressHeader(values, { decodePunycode: false }).value);
  return out;
}

interface WalkContext {
  buf: Buffer;
  limits: MimeLimits;
  problems: Problems;
  /** Entities below the root seen so far. */
  parts: number;
  /** Set once maxParts is reached: everything after is skipped. */
  stopped: boolean;
  attachments: Attachment[];
  /** ParseOptions.inPlace: `buf` may be overwritten. */
  inPlace: boolean;
  elided?: Elision;
}

/** Body text found below one entity, kept apart so multipart/alternative can choose. */
interface Bodies {
  plain: string[];
  html: string[];
}

interface ContentInfo {
  type: string;
  params: Record<string, string>;
  /** Params libmime already decoded from RFC 2231 segments. */
  decoded: string[];
}

const mimeType = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/;

function parseStructured(raw: string | undefined): { value: string; params: Record<string, string>; decoded: string[] } {
  if (raw === undefined) return { value: '', params: {}, decoded: [] };
  const parsed = libmime.parseHeaderValue(raw);
  return { value: parsed.value.trim().toLowerCase(), params: parsed.params, decoded: parsed.decodedParams ?? [] };
}

function contentInfo(fields: HeaderField[], defaultType: string): ContentInfo {
  const parsed = parseStructured(firstRaw(fields, 'content-type'));
  return { type: mimeType.test(parsed.value) ? parsed.value : defaultType, params: parsed.params, decoded: parsed.decoded };
}

function where(path: string): string {
  return path ? `part ${path}` : 'message body';
}

function walkContent(ctx: WalkContext, fields: HeaderField[], start: number, end: number, path: string, depth: number, defaultType: string): Bodies {
  const info = contentInfo(fields, defaultType);
  if (!info.type.startsWith('multipart/')) return leaf(ctx, fields, info, start, end, path);
  const boundary = info.params['boundary'];
  if (!boundary) {
    ctx.problems.add('missing_boundary', `${where(path)} is ${info.type} without a boundary; read as text`);
    return leaf(ctx, fields, { type: 'text/plain', params: {}, decoded: [] }, start, end, path);
  }
  if (depth >= ctx.limits.maxDepth) {
    ctx.problems.add('too_deep', `${where(path)} nests deeper than ${ctx.limits.maxDepth} levels; its content is skipped`);
    return { plain: [], html: [] };
  }
  return walkMultipart(ctx, info, boundary, start, end, path, depth);
}

function walkMultipart(ctx: WalkContext, info: ContentInfo, declaredBoundary: string, start: number, end: number, path: string, depth: number): Bodies {
  let boundary = declaredBoundary;
  const maxParts = ctx.limits.maxParts - ctx.parts + 1;
  let split = splitMultipart(ctx.buf, start, end, boundary, maxParts);
  if (!split.found) {
    const guess = guessBoundary(ctx.buf, start, end);
    const retry = guess === undefined ? undefined : splitMultipart(ctx.buf, start, end, guess, maxParts);
    if (guess === undefined || !retry?.found) {
      ctx.problems.add('no_parts', `${where(path)} has no "--${boundary}" line; read as text`);
      return leaf(ctx, [], { type: 'text/plain', params: {}, decoded: [] }, start, end, path);
    }
    ctx.problems.add('no_parts', `${where(path)} has no "--${boundary}" line; split at "--${guess}" found in the body`);
    boundary = guess;
    split = retry;
  }
  if (!split.closed) ctx.problems.add('unterminated_multipart', `${where(path)} has no closing "--${boundary}--" line`);

  // RFC 2046 5.1.5: parts of a digest default to message/rfc822
  const childDefault = info.type === 'multipart/digest' ? 'message/rfc822' : 'text/plain';
  const results: Bodies[] = [];
  for (const [index, [partStart, partEnd]] of split.parts.entries()) {
    if (ctx.stopped) break;
    if (ctx.parts >= ctx.limits.maxParts) {
      ctx.stopped = true;
      ctx.problems.add('too_many_parts', `the message has more than ${ctx.limits.maxParts} parts; the rest are skipped`);
      break;
    }
    ctx.parts++;
    const childPath = path ? `${path}.${index + 1}` : `${index + 1}`;
    const block = readHeaderBlock(ctx.buf, partStart, partEnd, `part ${childPath}`, {
      limits: ctx.limits,
      problems: ctx.problems,
      root: false,
    });
    results.push(walkContent(ctx, block.fields, block.bodyStart, partEnd, childPath, depth + 1, childDefault));
  }

  if (info.type === 'multipart/alternative') {
    // Alternatives say the same thing: keep the last (richest) of each kind, not all of them
    const lastPlain = results.findLast((r) => r.plain.length > 0);
    const lastHtml = results.findLast((r) => r.html.length > 0);
    return { plain: lastPlain?.plain ?? [], html: lastHtml?.html ?? [] };
  }
  return { plain: results.flatMap((r) => r.plain), html: results.flatMap((r) => r.html) };
}

/**
 * The boundary a multipart body really uses when the declared one never appears (relays and
 * anonymisers rewrite one and not the other): the first `--token` line whose token recurs
 * as a delimiter. Separator rules made only of dashes or `=` are not boundaries.
 */
function guessBoundary(buf: Buffer, start: number, end: number): string | undefined {
  const head = buf.subarray(start, Math.min(end, start + 64 * 1024)).toString('latin1');
  for (const match of head.matchAll(/^--(\S{1,70}?)(?:--)?[ \t]*$/gm)) {
    const token = match[1] ?? '';
    if (/^[-=_*#]*$/.test(token)) continue;
    const split = splitMultipart(buf, start, end, token, 3);
    if (split.parts.length >= 1) return token;
  }
  return undefined;
}

interface Split {
  /** [start, end) of each part, the line break before each delimiter excluded. */
  parts: Array<[number, number]>;
  found: boolean;
  closed: boolean;
}

/**
 * Finds the delimiter lines of one multipart body, at most `maxParts` parts (reported as closed,
 * the rest is never looked at). A delimiter is `--boundary` at the start of
 * a line, followed by `--` (the close), whitespace or the line end; anything else that merely
 * starts with it (a nested boundary that extends this one) is content.
 */
function splitMultipart(buf: Buffer, start: number, end: number, boundary: string, maxParts = Infinity): Split {
  const delimiter = Buffer.from(`--${boundary}`, 'utf8');
  const parts: Array<[number, number]> = [];
  let partStart = -1;
  let found = false;
  let pos = start;
  while (pos < end) {
    const at = buf.indexOf(delimiter, pos);
    if (at < 0 || at + delimiter.length > end) break;
    let k = at + delimiter.length;
    const closing = buf[k] === DASH && buf[k + 1] === DASH;
    if (closing) k += 2;
    const atLineStart = at === start || buf[at - 1] === LF;
    const endsWell = k >= end || buf[k] === LF || buf[k] === SP || buf[k] === HT;
    if (!atLineStart || !endsWell) {
      pos = at + 1;
      continue;
    }
    if (partStart >= 0) parts.push([partStart, Math.max(partStart, at > start ? at - 1 : at)]);
    found = true;
    // The caller stops at maxParts anyway; collecting millions of offsets first would be the DoS
    if (parts.length >= maxParts) return { parts, found, closed: true };
    if (closing) return { parts, found, closed: true };
    const eol = buf.indexOf(LF, k);
    partStart = eol < 0 || eol >= end ? end : eol + 1;
    pos = partStart;
  }
  if (partStart >= 0) parts.push([partStart, end]);
  return { parts, found, closed: false };
}

const reportTypes = new Set([
  'message/delivery-status',
  'message/global-delivery-status',
  'message/feedback-report',
  'message/disposition-notification',
  'text/rfc822-headers',
  'message/global-headers',
]);

function fallbackName(path: string, type: string): string {
  const extension = reportTypes.has(type) ? 'txt' : libmime.detectExtension(type);
  return `part-${path || '1'}.${extension}`;
}

/**
 * A forwarded message (message/rfc822, message/global) without a file name is named after what
 * a person sees of it: its Content-Description, else its own Subject, as "<name>.eml".
 */
function forwardedMessageName(ctx: WalkContext, fields: HeaderField[], type: string, bytes: Buffer, path: string): string | undefined {
  if (type !== 'message/rfc822' && type !== 'message/global') return undefined;
  const description = firstRaw(fields, 'content-description');
  let name = description === undefined ? '' : decodeEncodedWords(description, where(path), ctx.problems);
  if (name.trim() === '') {
    const inner = readHeaderBlock(bytes, 0, Math.min(bytes.length, 64 * 1024), `${where(path)} (forwarded)`, {
      limits: ctx.limits,
      problems: new Problems(0),
      root: false,
    });
    const subject = firstRaw(inner.fields, 'subject');
    name = subject === undefined ? '' : decodeEncodedWords(subject, where(path), ctx.problems);
  }
  // What a file system and a Content-Disposition header can carry.
  const safe = name
    .replace(/[\u0000-\u001f\u007f/\\:*?"<>|]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 100)
    .trim();
  if (safe === '') return undefined;
  return /\.eml$/i.test(safe) ? safe : `${safe}.eml`;
}

function transferEncoding(fields: HeaderField[]): string {
  return (parseStructured(firstRaw(fields, 'content-transfer-encoding')).value || '7bit').replace(/^["']|["']$/g, '');
}

function transferDecode(ctx: WalkContext, fields: HeaderField[], body: Buffer, path: string): Buffer {
  const encoding = transferEncoding(fields);
  if (encoding === 'base64') {
    // In place is safe during the walk: each part's bytes are read once, after every boundary
    // around them was found, and no later step looks at them again.
    const decoded = decodeBase64(body, { inPlace: ctx.inPlace });
    if (decoded.issue) ctx.problems.add('broken_base64', `${where(path)}: ${decoded.issue}`);
    return decoded.bytes;
  }
  if (encoding === 'quoted-printable') {
    const decoded = decodeQuotedPrintable(body, { inPlace: ctx.inPlace });
    if (decoded.issue) ctx.problems.add('broken_quoted_printable', `${where(path)}: ${decoded.issue}`);
    return decoded.bytes;
  }
  if (encoding !== '7bit' && encoding !== '8bit' && encoding !== 'binary') {
    ctx.problems.add('unknown_transfer_encoding', `${where(path)} uses "${encoding}"; kept undecoded`);
  }
  return body;
}

function decodedParam(params: Record<string, string>, decoded: string[], name: string, path: string, problems: Problems): string | undefined {
  const value = params[name]?.trim();
  if (!value) return undefined;
  return decoded.includes(name) ? value : decodeEncodedWords(value, `${where(path)} ${name}`, problems);
}

function contentIdOf(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const id = splitMessageIds(raw)[0] ?? raw.replace(/[<>\s]/g, '');
  return id || undefined;
}

/** Types whose content other modules read (bounce classification): never deferred. */
const readByOthers = (type: string) => reportTypes.has(type) || type.startsWith('message/');

/**
 * The encoded body of a base64 part as the pieces of `buf` between marker lines and the raw
 * message's ranges the markers stand for (ParseOptions.elided); undefined without a marker.
 */
function deferredSegments(ctx: WalkContext, fields: HeaderField[], body: Buffer): EncodedSegment[] | undefined {
  const elided = ctx.elided;
  if (!elided || body.indexOf(elided.marker) < 0) return undefined;
  if (transferEncoding(fields) !== 'base64') return undefined;
  const segments: EncodedSegment[] = [];
  let from = 0;
  for (let at = body.indexOf(elided.marker); at >= 0; at = body.indexOf(elided.marker, from)) {
    const digitsStart = at + elided.marker.length;
    const eol = body.indexOf(LF, digitsStart);
    const range = elided.ranges[Number(body.subarray(digitsStart, eol < 0 ? body.length : eol).toString('latin1'))];
    // Markers are ours alone (random per message), so this is never false; if it were, the
    // marker stays unconsumed and the caller reads the message whole.
    if (!range) return undefined;
    if (at > from) segments.push(body.subarray(from, at));
    segments.push({ start: range.start, end: range.end });
    from = eol < 0 ? body.length : eol + 1;
  }
  if (from < body.length) segments.push(body.subarray(from));
  return segments;
}

function leaf(ctx: WalkContext, fields: HeaderField[], info: ContentInfo, start: number, end: number, path: string): Bodies {
  const disposition = parseStructured(firstRaw(fields, 'content-disposition'));
  const isBodyText = (info.type === 'text/plain' || info.type === 'text/html') && disposition.value !== 'attachment';
  const deferred = isBodyText || readByOthers(info.type) ? undefined : deferredSegments(ctx, fields, ctx.buf.subarray(start, end));
  const bytes = deferred ? EMPTY : transferDecode(ctx, fields, ctx.buf.subarray(start, end), path);

  if (isBodyText) {
    let text = decodeCharset(bytes, info.params['charset'], where(path), ctx.problems);
    if (info.type === 'text/html') return { plain: [], html: [text] };
    if (info.params['format']?.toLowerCase() === 'flowed') {
      text = libmime.decodeFlowed(text, info.params['delsp']?.toLowerCase() === 'yes');
    }
    return { plain: [text], html: [] };
  }

  const filename =
    decodedParam(disposition.params, disposition.decoded, 'filename', path, ctx.problems) ??
    decodedParam(info.params, info.decoded, 'name', path, ctx.problems) ??
    forwardedMessageName(ctx, fields, info.type, bytes, path) ??
    fallbackName(path, info.type);
  const contentId = contentIdOf(firstRaw(fields, 'content-id'));
  const attachment: Attachment = {
    filename,
    contentType: info.type,
    size: bytes.length,
    // A view into `buf` is copied unless the caller gave the buffer away (inPlace): a small
    // attachment must not keep a whole message alive.
    content: ctx.inPlace || bytes.buffer !== ctx.buf.buffer ? bytes : Buffer.from(bytes),
    inline: disposition.value === 'inline' || (disposition.value === '' && contentId !== undefined),
  };
  if (contentId !== undefined) attachment.contentId = contentId;
  if (deferred) attachment.deferred = { encoding: 'base64', segments: deferred, where: where(path) };
  ctx.attachments.push(attachment);
  return { plain: [], html: [] };
}
