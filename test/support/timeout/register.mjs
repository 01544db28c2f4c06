// Preloaded by scripts/run-tests.mjs (`--import`): every `import … from 'node:test'` in a test
// file gets ./nodeTest.mjs instead, whose test()/it() give each test a default timeout.
// Why: Node 20's --test-timeout bounds a whole test file (the per-file subprocess), not each
// test inside it, and node:test's own per-test default is Infinity, so one hung socket would
// stall CI for as long as its file's budget.
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
