// The heart of email_reply_trimmer: a string with one letter per line (see LineKind) is cut down
// by a fixed sequence of rules, and the lines follow. Upstream runs regexes such as
// /te*b[eqbh]*([te]*)$/ over that string; several backtrack quadratically or worse on long runs
// of one letter (a body of 50,000 blank lines), so each rule is written out here as the scan that
// finds the same leftmost match. patternRules.test.ts checks them against the regexes.

import type { LineKind } from './lineMatchers.js';

/** The indices (into the classified lines) that survive, in order. */
export function selectKeptLines(kinds: readonly LineKind[]): number[] {
  let p: LineKind[] = kinds.slice();
  let idx: number[] = kinds.map((_k, i) => i);
  const keep = (from: number, to: number): void => {
    p = p.slice(from, to);
    idx = idx.slice(from, to);
  };
  const drop = (kind: LineKind): void => {
    const nextP: LineKind[] = [];
    const nextIdx: number[] = [];
    p.forEach((k, i) => {
      if (k !== kind) {
        nextP.push(k);
        nextIdx.push(idx[i] as number);
      }
    });
    p = nextP;
    idx = nextIdx;
  };

  // Everything after the first delimiter goes.
  const delimiter = p.indexOf('d');
  if (delimiter !== -1) keep(0, delimiter);

  // Mobile signatures go wherever they are.
  drop('s');

  // /^b[^t]+t[et]*$/: a quote header and quote first, the reply at the end (bottom-posting).
  // Upstream then empties the pattern, which turns every later rule into a no-op.
  const replyAtEnd = replyAtEndStart(p);
  if (replyAtEnd !== -1) return idx.slice(replyAtEnd);

  // /te*b[^q]*$/: an embedded message header not followed by a quote: cut from it.
  const unquoted = embeddedWithoutQuote(p);
  if (unquoted !== -1) keep(0, unquoted + 1);

  // /te*b[eqbh]*([te]*)$/ with fewer than 7 text lines after the quote: cut from the header.
  const quoted = embeddedWithQuote(p);
  if (quoted !== -1) keep(0, quoted + 1);

  // /t?e*[qbe]+$/: a quote ending the message goes.
  const trailing = trailingQuoteStart(p);
  if (trailing !== -1) keep(0, trailing + 1);

  drop('b');

  // /h+[hte]+h+e/: a header block whose values wrap over several lines is one header block.
  const spread = spreadHeaderBlock(p);
  if (spread !== null) p.fill('h', spread.start, spread.end);

  // /t[eq]*h{3,}/: three header lines in a row after some text start a forwarded message.
  const headers = headerBlockAfterText(p);
  if (headers !== -1) keep(0, headers + 1);

  drop('h');

  // /[eq]+$/ when there is text: trailing quotes and blank lines go.
  if (p.includes('t')) {
    let start = p.length;
    while (start > 0 && (p[start - 1] === 'e' || p[start - 1] === 'q')) start--;
    if (start < p.length) keep(0, start);
  }
  return idx;
}

/** /^b[^t]+t[et]*$/ → the index of /t[et]*$/, i.e. of the first t; -1 when it does not match. */
export function replyAtEndStart(p: readonly LineKind[]): number {
  if (p[0] !== 'b') return -1;
  const firstText = p.indexOf('t');
  if (firstText < 2) return -1;
  for (let i = firstText + 1; i < p.length; i++) if (p[i] !== 'e' && p[i] !== 't') return -1;
  return firstText;
}

/** nextNonE[i]: the first index ≥ i whose letter is not 'e' (p.length when none). */
function nextNonE(p: readonly LineKind[]): number[] {
  const next = new Array<number>(p.length + 1).fill(p.length);
  for (let i = p.length - 1; i >= 0; i--) next[i] = p[i] === 'e' ? (next[i + 1] as number) : i;
  return next;
}

/** /te*b[^q]*$/ → the start of its leftmost match, or -1. */
export function embeddedWithoutQuote(p: readonly LineKind[]): number {
  const next = nextNonE(p);
  const lastQuote = p.lastIndexOf('q');
  for (let i = 0; i < p.length; i++) {
    if (p[i] !== 't') continue;
    const b = next[i + 1] as number;
    if (p[b] === 'b' && lastQuote < b) return i;
  }
  return -1;
}

