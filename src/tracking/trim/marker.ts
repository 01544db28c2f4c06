// Layer 1: our own "##- Please type your reply above this line -##" line. When a reply still
// carries it, everything from it on is quoted, whatever the client did to the quote.

import { isQuoted } from './attribution.js';
import { MARKER_HEADER_LOOKBACK_LINES } from './limits.js';
import { isEmbeddedLine } from './lineMatchers.js';
import { joinWrappedHeaders } from './preprocess.js';
import { escapeRegExp } from './regexParts.js';

/**
 * The marker as a pattern that survives re-wrapping and non-breaking spaces, or null for a
 * marker with no visible characters.
 */
export function markerPattern(marker: string | undefined): RegExp | null {
  const words = (marker ?? '').split(/[\s\u00a0]+/u).filter((w) => w !== '');
  if (words.length === 0) return null;
  return new RegExp(words.map(escapeRegExp).join('[\\s\\u00a0]+'), 'u');
}

export interface MarkerCut {
  readonly before: string;
  readonly after: string;
}

/** Cuts at the unquoted line holding the marker, together with the quote header that introduces it. */
export function cutTextAtMarker(text: string, pattern: RegExp): MarkerCut | null {
  const lines = text.split('\n');
  // A quoted marker line is part of the quote the person answered below or between (mutt,
  // alpine, Thunderbird bottom-posting): it is no cut, and the quote structure decides.
  const at = lines.findIndex((line) => pattern.test(line) && !isQuoted(line));
  if (at === -1) return null;
  const start = attributionStart(lines, at);
  return { before: lines.slice(0, start).join('\n'), after: lines.slice(start).join('\n') };
}

/**
 * Where the "On … wrote:" header (or "-----Original Message-----") right before `end` begins,
 * skipping the blank and bare ">" lines between; `end` when there is none. Clients wrap long
 * headers; the last few lines count as one header only when upstream's joiners, which start
 * at a header's opening words, join them into one line — never a reply line with a header.
 */
export function attributionStart(lines: readonly string[], end: number): number {
  let last = end - 1;
  while (last >= 0 && isBlankOrBareQuote(lines[last] as string)) last--;
  if (last < 0) return end;
  for (let span = MARKER_HEADER_LOOKBACK_LINES; span >= 1; span--) {
    const first = last - span + 1;
    if (first < 0) continue;
    const segment = lines.slice(first, last + 1);
    if (segment.some(isBlankOrBareQuote)) continue;
    const joined = span === 1 ? (segment[0] as string) : joinWrappedHeaders(segment.join('\n'));
    if (!joined.includes('\n') && isEmbeddedLine(joined)) return first;
  }
  return end;
}

function isBlankOrBareQuote(line: string): boolean {
  return /^[\s>]*$/u.test(line);
}
