import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MultilineEncoder } from './multilineEncoder.js';

function encode(chunks: readonly string[], bodyLines?: number): string {
  const encoder = new MultilineEncoder(bodyLines === undefined ? {} : { bodyLines });
  const out: Buffer[] = [];
  for (const chunk of chunks) {
    out.push(...encoder.encode(Buffer.from(chunk, 'latin1')));
    if (encoder.done) break;
  }
  out.push(...encoder.end());
  return Buffer.concat(out).toString('latin1');
}

/** What a client does with the response body: drop one leading dot per line. */
function unstuff(wire: string): string {
  return wire
    .split('\r\n')
    .map((line) => (line.startsWith('.') ? line.slice(1) : line))
    .join('\r\n');
}

describe('MultilineEncoder', () => {
  test('stuffs a dot at the start of a line, including a line that is only a dot', () => {
    const message = 'Subject: x\r\n\r\n.hidden\r\n.\r\nmid.dle\r\n..two\r\n';
    assert.equal(encode([message]), 'Subject: x\r\n\r\n..hidden\r\n..\r\nmid.dle\r\n...two\r\n');
  });

  test('stuffs a dot that starts a chunk right after a line break in the previous chunk', () => {
    assert.equal(encode(['a\r\n', '.b\r\n']), 'a\r\n..b\r\n');
    assert.equal(encode(['a\r', '\n.', 'b\r\n']), 'a\r\n..b\r\n');
  });

  test('turns bare LF into CRLF and leaves CRLF alone, even when CR and LF are in different chunks', () => {
    assert.equal(encode(['a\nb\r', '\nc\n']), 'a\r\nb\r\nc\r\n');
  });

  test('terminates a last line that has no line break', () => {
    assert.equal(encode(['a\r\nlast']), 'a\r\nlast\r\n');
    assert.equal(encode(['a\r\nlast\r']), 'a\r\nlast\r\n');
    assert.equal(encode(['']), '');
  });

  test('TOP: header, blank line, then the requested number of body lines', () => {
    const message = 'A: 1\r\nB: 2\r\n\r\none\r\n.two\r\nthree\r\n';
    assert.equal(encode([message], 0), 'A: 1\r\nB: 2\r\n\r\n');
    assert.equal(encode([message], 2), 'A: 1\r\nB: 2\r\n\r\none\r\n..two\r\n');
    assert.equal(encode([message], 99), 'A: 1\r\nB: 2\r\n\r\none\r\n..two\r\nthree\r\n');
    assert.equal(encode(['A: 1\r\nB: 2'], 0), 'A: 1\r\nB: 2\r\n', 'a message without a body');
  });

  test('TOP reports done so the caller can stop reading the file', () => {
    const encoder = new MultilineEncoder({ bodyLines: 1 });
    encoder.encode(Buffer.from('A: 1\r\n\r\nfirst\r\n'));
    assert.equal(encoder.done, true);
    assert.deepEqual(encoder.encode(Buffer.from('second\r\n')), []);
  });

  test('any split of the input gives the same bytes, and unstuffing gives the CRLF message back', () => {
    const line = fc.stringMatching(/^[.a-z \r]{0,12}$/).map((l) => l.replace(/\r/g, ''));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), fc.array(fc.nat(60), { maxLength: 6 }), fc.boolean(), (lines, cuts, lf) => {
        const message = lines.map((l) => l + (lf ? '\n' : '\r\n')).join('');
        const points = [...new Set(cuts.map((c) => c % (message.length + 1)))].sort((a, b) => a - b);
        const chunks: string[] = [];
        let from = 0;
        for (const p of points) {
          chunks.push(message.slice(from, p));
          from = p;
        }
        chunks.push(message.slice(from));
        const whole = encode([message]);
        assert.equal(encode(chunks), whole);
        assert.equal(unstuff(whole), lines.map((l) => l + '\r\n').join(''));
        assert.ok(!whole.split('\r\n').includes('.'), 'no lone dot inside the body');
      }),
    );
  });
});
