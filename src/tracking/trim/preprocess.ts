// Upstream's preprocess! and hoist_code_blocks: clean-ups applied to the whole body before it is
// classified line by line. Each step is upstream's gsub; the ones whose regex could backtrack
// badly on hostile input are done by index arithmetic or under a budget from limits.ts.

import { randomBytes } from 'node:crypto';
import { MAX_CLASSIFIED_LINE_CHARS, MAX_DATE_WROTE_JOIN_ATTEMPTS, MAX_ENCLOSED_QUOTE_OPENINGS, MAX_JOINED_HEADER_BREAKS } from './limits.js';
import {
  DATE_SOMEONE_EMAIL,
  DATE_SOMEONE_WROTE,
  type DateWroteMarker,
  fourDigitStarts,
  matchSomeoneWroteOnDate,
  ON_DATE_SOMEONE_WROTE,
  SOMEONE_WROTE_ON_DATE,
} from './lineMatchers.js';
import { BLANK as BL, rubyStrip, SPACE } from './regexParts.js';

/** CRLF and lone CR (old Mac mail) both end a line; Ruby only knew "\n". */
export function normalizeNewlines(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}

export function preprocess(input: string): string {
  let text = input;
  text = removePgpArmor(text);
  text = removeTrailingUnsubscribe(text);
  text = removeAliasQuoteMarkers(text);
  text = rewriteEnclosedQuotes(text);
  text = unifyQuotePrefixes(text);
  text = joinWrappedHeaders(text);
  return rubyStrip(text);
}

// --- PGP ---------------------------------------------------------------------------------------

const PGP_SIGNED = /^-----BEGIN PGP SIGNED MESSAGE-----\n(?:Hash: \w+)?[ \t\n\v\f\r]+/i;
const PGP_BEGIN = '-----BEGIN PGP SIGNATURE-----';
const PGP_END = '-----END PGP SIGNATURE-----';

function removePgpArmor(text: string): string {
  let out = text.replace(PGP_SIGNED, '');
  // /^BEGIN$[\s\S]+^END/ is greedy: from the first BEGIN line to the last END line after it.
  let begin = -1;
  for (let i = out.indexOf(PGP_BEGIN); i !== -1; i = out.indexOf(PGP_BEGIN, i + 1)) {
    const atLineStart = i === 0 || out[i - 1] === '\n';
    const atLineEnd = i + PGP_BEGIN.length === out.length || out[i + PGP_BEGIN.length] === '\n';
    if (atLineStart && atLineEnd) {
      begin = i;
      break;
    }
  }
  if (begin !== -1) {
    const endLine = out.lastIndexOf(`\n${PGP_END}`);
    if (endLine + 1 > begin + PGP_BEGIN.length) {
      out = out.slice(0, begin) + out.slice(endLine + 1 + PGP_END.length);
    }
  }
  return out;
}

// --- mailing-list footers ------------------------------------------------------------------------

const UNSUBSCRIBE = /(?<![^\n])Unsubscribe: [^\n]+@[^\n]+(?:\n[^\n]+http:[^\n]+)?[ \t\n\v\f\r]*$/i;

/** Upstream /^Unsubscribe: .+@.+(\n.+http:.+)?\s*\z/i, tried only on the last two lines. */
function removeTrailingUnsubscribe(text: string): string {
  let end = text.length;
  while (end > 0 && /[ \t\n\v\f\r]/.test(text[end - 1] as string)) end--;
  const lastLine = text.lastIndexOf('\n', end - 1) + 1;
  const from = lastLine > 0 ? text.lastIndexOf('\n', lastLine - 2) + 1 : lastLine;
  const tail = text.slice(from);
  if (tail.length > 2 * MAX_CLASSIFIED_LINE_CHARS || !/^unsubscribe: /im.test(tail)) return text;
  return text.slice(0, from) + tail.replace(UNSUBSCRIBE, '');
}

// --- quote styles ------------------------------------------------------------------------------

const ALIAS_MARKER = /^[^\n]*>{5} "[^"\n]+" == [^\n]+ writes:/u;

/** `>>>>> "Name" == Name <x@y> writes:` (Emacs Gnus) — the marker itself is dropped. */
function removeAliasQuoteMarkers(text: string): string {
  if (!text.includes('>>>>> "')) return text;
  return text
    .split('\n')
    .map((line) => (line.length <= MAX_CLASSIFIED_LINE_CHARS && line.includes('>>>>> "') ? line.replace(ALIAS_MARKER, '') : line))
    .join('\n');
}

