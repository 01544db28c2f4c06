/**
 * Guard: no test asserts on wall-clock time. On a loaded machine (two cores, eight engineers,
 * CI) "took less than 3 s" fails for reasons the code under test has nothing to do with, so
 * tests bound work by steps, counts, sizes or the limit that fired, and timings go in bench/.
 *
 * It scans every test file under src/ and test/ for two shapes:
 *  - an assertion whose text reads a clock (Date.now(), performance.now(), process.hrtime);
 *  - a variable computed as an elapsed time (`const ms = Date.now() - t0`) used in an assertion.
 * Reading the clock to set a deadline for a wait, or to report a number with t.diagnostic, is
 * allowed: neither turns a slow machine into a red test by itself (the wait has its deadline,
 * the run has its per-test timeout).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';

const root = new URL('../..', import.meta.url).pathname;
const CLOCK = String.raw`(?:Date\.now\(\)|performance\.now\(\)|process\.hrtime(?:\.bigint)?\([^)]*\))`;
const clockRead = new RegExp(CLOCK);
const elapsedVariable = new RegExp(String.raw`(?:const|let|var)\s+(\w+)\s*=\s*(?:Number\()?${CLOCK}\)?\s*-`, 'g');
/** The start of an assertion: assert(…), assert.ok(…), t.assert.equal(…), expect(…). */
const assertionStart = /\b(?:assert(?:\.\w+)?|expect)\s*\(/g;

function testFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) testFiles(path, out);
    else if (/\.test\.tsx?$/.test(name)) out.push(path);
  }
  return out;
}

/** The text of each assertion call, up to its closing parenthesis (strings are not parsed: good enough for a guard). */
function assertions(source: string): { line: number; text: string }[] {
  const found: { line: number; text: string }[] = [];
  for (const match of source.matchAll(assertionStart)) {
    let depth = 0;
    let end = match.index + match[0].length - 1;
    for (; end < source.length; end++) {
      const c = source[end];
      if (c === '(') depth++;
      else if (c === ')' && --depth === 0) break;
    }
    found.push({ line: source.slice(0, match.index).split('\n').length, text: source.slice(match.index, end + 1) });
  }
  return found;
}

/** Every wall-clock assertion in one file's source, as "line: text". */
export function wallClockAsserts(source: string): string[] {
  const elapsed = [...source.matchAll(elapsedVariable)].map((m) => m[1] as string);
  const usesElapsed = elapsed.length > 0 ? new RegExp(String.raw`\b(?:${elapsed.join('|')})\b`) : null;
  return assertions(source)
    .filter(({ text }) => clockRead.test(text) || (usesElapsed !== null && usesElapsed.test(text)))
    .map(({ line, text }) => `${line}: ${text.replace(/\s+/g, ' ').slice(0, 120)}`);
}

test('the detector finds both shapes and lets deadlines and diagnostics through', () => {
  assert.deepEqual(wallClockAsserts('const started = Date.now();\nrun();\nassert.ok(Date.now() - started < 2000);'), [
    '3: assert.ok(Date.now() - started < 2000)',
  ]);
  assert.equal(wallClockAsserts('const t0 = performance.now();\nconst ms = performance.now() - t0;\nassert.ok(\n  ms < 50,\n  "fast");').length, 1);
  assert.equal(wallClockAsserts('const ns = Number(process.hrtime.bigint()) - start;\nexpect(ns).toBeLessThan(5);').length, 1);
  assert.equal(wallClockAsserts('t.assert.ok(process.hrtime(start)[0] < 1);').length, 1);
  assert.deepEqual(
    wallClockAsserts(
      'const deadline = Date.now() + 5000;\nwhile (Date.now() < deadline) await tick();\nconst ms = Date.now() - t0;\nt.diagnostic(`took ${ms} ms`);\nassert.equal(count, 3);',
    ),
    [],
  );
});

test('no test file asserts on wall-clock time', () => {
  const files = [...testFiles(join(root, 'src')), ...testFiles(join(root, 'test'))];
  assert.ok(files.length > 100, `found ${files.length} test files: the scan looks in the wrong place`);
  const self = new URL(import.meta.url).pathname;
  const offenders = files
    .filter((file) => file !== self)
    .flatMap((file) => wallClockAsserts(readFileSync(file, 'utf8')).map((hit) => `${relative(root, file)}:${hit}`));
  assert.deepEqual(offenders, [], 'bound steps, counts, sizes or the limit that fired instead; timings belong in bench/');
});
