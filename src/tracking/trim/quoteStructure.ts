// Where the person's own words are, from the shape of the quote. A reply is top-posted (the
// words above the quote), bottom-posted (below it), interleaved (between quoted blocks) or has
// no quote at all. Upstream's trimmer is built for the first: it keeps the quotes of an
// interleaved reply and, with a quoted marker, our marker layer used to cut the answer below.
// This layer reads the structure first; only when the person wrote below a quote does it
// decide, and then replyText is the person's lines in order, every quote and its attribution
// kept aside (in `segments`, for a reader who wants the question above each answer).

import { attributionBefore, isQuoted } from './attribution.js';
import { MAX_SIGNATURE_LINES } from './limits.js';
import { normalizeNewlines, preprocess } from './preprocess.js';
import { isEmailHeaderLine, isEmbeddedLine, isEmptyLine, isSignatureLine } from './lineMatchers.js';

export interface ReplySegment {
  /** `reply`: the person's own lines; `quote`: quoted lines with their attribution. */
  readonly kind: 'reply' | 'quote';
  readonly text: string;
}

export interface Structured {
  readonly shape: 'bottom' | 'interleaved';
  readonly replyText: string;
  readonly quoted: string;
  readonly signature?: string;
  readonly segments: readonly ReplySegment[];
}

type Role = 'reply' | 'quote' | 'signature' | 'blank';

const SIG_DASH = /^[ \t]*--[ \t]*$/;
const DELIMITER = /^[ \t\u00a0]*[-_=+~#*—]{3,}[ \t\u00a0]*$/u;

/**
 * The bottom-posted or interleaved reading of `text`, or null when the person wrote nothing
 * below a quote (top-posted, no quote, quote only): those are the plain-text trimmer's.
 */
export function readQuoteStructure(text: string): Structured | null {
  // Upstream's clean-ups first: wrapped quote headers joined, "Richard>" and "|" quotes as ">".
  const lines = preprocess(normalizeNewlines(text)).split('\n');
  const end = unquotedMessageStart(lines);
  const roles: Role[] = lines.slice(0, end).map((l) => (isEmptyLine(l) ? 'blank' : isQuoted(l) ? 'quote' : 'reply'));
  const firstQuote = roles.indexOf('quote');
  if (firstQuote === -1) return null;

  // Attribution lines above each quoted block belong to the quote.
  for (let i = 0; i < roles.length; i++) {
    if (roles[i] !== 'quote' || (i > 0 && roles[i - 1] === 'quote')) continue;
    const start = attributionBefore(lines, i);
    for (let k = start; k < i; k++) if (roles[k] !== 'blank') roles[k] = 'quote';
  }
  // A quote header left without its quote (the original answered inside, unquoted) is not the
  // person's words either.
  roles.forEach((role, i) => {
    if (role === 'reply' && isEmbeddedLine(lines[i] as string)) roles[i] = 'quote';
  });
  markSignatures(lines, roles);

  const hasOwnBelow = roles.some((r, i) => r === 'reply' && i > firstQuote);
  if (!hasOwnBelow) return null;
  const hasOwnAbove = roles.some((r, i) => r === 'reply' && i < firstQuote);
  const quoteBlocks = countRuns(roles, 'quote');
  // Text above one quote and a few lines below it is a top-posted reply with a sign-off under
  // the quote (upstream's rule, from Discourse's mail: fewer than 7 lines there are not reply).
  if (hasOwnAbove && quoteBlocks === 1 && roles.filter((r, i) => r === 'reply' && i > firstQuote).length < 7) {
    return null;
  }

  const segments: ReplySegment[] = [];
  const reply: string[] = [];
  const signature: string[] = [];
  let current: { kind: 'reply' | 'quote'; lines: string[] } | null = null;
  const flush = (): void => {
    if (current === null) return;
    const body = trimBlankLines(current.lines);
    if (body.length > 0) {
      const textOf = body.join('\n');
      segments.push({ kind: current.kind, text: textOf });
      if (current.kind === 'reply') reply.push(textOf);
    }
    current = null;
  };
  roles.forEach((role, i) => {
    const line = lines[i] as string;
    if (role === 'signature') {
      signature.push(line);
      return;
    }
    if (role === 'blank') {
      current?.lines.push(line);
      return;
    }
    if (current === null || current.kind !== role) {
      flush();
      current = { kind: role, lines: [] };
    }
    current.lines.push(line);
  });
  flush();
  const tail = lines.slice(end).join('\n').trim();
  if (tail !== '') segments.push({ kind: 'quote', text: tail });

  const quoted = segments.filter((s) => s.kind === 'quote').map((s) => s.text);
  const signatureText = trimBlankLines(signature.filter((l) => !SIG_DASH.test(l))).join('\n');
  return {
    shape: hasOwnAbove || quoteBlocks > 1 ? 'interleaved' : 'bottom',
    replyText: reply.join('\n\n'),
    quoted: quoted.join('\n\n'),
    ...(signatureText !== '' ? { signature: signatureText } : {}),
    segments,
  };
}

/**
 * The first line of an unquoted embedded message: a forward separator, an Outlook-style header
 * block ("From:" with more header lines), an inline RFC 822 header block (s-nail's forward),
 * or an "On … wrote:" that no quote follows. Everything from there on is the original.
 */
export function unquotedMessageStart(lines: readonly string[]): number {
  // A message that opens with the original is answered inside it (Gmail on Android quotes
  // without ">"): no cut before the person has written something.
  let written = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (isQuoted(line) || isEmptyLine(line)) continue;
    if (!written) {
      written = !isEmbeddedLine(line) && !isEmailHeaderLine(line);
      continue;
    }
    const headerAt = DELIMITER.test(line) ? nextNonBlank(lines, i + 1) : i;
    if (headerAt < lines.length && isHeaderBlock(lines, headerAt)) return i;
    if (!isEmbeddedLine(line)) continue;
    const next = nextNonBlank(lines, i + 1);
    if (next >= lines.length || !isQuoted(lines[next] as string)) return i;
  }
  return lines.length;
}

