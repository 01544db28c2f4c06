import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Base64Decoder, decodeBase64, decodeQuotedPrintable } from './transferEncoding.js';

/** The string-based decoder decodeBase64 replaced, kept as the oracle for its quirks. */
function referenceBase64(input: Buffer): { bytes: Buffer; issue?: string } {
  const text = input.toString('latin1').replace(/[\s]+/g, '');
  const stray = text.match(/[^A-Za-z0-9+/=]/g)?.length ?? 0;
  const clean = stray > 0 ? text.replace(/[^A-Za-z0-9+/=]/g, '') : text;
  const out: Buffer[] = [];
  let truncated = false;
  for (const block of clean.split(/(?<==)(?=[^=])/)) {
    const digits = block.replace(/=+$/, '');
    if (digits.length % 4 === 1) truncated = true;
    out.push(Buffer.from(digits, 'base64'));
  }
  const issues: string[] = [];
  if (stray > 0) issues.push(`${stray} characters outside the base64 alphabet skipped`);
  if (truncated) issues.push('the data ends in the middle of a byte');
  const bytes = Buffer.concat(out);
  return issues.length > 0 ? { bytes, issue: issues.join(', ') } : { bytes };
}

const plain = (r: { bytes: Buffer; issue?: string }) => ({ bytes: [...r.bytes], issue: r.issue });

test('base64: the one-pass decoder reads everything as the string-based one did, also in place', () => {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/==\r\n \t!*-_\u00a0\u0085';
  const noisy = fc.array(fc.constantFrom(...alphabet.split('')), { maxLength: 200 }).map((cs) => Buffer.from(cs.join(''), 'latin1'));
  const wrapped = fc.uint8Array({ maxLength: 300 }).map((b) =>
    Buffer.from(
      (
        Buffer.from(b)
          .toString('base64')
          .match(/.{1,76}/g) ?? []
      ).join('\r\n'),
    ),
  );
  const glued = fc
    .array(fc.uint8Array({ maxLength: 20 }), { maxLength: 5 })
    .map((bs) => Buffer.from(bs.map((b) => Buffer.from(b).toString('base64')).join('\n')));
  fc.assert(
    fc.property(
      fc.oneof(
        noisy,
        wrapped,
        glued,
        fc.uint8Array({ maxLength: 100 }).map((b) => Buffer.from(b)),
      ),
      (input) => {
        const expected = plain(referenceBase64(input));
        assert.deepEqual(plain(decodeBase64(input)), expected);
        assert.deepEqual(plain(decodeBase64(Buffer.from(input), { inPlace: true })), expected);
      },
    ),
    { numRuns: 3000 },
  );
});

test('base64 pushed in chunks, split anywhere, decodes as one piece', () => {
  const input = fc.array(fc.constantFrom(...'QUJD=ZGVm\r\n!x=='.split('')), { maxLength: 120 }).map((cs) => Buffer.from(cs.join(''), 'latin1'));
  fc.assert(
    fc.property(input, fc.array(fc.nat(120), { maxLength: 6 }), (raw, cuts) => {
      const decoder = new Base64Decoder();
      const at = [...new Set(cuts.map((c) => c % (raw.length + 1)))].sort((a, b) => a - b);
      const pieces = [0, ...at].map((from, i) => decoder.push(raw.subarray(from, [...at, raw.length][i])));
      const issue = decoder.end();
      assert.deepEqual(plain(issue ? { bytes: Buffer.concat(pieces), issue } : { bytes: Buffer.concat(pieces) }), plain(decodeBase64(raw)));
    }),
    { numRuns: 2000 },
  );
});

test('quoted-printable decodes the same in place', () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...'=3D=c3=A9 =\n=\t\nab\r\n=Z'.split('')), { maxLength: 120 }), (cs) => {
      const input = Buffer.from(cs.join(''), 'latin1');
      assert.deepEqual(plain(decodeQuotedPrintable(Buffer.from(input), { inPlace: true })), plain(decodeQuotedPrintable(input)));
    }),
  );
});

test('a big base64 body decodes in its own memory, byte for byte', () => {
  const data = Buffer.alloc(3 * 1024 * 1024 + 1);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7919) & 0xff;
  const encoded = Buffer.from((data.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n'));
  const decoded = decodeBase64(encoded, { inPlace: true });
  assert.equal(decoded.issue, undefined);
  assert.equal(decoded.bytes.buffer, encoded.buffer, 'no second buffer');
  assert.ok(decoded.bytes.equals(data));
});
