/**
 * The two bounds scripts/run-tests.mjs puts on a run, so that a hang fails instead of stalling
 * CI: a default timeout per test (test/support/timeout/nodeTest.mjs) and a budget per file
 * (--test-timeout, which Node 20 applies to each file's subprocess as a whole).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

function runFixture(extraEnv: Record<string, string>, fileBudgetMs: number) {
  // Without NODE_TEST_CONTEXT: the run below is a runner of its own, not a file of this one.
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  return spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--import',
      './test/support/timeout/register.mjs',
      '--test',
      '--test-reporter=tap',
      `--test-timeout=${fileBudgetMs}`,
      'test/support/timeout/hanging.fixture.ts',
    ],
    { cwd: ROOT, env: { ...env, MAILTRAIL_TEST_TIMEOUT_MS: '300', ...extraEnv }, encoding: 'utf8', timeout: 120_000 },
  );
}

test('a hung test fails on the default per-test timeout; a test with its own timeout keeps it', () => {
  const run = runFixture({}, 60_000);
  assert.equal(run.signal, null, 'the runner ended by itself');
  assert.equal(run.status, 1, 'the run fails');
  assert.match(run.stdout, /not ok \d+ - waits for a reply that never comes[\s\S]*test timed out after 300ms/);
  assert.match(run.stdout, /\nok \d+ - asks for more time and gets it/);
  assert.match(run.stdout, /# pass 1\n# fail 0\n# cancelled 1\n/);
});

test('a file whose process a leaked socket keeps alive is cancelled at its budget', () => {
  const run = runFixture({ HANG_LEAK: '1' }, 5_000);
  assert.equal(run.signal, null, 'the runner ended by itself, not by the spawn timeout');
  assert.equal(run.status, 1, 'the run fails');
  assert.match(run.stdout, /test timed out after 5000ms/);
});
