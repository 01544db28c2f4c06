// Attribution lines: the line a client writes above the text it quotes. Upstream's matchers
// (lineMatchers.ts, isEmbeddedLine) know the "On … wrote:" family; many clients write others:
// Gnus "Name <addr> writes:", mutt's "* Name <addr> [date]:", Horde "Quoting Name <addr>:",
// Gmail in Finnish, Turkish, Czech, Chinese, Hungarian… These are recognised by what they
// have in common — a short line ending in a colon, with an address or a "wrote" verb — but
// only where a quote follows, so that a sentence ending in a colon stays text.

import { MARKER_HEADER_LOOKBACK_LINES, MAX_CLASSIFIED_LINE_CHARS } from './limits.js';
import { isEmbeddedLine } from './lineMatchers.js';
import { joinWrappedHeaders } from './preprocess.js';

/** How long an attribution line may be; longer ones are prose. */
const MAX_ATTRIBUTION_CHARS = 300;

const ENDS_WITH_COLON = /[:：][\s\u00a0]*$/u;
const ADDRESS = /[^\s@<>()[\]"]+@[^\s@<>()[\]"]+\.[^\s@<>()[\]":]{2,}/u;
// "wrote" in the languages mail clients are localised to, as words of the attribution.
const VERBS = new RegExp(
  `(?:^|[\\s,(])(?:${[
    'wrote',
    'writes',
    'write',
    'said',
    'says',
    'quoting',
    'schrieb',
    'schreibt',
    'geschrieben',
    'a écrit',
    'écrit',
    'escribió',
    'escreveu',
    'ha scritto',
    'scrive',
    'schreef',
    'skrev',
    'skriver',
    'kirjoitti',
    'napisał',
    'napisała',
    'napisal',
    'napsal',
    'napsala',
    'napísal',
    'написал',
    'написала',
    'написал\\(а\\)',
    'пише',
    'yazdı',
    'írta',
    'a scris',
    'έγραψε',
    'כתב',
    'كتب',
    'skrifaði',
    'rakstīja',
    'rašė',
    'kirjutas',
    'je napisal',
  ].join('|')})(?=$|[\\s:：(,])`,
  'iu',
);
const CJK_WROTE = /(?:写道|寫道|のメッセージ|님이 작성)[\s\u00a0]*[:：]?[\s\u00a0]*$/u;

/** Whether one line, on its own, reads as an attribution (the caller checks a quote follows). */
export function isAttributionText(raw: string): boolean {
  const line = raw.replace(/[\s\u00a0]+/gu, ' ').trim();
  if (line === '' || line.length > MAX_CLASSIFIED_LINE_CHARS) return false;
  if (isEmbeddedLine(line)) return true;
  if (line.length > MAX_ATTRIBUTION_CHARS) return false;
  if (CJK_WROTE.test(line)) return true;
  if (!ENDS_WITH_COLON.test(line)) return false;
  return ADDRESS.test(line) || VERBS.test(line);
}

function isBlankOrBareQuote(line: string): boolean {
  return /^[\s\u00a0>]*$/u.test(line);
}

/**
 * Where the attribution right before line `end` (the first line of a quote) begins, skipping
 * blank lines between; `end` when there is none. A header wrapped over a few lines counts when
 * upstream's joiners make one line of it, or when its last line is only the closing words
 * ("wrote:", "<addr> writes:") of a line that does not end a sentence.
 */
export function attributionBefore(lines: readonly string[], end: number): number {
  let last = end - 1;
  while (last >= 0 && isBlankOrBareQuote(lines[last] as string)) last--;
  if (last < 0) return end;
  const lastLine = lines[last] as string;
  if (isQuoted(lastLine)) return end;
  for (let span = MARKER_HEADER_LOOKBACK_LINES; span >= 2; span--) {
    const first = last - span + 1;
    if (first < 0) continue;
    const segment = lines.slice(first, last + 1);
    if (segment.some((l) => isBlankOrBareQuote(l) || isQuoted(l))) continue;
    const joined = joinWrappedHeaders(segment.join('\n'));
    if (!joined.includes('\n') && isEmbeddedLine(joined)) return first;
  }
  if (isAttributionText(lastLine)) return last;
  const prev = last > 0 ? (lines[last - 1] as string) : '';
  if (
    last > 0 &&
    lastLine.trim().length < 60 &&
    !isBlankOrBareQuote(prev) &&
    !isQuoted(prev) &&
    !/[.!?]["')]?[\s\u00a0]*$/u.test(prev) &&
    isAttributionText(`${prev.trim()} ${lastLine.trim()}`) &&
    !isAttributionText(prev)
  ) {
    return last - 1;
  }
  return end;
}

/** A quoted line: "> …", also after supercite initials ("Bob> …"). */
export function isQuoted(line: string): boolean {
  return /^[ \t\u00a0]*(?:\p{L}{1,10})?>/u.test(line);
}
