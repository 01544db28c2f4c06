import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitMessageIds } from './messageIds.js';

test('bracketed ids separated by spaces, folds, commas or nothing', () => {
  assert.deepEqual(splitMessageIds('<a@x> <b@x>\t<c@x>'), ['a@x', 'b@x', 'c@x']);
  assert.deepEqual(splitMessageIds('<a@x>,<b@x>, <c@x>'), ['a@x', 'b@x', 'c@x']);
  assert.deepEqual(splitMessageIds('<a@x><b@x>'), ['a@x', 'b@x']);
});

test('ids without brackets, or with only one of them', () => {
  assert.deepEqual(splitMessageIds('a@x b@x'), ['a@x', 'b@x']);
  assert.deepEqual(splitMessageIds('a@x, <b@x>'), ['a@x', 'b@x']);
  assert.deepEqual(splitMessageIds('<a@x'), ['a@x']);
});

test('whitespace folded into the middle of an id is removed', () => {
  assert.deepEqual(splitMessageIds('<long-id@mail.\n example.com>'), ['long-id@mail.example.com']);
});

test('comments and prose are not ids', () => {
  assert.deepEqual(splitMessageIds('<a@x> (Message from "Bob" <bob@example.com>)'), ['a@x']);
  assert.deepEqual(splitMessageIds('Your message of Mon, 1 Jan 2024'), []);
  assert.deepEqual(splitMessageIds(''), []);
});

test('duplicates are dropped, order kept', () => {
  assert.deepEqual(splitMessageIds('<b@x> <a@x> <b@x>'), ['b@x', 'a@x']);
});
