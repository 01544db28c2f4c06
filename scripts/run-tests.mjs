#!/usr/bin/env node
// Runs every *.test.ts under src/ and test/ with node's own test runner (through tsx).
// Node 20's runner does not expand globs, so the file list is built here.
// Usage: npm test [-- substring ...]  (only files whose path contains one of the substrings)
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, path));
  }
  return out;
}

const files = ['src', 'test']
  .flatMap((d) => walk(join(root, d), []))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
// Two bounds so a hang fails instead of stalling CI: each test gets a default timeout
// (test/support/timeout/: 5 minutes, MAILTRAIL_TEST_TIMEOUT_MS, unless the test sets its own),
// and each file a budget (--test-timeout, which on Node 20 bounds a whole file's subprocess:
// it also catches a hung hook or a handle that keeps the process alive after its tests).
const fileBudgetMs = Number(process.env.MAILTRAIL_TEST_FILE_TIMEOUT_MS || (process.env.MAILTRAIL_LOAD_TEST ? 5 * 3600_000 : 30 * 60_000));
const result = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--import',
    './test/support/timeout/register.mjs',
    '--test',
    '--test-reporter=spec',
    '--test-concurrency=2',
    `--test-timeout=${fileBudgetMs}`,
    ...files,
  ],
  { cwd: root, stdio: 'inherit', env: process.env },
);
process.exit(result.status ?? 1);
