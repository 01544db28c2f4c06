// Port of EmailReplyTrimmer.trim (Discourse, MIT): preprocess, classify each line, reduce the
// line pattern, keep the surviving lines. On top of upstream's (trimmed, elided) pair it sorts
// what was cut into the signature and the quoted rest.

import { MAX_SIGNATURE_LINES } from './limits.js';
import { classifyLine, type LineKind } from './lineMatchers.js';
import { selectKeptLines } from './patternRules.js';
import { hoistCodeBlocks, normalizeNewlines, preprocess, restoreCodeBlocks } from './preprocess.js';
import { rubyStrip } from './regexParts.js';

export interface PlainTrim {
  /** The new text: upstream's `trim(text)`. */
  readonly trimmed: string;
  /** Everything removed, as upstream's `trim(text, true)[1]` computes it. */
  readonly elided: string;
  /** What was removed that is not signature: quote headers, quotes, forwarded messages. */
  readonly quoted: string;
  /** A "-- " block or "Sent from my …" lines, when there were any. */
  readonly signature?: string;
  /** Whether any line was removed. */
  readonly cut: boolean;
}

const EMPTY_RESULT: PlainTrim = { trimmed: '', elided: '', quoted: '', cut: false };
const SIG_DASH = /^[ \t]*--[ \t]*$/;

export function trimPlainText(input: string): PlainTrim {
  const normalized = normalizeNewlines(input);
  if (/^\s*$/u.test(normalized)) return EMPTY_RESULT;

  const hoisted = hoistCodeBlocks(preprocess(normalized));
  const lines = hoisted.text === '' ? [] : hoisted.text.split('\n');
  const kinds = lines.map(classifyLine);
  const kept = selectKeptLines(kinds);
  const restore = (text: string): string => restoreCodeBlocks(text, hoisted.blocks);

  const keptLines = kept.map((i) => lines[i] as string);
  const trimmed = restore(rubyStrip(keptLines.join('\n')));
  const elided = restore(computeElided(lines, keptLines));

  const keptSet = new Set(kept);
  const signatureLines = findSignatureLines(lines, kinds);
  const quoted: string[] = [];
  const signature: string[] = [];
  lines.forEach((line, i) => {
    if (keptSet.has(i)) return;
    const role = signatureLines.get(i);
    if (role === undefined) quoted.push(line);
    else if (role === 'line') signature.push(line);
  });
  const signatureText = restore(rubyStrip(signature.join('\n')));
  return {
    trimmed,
    elided,
    quoted: restore(rubyStrip(quoted.join('\n'))),
    ...(signatureText !== '' ? { signature: signatureText } : {}),
    cut: kept.length < lines.length,
  };
}

/**
 * Mobile-signature lines, and the block after an RFC 3676 "-- " delimiter up to the first line
 * that starts a quote or another message. Other delimiters ("____", "-----") introduce quoted
 * or forwarded mail far more often than signatures, so what follows them counts as quoted.
 */
function findSignatureLines(lines: readonly string[], kinds: readonly LineKind[]): Map<number, 'line' | 'separator'> {
  const found = new Map<number, 'line' | 'separator'>();
  kinds.forEach((kind, i) => {
    if (kind === 's') found.set(i, 'line');
  });
  const delimiter = kinds.indexOf('d');
  if (delimiter !== -1 && SIG_DASH.test(lines[delimiter] as string)) {
    found.set(delimiter, 'separator');
    for (let i = delimiter + 1; i < lines.length && i <= delimiter + MAX_SIGNATURE_LINES; i++) {
      const kind = kinds[i] as LineKind;
      if (kind === 'b' || kind === 'h' || kind === 'q' || kind === 'd') break;
      found.set(i, 'line');
    }
  }
  return found;
}

/** Upstream's compute_elided: a greedy walk that skips the kept lines where they line up. */
function computeElided(all: readonly string[], kept: readonly string[]): string {
  const elided: string[] = [];
  let t = 0;
  let l = 0;
  while (t < all.length) {
    while (l < kept.length && t < all.length && all[t] === kept[l]) {
      t++;
      l++;
    }
    elided.push(all[t] ?? '');
    t++;
  }
  return rubyStrip(elided.join('\n'));
}