const ENCLOSED_NAMED = /(?<![^\n])>>> ?([^\n]+) ?>>>(?![^\n])\n([\s\S]+?)\n(?<![^\n])<<< ?\1 ?<<<(?![^\n])/gu;
const ENCLOSED_NAMED_OPENING = /(?<![^\n])>>> ?[^\n]+ ?>>>(?![^\n])/gu;
const ENCLOSED_PLAIN = new RegExp(`(?<![^\\n])>{4,}[${BL}]*(?![^\\n])\\n([\\s\\S]+?)\\n(?<![^\\n])<{4,}[${BL}]*(?![^\\n])`, 'gu');
const ENCLOSED_PLAIN_CLOSING = new RegExp(`(?<![^\\n])<{4,}[${BL}]*(?![^\\n])`, 'gu');

/** Rewrites `>>> name >>>` … `<<< name <<<` and `>>>>` … `<<<<` blocks as "> " quotes. */
function rewriteEnclosedQuotes(text: string): string {
  let out = text;
  // The back-reference lets a scan fail even with closings ahead, so openings are budgeted.
  const openings = out.includes('\n<<<') ? countUpTo(ENCLOSED_NAMED_OPENING, out, MAX_ENCLOSED_QUOTE_OPENINGS + 1) : 0;
  if (openings > 0 && openings <= MAX_ENCLOSED_QUOTE_OPENINGS) {
    out = out.replace(ENCLOSED_NAMED, (_m, _name: string, body: string) => prefixLines(body));
  }
  // Any closing ends a plain block, so once the text stops at the last closing every scan
  // succeeds and consumes what it scanned: linear.
  if (out.includes('\n<<<<')) {
    let lastClosing = -1;
    ENCLOSED_PLAIN_CLOSING.lastIndex = 0;
    for (let m = ENCLOSED_PLAIN_CLOSING.exec(out); m !== null; m = ENCLOSED_PLAIN_CLOSING.exec(out)) {
      lastClosing = m.index + m[0].length;
      if (m[0].length === 0) ENCLOSED_PLAIN_CLOSING.lastIndex++;
    }
    if (lastClosing !== -1) {
      const head = out.slice(0, lastClosing).replace(ENCLOSED_PLAIN, (_m, body: string) => prefixLines(body));
      out = head + out.slice(lastClosing);
    }
  }
  return out;
}

function countUpTo(regex: RegExp, text: string, limit: number): number {
  regex.lastIndex = 0;
  let count = 0;
  while (count < limit && regex.exec(text) !== null) count++;
  regex.lastIndex = 0;
  return count;
}

/** Ruby's str.gsub(/^/, "> "): every line start, but not the empty end after a final "\n". */
function prefixLines(body: string): string {
  const lines = body.split('\n');
  return lines.map((line, i) => (i === lines.length - 1 && line === '' && i > 0 ? line : `> ${line}`)).join('\n');
}

const QUOTE_PREFIX = new RegExp(`(?<![^\\n])((?:[${BL}]*\\p{Alphabetic}*[>|])+)`, 'gu');
const QUOTE_PREFIX_PART = /\p{Alphabetic}+>|\|/gu;

/** "Richard> text" (supercite) and "| text" become "> text". */
function unifyQuotePrefixes(text: string): string {
  return text.replace(QUOTE_PREFIX, (prefix: string) => prefix.replace(QUOTE_PREFIX_PART, '>'));
}

// --- wrapped quote headers --------------------------------------------------------------------

const BREAKS_AND_SPACE = new RegExp(`\\n+${SPACE}*`, 'gu');

/** Upstream joins a header that a client wrapped, unless it would span too many lines. */
function joinMatch(match: string): string {
  let breaks = 0;
  for (let i = match.indexOf('\n'); i !== -1; i = match.indexOf('\n', i + 1)) breaks++;
  return breaks > MAX_JOINED_HEADER_BREAKS ? match : match.replace(BREAKS_AND_SPACE, ' ');
}

