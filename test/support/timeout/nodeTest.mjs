// node:test with a default per-test timeout (MAILTRAIL_TEST_TIMEOUT_MS, 5 minutes unless set):
// long enough for a slow but healthy test on a loaded 2-core machine, short enough that a test
// waiting on a socket that never answers fails instead of stalling the run. A test that sets
// its own `timeout` keeps it (the crash and load tests that need more say so).
import * as nodeTest from 'node:test';

export * from 'node:test';

export const DEFAULT_TEST_TIMEOUT_MS = Number(process.env.MAILTRAIL_TEST_TIMEOUT_MS || 300_000);

/** test([name][, options][, fn]): adds `timeout` to the options unless the test gave one. */
function withDefaultTimeout(original) {
  const wrapped = (...args) => {
    const at = args.findIndex((a) => a !== null && typeof a === 'object');
    if (at >= 0) {
      if (args[at].timeout === undefined) args[at] = { ...args[at], timeout: DEFAULT_TEST_TIMEOUT_MS };
    } else {
      const fn = args.findIndex((a) => typeof a === 'function');
      args.splice(fn >= 0 ? fn : args.length, 0, { timeout: DEFAULT_TEST_TIMEOUT_MS });
    }
    return original(...args);
  };
  // test.skip, test.todo, test.only, test.describe, … keep working.
  for (const key of Object.keys(original)) wrapped[key] = original[key];
  return wrapped;
}

export const test = withDefaultTimeout(nodeTest.test);
export const it = withDefaultTimeout(nodeTest.it);
export default test;
