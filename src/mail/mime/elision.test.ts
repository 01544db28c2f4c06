import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Base64RunScanner, type ByteRange } from './elision.js';

function scan(raw: Buffer, minBytes: number, cuts: number[] = []): ByteRange[] {
  const scanner = new Base64RunScanner(minBytes);
  const at = [...new Set(cuts.map((c) => c % (raw.length + 1)))].sort((a, b) => a - b);
  for (const [i, from] of [0, ...at].entries()) scanner.push(raw.subarray(from, [...at, raw.length][i]));
  return scanner.end();
}

test('runs of whole base64 lines, CRLF or LF, are found; headers, boundaries, blank lines and text end them', () => {
  const lines = ['Subject: x', '', '--b', 'Content-Type: application/zip', '', 'QUJD', 'REVG', 'R0g=', '--b--', 'text with spaces', 'AAAA'];
  const lf = Buffer.from(lines.join('\n') + '\n');
  const start = lf.indexOf('QUJD');
  assert.deepEqual(scan(lf, 1), [
    { start, end: lf.indexOf('--b--') },
    { start: lf.indexOf('AAAA'), end: lf.length },
  ]);
  assert.deepEqual(scan(lf, 13), [{ start, end: lf.indexOf('--b--') }], 'runs shorter than the minimum are kept');
  const crlf = Buffer.from(lines.join('\r\n') + '\r\n');
  assert.deepEqual(scan(crlf, 1)[0], { start: crlf.indexOf('QUJD'), end: crlf.indexOf('--b--') });
  assert.deepEqual(scan(Buffer.from('QUJD\rREVG\n'), 1), [], 'a lone CR is not a line end');
  assert.deepEqual(scan(Buffer.from('QUJD\nREVG'), 1), [{ start: 0, end: 5 }], 'the last line without a line end stays out');
});

test('where the chunks are cut changes nothing', () => {
  const line = fc.oneof(fc.constantFrom('QUJD', 'R0g=', '', '--b', 'a b', 'x:y', 'QQ\r'), fc.stringMatching(/^[A-Za-z0-9+/=]{1,12}$/));
  fc.assert(
    fc.property(fc.array(line, { maxLength: 30 }), fc.constantFrom('\n', '\r\n'), fc.array(fc.nat(400), { maxLength: 8 }), fc.nat(20), (ls, eol, cuts, min) => {
      const raw = Buffer.from(ls.join(eol));
      assert.deepEqual(scan(raw, min, cuts), scan(raw, min));
    }),
    { numRuns: 1000 },
  );
});
