import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newId } from './ids.js';

const shape = /^[0-9a-hjkmnp-tv-z]{26}$/;

test('10,000 ids made in a tight loop sort in creation order, all distinct', () => {
  const ids = Array.from({ length: 10_000 }, () => newId());
  for (const id of ids) assert.match(id, shape);
  assert.equal(new Set(ids).size, ids.length);
  const sorted = [...ids].sort();
  assert.deepEqual(sorted, ids, 'sorting by id is creation order');
  // Far more ids than milliseconds passed, so most shared a millisecond with the one before.
  const times = new Set(ids.map((id) => id.slice(0, 10)));
  assert.ok(times.size < ids.length / 10, `${times.size} distinct milliseconds for ${ids.length} ids`);
});

test('within one millisecond the random part counts up by one', () => {
  const at = Date.UTC(2031, 0, 1);
  const a = newId(at);
  const b = newId(at);
  assert.equal(a.slice(0, 10), b.slice(0, 10));
  assert.ok(b > a);
  // The last character carries the lowest 5 bits: +1 changes only the tail (unless it carried).
  const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';
  const tail = (id: string) => alphabet.indexOf(id.at(-1) as string);
  if (tail(a) !== 31) assert.equal(tail(b), tail(a) + 1);
});

test('a clock that steps back does not break the order; a later millisecond starts afresh', () => {
  const at = Date.UTC(2032, 5, 1);
  const first = newId(at);
  const back = newId(at - 5_000);
  assert.ok(back > first, 'kept the later time and counted up');
  const later = newId(at + 1);
  assert.ok(later > back);
  assert.notEqual(later.slice(0, 10), first.slice(0, 10), 'the new millisecond is in the time part');
});

test('the time part is the millisecond, in Crockford base32', () => {
  const at = Date.UTC(2099, 0, 1);
  const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';
  const decoded = [...newId(at).slice(0, 10)].reduce((n, c) => n * 32 + alphabet.indexOf(c), 0);
  assert.equal(decoded, at);
});
