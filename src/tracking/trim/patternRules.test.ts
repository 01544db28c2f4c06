// The pattern rules are rewritten from upstream's regexes as linear scans; this checks, on
// random line patterns, that they keep exactly the lines upstream's regex version keeps.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { LineKind } from './lineMatchers.js';
import { selectKeptLines } from './patternRules.js';

/** EmailReplyTrimmer.trim's pattern steps, transcribed with the original regexes. */
function upstream(kinds: readonly LineKind[]): number[] {
  let pattern = kinds.join('');
  let lines = kinds.map((_k, i) => i);
  const dropAll = (letter: string): void => {
    lines = lines.filter((_l, i) => pattern[i] !== letter);
    pattern = pattern.split(letter).join('');
  };
  let m: RegExpExecArray | null;
  if ((m = /d/.exec(pattern))) {
    pattern = pattern.slice(0, m.index);
    lines = lines.slice(0, m.index);
  }
  dropAll('s');
  if (/^b[^t]+t[et]*$/.test(pattern)) {
    return lines.slice((/t[et]*$/.exec(pattern) as RegExpExecArray).index);
  }
  if ((m = /te*b[^q]*$/.exec(pattern))) {
    pattern = pattern.slice(0, m.index + 1);
    lines = lines.slice(0, m.index + 1);
  }
  if ((m = /te*b[eqbh]*([te]*)$/.exec(pattern)) && (m[1] as string).split('t').length - 1 < 7) {
    pattern = pattern.slice(0, m.index + 1);
    lines = lines.slice(0, m.index + 1);
  }
  if ((m = /t?e*[qbe]+$/.exec(pattern))) {
    pattern = pattern.slice(0, m.index + 1);
    lines = lines.slice(0, m.index + 1);
  }
  dropAll('b');
  if ((m = /h+[hte]+h+e/.exec(pattern))) {
    pattern = pattern.slice(0, m.index) + 'h'.repeat(m[0].length) + pattern.slice(m.index + m[0].length);
  }
  if ((m = /t[eq]*h{3,}/.exec(pattern))) {
    pattern = pattern.slice(0, m.index + 1);
    lines = lines.slice(0, m.index + 1);
  }
  dropAll('h');
  if (/t/.test(pattern) && (m = /[eq]+$/.exec(pattern))) lines = lines.slice(0, m.index);
  return lines;
}

const kinds = (alphabet: string) => fc.array(fc.constantFrom(...(alphabet.split('') as LineKind[])), { maxLength: 40 });

describe('selectKeptLines', () => {
  for (const alphabet of ['debhqst', 'ebhqt', 'eht', 'tebq', 'tehq']) {
    test(`keeps what upstream's regexes keep (letters ${alphabet})`, () => {
      fc.assert(
        fc.property(kinds(alphabet), (p) => {
          assert.deepEqual(selectKeptLines(p), upstream(p));
        }),
        { numRuns: 2_000 },
      );
    });
  }

  test('stays linear on long runs that make the regexes backtrack', () => {
    const runs: LineKind[][] = [
      ['t', 'b', ...Array<LineKind>(50_000).fill('e'), 't', 'q'],
      [...Array<LineKind>(30_000).fill('h'), 't'],
      Array.from({ length: 60_000 }, (_v, i): LineKind => (i % 2 === 0 ? 'h' : 't')),
    ];
    for (const p of runs) assert.ok(Array.isArray(selectKeptLines(p)));
  });
});
