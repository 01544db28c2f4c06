import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { diffLines, diffWords, merge3 } from '../../web/src/diff.js';

test('diffLines marks removed and added lines, keeps the rest', () => {
  assert.deepEqual(diffLines('a\nb\nc\n', 'a\nB\nc\nd\n'), [
    { kind: 'same', text: 'a' },
    { kind: 'del', text: 'b' },
    { kind: 'add', text: 'B' },
    { kind: 'same', text: 'c' },
    { kind: 'add', text: 'd' },
  ]);
  assert.deepEqual(diffWords('the red car', 'the blue car').filter((o) => o.kind !== 'same'), [
    { kind: 'del', text: 'red' },
    { kind: 'add', text: 'blue' },
  ]);
});

test('diffLines: keeping the same and added lines rebuilds the new text (property)', () => {
  const lines = fc.array(fc.constantFrom('a', 'b', 'c', 'd', ''), { maxLength: 12 });
  fc.assert(
    fc.property(lines, lines, (x, y) => {
      const ops = diffLines(x.join('\n'), y.join('\n'));
      const rebuilt = ops.filter((o) => o.kind !== 'del').map((o) => o.text);
      const old = ops.filter((o) => o.kind !== 'add').map((o) => o.text);
      const strip = (l: string[]) => (l.length > 0 && l[l.length - 1] === '' ? l.slice(0, -1) : l);
      assert.deepEqual(rebuilt, strip(y.join('\n').split('\n')).filter((_, i, arr) => !(arr.length === 1 && arr[0] === '')));
      assert.deepEqual(old, strip(x.join('\n').split('\n')).filter((_, i, arr) => !(arr.length === 1 && arr[0] === '')));
    }),
  );
});

test('merge3 joins changes in different places and marks a real conflict', () => {
  const base = 'one\ntwo\nthree\n';
  assert.deepEqual(merge3(base, 'ONE\ntwo\nthree\n', 'one\ntwo\nTHREE\n'), { text: 'ONE\ntwo\nTHREE\n', conflicts: 0 });
  assert.deepEqual(merge3(base, 'one\ntwo\nthree\nfour\n', 'one\ntwo\nthree\n'), { text: 'one\ntwo\nthree\nfour\n', conflicts: 0 });
  assert.deepEqual(merge3(base, 'one\n2\nthree\n', 'one\n2\nthree\n'), { text: 'one\n2\nthree\n', conflicts: 0 });
  const clash = merge3(base, 'one\nmine\nthree\n', 'one\ntheirs\nthree\n', { mine: 'yours', theirs: 'bob' });
  assert.equal(clash.conflicts, 1);
  assert.equal(clash.text, 'one\n<<<<<<< yours\nmine\n=======\ntheirs\n>>>>>>> bob\nthree\n');
});

test('merge3: when one side did not change, the result is the other side (property)', () => {
  const text = fc.array(fc.constantFrom('a', 'b', 'c', 'x'), { maxLength: 10 }).map((l) => (l.length ? l.join('\n') + '\n' : ''));
  fc.assert(
    fc.property(text, text, (base, changed) => {
      assert.deepEqual(merge3(base, base, changed), { text: changed, conflicts: 0 });
      assert.deepEqual(merge3(base, changed, base), { text: changed, conflicts: 0 });
    }),
  );
});
