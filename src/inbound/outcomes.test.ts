import assert from 'node:assert/strict';
import { test } from 'node:test';
import { REASONS, shouldRemoveFromServer, stateOf } from './outcomes.js';

test('every reason says what the admin sees and where it is filed', () => {
  for (const [reason, info] of Object.entries(REASONS)) {
    assert.ok(info.message.length > 20, `${reason} needs a sentence`);
    assert.ok(info.state === 'unmatched' || info.state === 'rejected');
  }
  assert.equal(stateOf({ kind: 'rejected', reason: 'cookie_forged' }), 'rejected');
  assert.equal(stateOf({ kind: 'unmatched', reason: 'no_cookie' }), 'unmatched');
});

test('filed mail always leaves the server; untracked mail only with deleteUntracked; undecided mail never', () => {
  for (const state of ['attached', 'bounce', 'auto_reply'] as const) {
    assert.equal(shouldRemoveFromServer(state, false), true);
    assert.equal(shouldRemoveFromServer(state, true), true);
  }
  for (const state of ['unmatched', 'rejected', 'dismissed'] as const) {
    assert.equal(shouldRemoveFromServer(state, false), false);
    assert.equal(shouldRemoveFromServer(state, true), true);
  }
  assert.equal(shouldRemoveFromServer('stored', true), false);
});
