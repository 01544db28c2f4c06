import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { requirePeer, type PeerProbe } from './peers.js';

/** Records what requirePeer asked of the test context. */
function fakeContext(): { t: TestContext; skipped: string[] } {
  const skipped: string[] = [];
  return { t: { skip: (message?: string) => skipped.push(message ?? '') } as unknown as TestContext, skipped };
}

function withCI<T>(value: string | undefined, run: () => Promise<T>): Promise<T> {
  const before = process.env.CI;
  if (value === undefined) delete process.env.CI;
  else process.env.CI = value;
  return run().finally(() => {
    if (before === undefined) delete process.env.CI;
    else process.env.CI = before;
  });
}

const missing = (name: string): [string, PeerProbe] => [`missing-${name}`, { check: () => false, hint: 'install it' }];

test('requirePeer: a missing peer fails under CI=true, with the hint', async () => {
  const { t, skipped } = fakeContext();
  await withCI('true', () => assert.rejects(requirePeer(t, ...missing('ci')), /missing-ci is not available: install it.*CI=true/));
  assert.deepEqual(skipped, []);
});

test('requirePeer: a missing peer skips the test outside CI', async () => {
  const { t, skipped } = fakeContext();
  assert.equal(await withCI(undefined, () => requirePeer(t, ...missing('local'))), false);
  assert.deepEqual(skipped, ['missing-local is not available: install it']);
});

test('requirePeer: a probe that throws counts as missing; a present peer goes on; each probe runs once', async () => {
  const { t, skipped } = fakeContext();
  let calls = 0;
  const throwing: PeerProbe = {
    check: () => {
      throw new Error('boom');
    },
    hint: 'h',
  };
  assert.equal(await withCI(undefined, () => requirePeer(t, 'throwing', throwing)), false);
  const present: PeerProbe = { check: async () => (calls++, true), hint: 'h' };
  assert.equal(await requirePeer(t, 'present', present), true);
  assert.equal(await requirePeer(t, 'present', present), true);
  assert.equal(calls, 1);
  assert.deepEqual(skipped, ['throwing is not available: h']);
});
