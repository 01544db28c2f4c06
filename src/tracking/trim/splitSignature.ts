import { MAX_SIGNATURE_LINES } from './limits.js';
import { isEmptyLine, isSignatureLine } from './lineMatchers.js';
import { normalizeNewlines } from './preprocess.js';

export interface SignatureSplit {
  readonly body: string;
  readonly signature?: string;
}

const SIG_DASH = /^--[ \t]*$/;

/**
 * Splits a signature off the end of a text that has no quote left: the block after the last
 * RFC 3676 "-- " line (when it is near the end, so that a "--" in the middle of a message is
 * not taken for one), or else trailing "Sent from my iPhone"-style lines.
 */
export function splitSignature(text: string): SignatureSplit {
  const lines = normalizeNewlines(text).split('\n');
  let end = lines.length;
  while (end > 0 && isEmptyLine(lines[end - 1] as string)) end--;
  for (let i = end - 1; i >= 0 && i >= end - 1 - MAX_SIGNATURE_LINES; i--) {
    if (!SIG_DASH.test(lines[i] as string)) continue;
    const signature = lines
      .slice(i + 1, end)
      .join('\n')
      .trim();
    if (signature === '') break;
    return { body: lines.slice(0, i).join('\n').trimEnd(), signature };
  }
  let start = end;
  const partOfSignature = (line: string): boolean => isSignatureLine(line) || (start < end && isEmptyLine(line));
  while (start > 0 && partOfSignature(lines[start - 1] as string)) start--;
  while (start < end && isEmptyLine(lines[start] as string)) start++;
  if (start === end) return { body: text };
  return { body: lines.slice(0, start).join('\n').trimEnd(), signature: lines.slice(start, end).join('\n').trim() };
}
