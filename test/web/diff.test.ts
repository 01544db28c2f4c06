import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { diffLines, diffWords, merge3, splitLines } from '../../web/src/diff.js';

test('diffLines marks removed and added lines, keeps the rest', () => {
  assert.deepEqual(diffLines('a\nb\nc\n', 'a\nB\nc\nd\n'), [
    { kind: 'same', text: 'a' },
    { kind: 'del', text: 'b' },
    { kind: 'add', text: 'B' },
    { kind: 'same', text: 'c' },
    { kind: 'add', text: 'd' },
  ]);
  assert.deepEqual(
    diffWords('the red car', 'the blue car').filter((o) => o.kind !== 'same'),
    [
      { kind: 'del', text: 'red' },
      { kind: 'add', text: 'blue' },
    ],
  );
});

test('diffLines: the kept and added lines are the new text, the kept and removed ones the old (property)', () => {
  const text = fc.array(fc.constantFrom('a', 'b', 'c', 'd', ''), { maxLength: 12 }).map((l) => l.join('\n'));
  fc.assert(
    fc.property(text, text, (x, y) => {
      const ops = diffLines(x, y);
      assert.deepEqual(
        ops.filter((o) => o.kind !== 'del').map((o) => o.text),
        splitLines(y),
      );
      assert.deepEqual(
        ops.filter((o) => o.kind !== 'add').map((o) => o.text),
        splitLines(x),
      );
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