const RFC822_FIELD =
  /^(?:From|To|Cc|Date|Subject|Message-ID|Reply-To|Sender|In-Reply-To|References|Return-Path|Received|Delivered-To|MIME-Version|Content-Type|User-Agent|X-[\w-]+):[ \t]/iu;

/** A header line followed by at least two more within the next lines (folded values allowed). */
function isHeaderBlock(lines: readonly string[], at: number): boolean {
  const isField = (l: string): boolean => isEmailHeaderLine(l) || RFC822_FIELD.test(l);
  if (!isField(lines[at] as string)) return false;
  let fields = 1;
  let known = isEmailHeaderLine(lines[at] as string) ? 1 : 0;
  for (let i = at + 1; i < lines.length && i < at + 12; i++) {
    const l = lines[i] as string;
    if (isField(l)) {
      fields++;
      if (isEmailHeaderLine(l)) known++;
    } else if (!/^[ \t]/.test(l) || isEmptyLine(l)) break;
  }
  return fields >= 3 && known >= 2;
}

/**
 * The person's signature outside the quotes: a "-- " block up to the next quote, the lines
 * after another delimiter below the last quote, and mobile "Sent from my …" lines.
 */
function markSignatures(lines: readonly string[], roles: Role[]): void {
  const lastQuote = roles.lastIndexOf('quote');
  for (let i = 0; i < roles.length; i++) {
    if (roles[i] !== 'reply') continue;
    const line = lines[i] as string;
    if (isSignatureLine(line)) {
      roles[i] = 'signature';
      continue;
    }
    const dash = SIG_DASH.test(line);
    if (!dash && !(DELIMITER.test(line) && i > lastQuote)) continue;
    let k = i;
    for (; k < roles.length && k <= i + MAX_SIGNATURE_LINES && roles[k] !== 'quote'; k++) {
      if (roles[k] === 'reply') roles[k] = 'signature';
    }
    i = k - 1;
  }
}

function nextNonBlank(lines: readonly string[], from: number): number {
  let i = from;
  while (i < lines.length && isEmptyLine(lines[i] as string)) i++;
  return i;
}

function countRuns(roles: readonly Role[], kind: Role): number {
  let runs = 0;
  let inRun = false;
  for (const r of roles) {
    if (r === kind) {
      if (!inRun) runs++;
      inRun = true;
    } else if (r !== 'blank') inRun = false;
  }
  return runs;
}

function trimBlankLines(lines: readonly string[]): string[] {
  let a = 0;
  let b = lines.length;
  while (a < b && isEmptyLine(lines[a] as string)) a++;
  while (b > a && isEmptyLine(lines[b - 1] as string)) b--;
  return lines.slice(a, b).map((l) => l.replace(/[ \t\u00a0]+$/u, ''));
}