/**
 * /te*b[eqbh]*([te]*)$/ → the start of its leftmost match, or -1 when there is none or when its
 * capture holds 7 or more text lines (then the text after the quote is a reply of its own).
 * The letters left at this point are b, e, h, q, t, so [eqbh]* runs up to the next t; from
 * there on, only t and e may follow.
 */
export function embeddedWithQuote(p: readonly LineKind[]): number {
  const next = nextNonE(p);
  // onlyTextAfter[i]: every letter from i on is t or e.
  const onlyTextAfter = new Array<boolean>(p.length + 1).fill(true);
  for (let i = p.length - 1; i >= 0; i--) {
    onlyTextAfter[i] = (p[i] === 't' || p[i] === 'e') && (onlyTextAfter[i + 1] as boolean);
  }
  // nextText[i]: the first t at or after i.
  const nextText = new Array<number>(p.length + 1).fill(p.length);
  for (let i = p.length - 1; i >= 0; i--) nextText[i] = p[i] === 't' ? i : (nextText[i + 1] as number);
  for (let i = 0; i < p.length; i++) {
    if (p[i] !== 't') continue;
    const b = next[i + 1] as number;
    if (p[b] !== 'b') continue;
    const tail = nextText[b + 1] as number;
    if (!onlyTextAfter[tail]) continue;
    let textLines = 0;
    for (let k = tail; k < p.length; k++) if (p[k] === 't') textLines++;
    return textLines < 7 ? i : -1;
  }
  return -1;
}

/** /t?e*[qbe]+$/ → the start of its leftmost match, or -1. */
export function trailingQuoteStart(p: readonly LineKind[]): number {
  let start = p.length;
  while (start > 0 && (p[start - 1] === 'q' || p[start - 1] === 'b' || p[start - 1] === 'e')) start--;
  if (start === p.length) return -1;
  return start > 0 && p[start - 1] === 't' ? start - 1 : start;
}

/**
 * /h+[hte]+h+e/ → the span of its leftmost match (end exclusive), or null. The letters left
 * are e, h, q, t. From an h-run [i, a) and the first q at or after i (R), the greedy leading
 * h+ and [hte]+ settle on the last "he" in [a+2, R); failing that, on the e right after the run
 * when the run has at least 3 h's. A start inside a run never does better than the run's start.
 */
export function spreadHeaderBlock(p: readonly LineKind[]): { start: number; end: number } | null {
  const n = p.length;
  const nextQuote = new Array<number>(n + 1).fill(n);
  for (let i = n - 1; i >= 0; i--) nextQuote[i] = p[i] === 'q' ? i : (nextQuote[i + 1] as number);
  // lastHe[x]: the largest q ≤ x with p[q] = e and p[q-1] = h, or -1.
  const lastHe = new Array<number>(n).fill(-1);
  for (let x = 0; x < n; x++) {
    const here = x > 0 && p[x] === 'e' && p[x - 1] === 'h' ? x : -1;
    lastHe[x] = here !== -1 ? here : x > 0 ? (lastHe[x - 1] as number) : -1;
  }
  for (let i = 0; i < n; i++) {
    if (p[i] !== 'h' || (i > 0 && p[i - 1] === 'h')) continue;
    let a = i;
    while (a < n && p[a] === 'h') a++;
    const limit = nextQuote[i] as number;
    const he = limit > 0 ? (lastHe[limit - 1] as number) : -1;
    if (he >= a + 2) return { start: i, end: he + 1 };
    if (p[a] === 'e' && a - i >= 3) return { start: i, end: a + 1 };
  }
  return null;
}

/** /t[eq]*h{3,}/ → the start of its leftmost match, or -1. */
export function headerBlockAfterText(p: readonly LineKind[]): number {
  const n = p.length;
  const nextOther = new Array<number>(n + 1).fill(n);
  for (let i = n - 1; i >= 0; i--) nextOther[i] = p[i] === 'e' || p[i] === 'q' ? (nextOther[i + 1] as number) : i;
  for (let i = 0; i < n; i++) {
    if (p[i] !== 't') continue;
    const k = nextOther[i + 1] as number;
    if (p[k] === 'h' && p[k + 1] === 'h' && p[k + 2] === 'h') return i;
  }
  return -1;
}