/** Joins quote headers that a client wrapped over several lines (upstream's last clean-up). */
export function joinWrappedHeaders(input: string): string {
  let text = input;
  for (const regex of ON_DATE_SOMEONE_WROTE) {
    regex.lastIndex = 0;
    text = text.replace(regex, joinMatch);
  }
  for (const [verb, prep] of SOMEONE_WROTE_ON_DATE) {
    if (text.includes(verb)) text = joinSomeoneWroteOnDate(text, verb, prep);
  }
  for (const marker of DATE_SOMEONE_WROTE) {
    if (text.includes(marker.wrote)) text = joinDateWrote(text, marker);
  }
  DATE_SOMEONE_EMAIL.lastIndex = 0;
  text = text.replace(DATE_SOMEONE_EMAIL, joinMatch);
  return text;
}

/** gsub with matchSomeoneWroteOnDate, which only matches at line starts. */
function joinSomeoneWroteOnDate(text: string, verb: string, prep: string): string {
  const parts: string[] = [];
  const lastColon = text.lastIndexOf(':');
  let cursor = 0;
  let lineStart = 0;
  while (lineStart <= text.length) {
    if (lineStart >= cursor) {
      const end = matchSomeoneWroteOnDate(text, lineStart, verb, prep, lastColon);
      if (end !== -1) {
        parts.push(text.slice(cursor, lineStart), joinMatch(text.slice(lineStart, end)));
        cursor = end;
        const next = text.indexOf('\n', end);
        if (next === -1) break;
        lineStart = next + 1;
        continue;
      }
    }
    const next = text.indexOf('\n', lineStart);
    if (next === -1) break;
    lineStart = next + 1;
  }
  parts.push(text.slice(cursor));
  return parts.join('');
}

/**
 * gsub with the upstream regex, tried with a sticky match only at 4-digit starts that have the
 * closing word within reach, under an attempt budget.
 */
function joinDateWrote(text: string, marker: DateWroteMarker): string {
  const reach = marker.user === '' ? 4 + 80 + 1 + 80 : 4 + 80 + marker.user.length + 80 + 1 + 80;
  const wroteAt: number[] = [];
  for (let i = text.indexOf(marker.wrote); i !== -1; i = text.indexOf(marker.wrote, i + 1)) wroteAt.push(i);
  const parts: string[] = [];
  let cursor = 0;
  let attempts = 0;
  let w = 0;
  for (const start of fourDigitStarts(text)) {
    if (start < cursor) continue;
    while (w < wroteAt.length && (wroteAt[w] as number) < start + 5) w++;
    if (w >= wroteAt.length) break;
    if ((wroteAt[w] as number) > start + reach) continue;
    if (++attempts > MAX_DATE_WROTE_JOIN_ATTEMPTS) break;
    marker.sticky.lastIndex = start;
    const m = marker.sticky.exec(text);
    if (m === null) continue;
    parts.push(text.slice(cursor, start), joinMatch(m[0]));
    cursor = start + m[0].length;
  }
  parts.push(text.slice(cursor));
  return parts.join('');
}

// --- code blocks -------------------------------------------------------------------------------

export interface HoistedCode {
  readonly text: string;
  /** token → the fenced block it replaced */
  readonly blocks: ReadonlyMap<string, string>;
}

const FENCE_OPEN = /^```\w*$/;

/**
 * Upstream /^```\w*$\n.*?^```$/m: a fenced block becomes one opaque line, so that "#" or "--"
 * lines inside code are not read as delimiters. The token is random, as upstream's, so that no
 * body can forge one.
 */
export function hoistCodeBlocks(text: string): HoistedCode {
  if (!text.includes('```')) return { text, blocks: new Map() };
  const lines = text.split('\n');
  // nextClose[i]: the first line at or after i that is exactly ```, or -1.
  const nextClose = new Array<number>(lines.length + 1).fill(-1);
  for (let i = lines.length - 1; i >= 0; i--) nextClose[i] = lines[i] === '```' ? i : (nextClose[i + 1] as number);
  const blocks = new Map<string, string>();
  const out: string[] = [];
  const nonce = randomBytes(8).toString('hex');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const close = FENCE_OPEN.test(line) ? (nextClose[i + 1] as number) : -1;
    if (close === -1) {
      out.push(line);
      continue;
    }
    const token = `${nonce}${blocks.size.toString(16).padStart(8, '0')}`;
    blocks.set(token, lines.slice(i, close + 1).join('\n'));
    out.push(token);
    i = close;
  }
  return { text: out.join('\n'), blocks };
}

export function restoreCodeBlocks(text: string, blocks: ReadonlyMap<string, string>): string {
  let out = text;
  for (const [token, block] of blocks) out = out.split(token).join(block);
  return out;
}
