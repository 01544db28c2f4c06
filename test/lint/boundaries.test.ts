/**
 * The import boundary rule (scripts/lint/boundaries.mjs over the folder map in
 * scripts/lint/layers.mjs) fails on each kind of layer violation docs/ARCHITECTURE.md forbids,
 * passes on what it allows, and passes on the tree as it is. Probe files are linted as text under
 * a path of src/ that does not exist, so nothing is written into the tree.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ESLint } from 'eslint';

const root = new URL('../..', import.meta.url).pathname;
const eslint = new ESLint({ cwd: root });

async function boundaryErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${root}${filePath}` });
  assert.ok(result, `no lint result for ${filePath}`);
  return result.messages.filter((m) => m.ruleId === 'mailtrail/boundaries').map((m) => m.message);
}

const forbidden: [string, string, RegExp][] = [
  [
    'a feature imports another feature’s internals',
    "import { queueEmail } from '../outbound/queue.js';\nexport const f = queueEmail;\n",
    /only through outbound\/index\.ts/,
  ],
  [
    'a feature imports the program start-up',
    "import { startServer } from '../server.js';\nexport const f = startServer;\n",
    /may not import the program start-up/,
  ],
  [
    'http/ imports a feature',
    "import { createTrackingModule } from '../inbound/index.js';\nexport const f = createTrackingModule;\n",
    /http\/ may not import the feature inbound/,
  ],
  [
    'core imports a feature',
    "import { openProject } from '../projects/index.js';\nexport const f = openProject;\n",
    /core\/ may not import the feature projects/,
  ],
  ['domain imports the store', "import type { Db } from '../store/db.js';\nexport type F = Db;\n", /domain\/ may not import store/],
  ['domain imports the configuration', "import type { Config } from '../config.js';\nexport type F = Config;\n", /domain\/ may not import kernel/],
  ['store imports a feature', "export { openProject } from '../projects/index.js';\n", /store\/ may not import the feature projects/],
  ['a mail adapter imports a feature', "const m = await import('../../inbound/index.js');\nexport const f = m;\n", /mail\/ may not import the feature inbound/],
];
const where: Record<string, string> = {
  'a feature imports another feature’s internals': 'src/inbound/zzProbe.ts',
  'a feature imports the program start-up': 'src/rules/zzProbe.ts',
  'http/ imports a feature': 'src/http/zzProbe.ts',
  'core imports a feature': 'src/core/zzProbe.ts',
  'domain imports the store': 'src/domain/zzProbe.ts',
  'domain imports the configuration': 'src/domain/zzProbe.ts',
  'store imports a feature': 'src/store/zzProbe.ts',
  'a mail adapter imports a feature': 'src/mail/pop3/zzProbe.ts',
};

for (const [name, code, why] of forbidden) {
  test(`lint fails when ${name}`, async () => {
    const errors = await boundaryErrors(where[name] ?? '', code);
    assert.equal(errors.length, 1, `expected one boundary error, got ${JSON.stringify(errors)}`);
    assert.match(errors[0] ?? '', why);
  });
}

test('lint allows what the folder map allows', async () => {
  const allowed: [string, string][] = [
    [
      'src/inbound/zzProbe.ts',
      "import { queueEmail } from '../outbound/index.js';\nimport { poll } from './poller.js';\nexport const f = [queueEmail, poll];\n",
    ],
    [
      'src/outbound/zzProbe.ts',
      "import { Type } from '@sinclair/typebox';\nimport { callerOf } from '../http/auth.js';\nimport type { AppContext } from '../core/context.js';\nimport { cookieFor } from '../tracking/cookie.js';\nexport const f = [Type, callerOf, cookieFor];\nexport type C = AppContext;\n",
    ],
    [
      'src/domain/zzProbe.ts',
      "import { badRequest } from '../errors.js';\nimport { nowIso } from '../clock.js';\nimport { newId } from '../ids.js';\nexport const f = [badRequest, nowIso, newId];\n",
    ],
    [
      'src/http/zzProbe.ts',
      "import type { AppContext } from '../core/context.js';\nimport type { Db } from '../store/db.js';\nexport type F = [AppContext, Db];\n",
    ],
    // Unit tests reach internals on purpose.
    ['src/inbound/zzProbe.test.ts', "import { queueEmail } from '../outbound/queue.js';\nexport const f = queueEmail;\n"],
  ];
  for (const [path, code] of allowed) assert.deepEqual(await boundaryErrors(path, code), [], path);
});

test('the tree passes the boundary rule', async () => {
  const results = await eslint.lintFiles(['src']);
  const errors = results.flatMap((r) =>
    r.messages.filter((m) => m.ruleId === 'mailtrail/boundaries').map((m) => `${r.filePath.slice(root.length)}:${m.line} ${m.message}`),
  );
  assert.ok(results.length > 100, `linted only ${results.length} files`);
  assert.deepEqual(errors, []);
});

test('every folder of src/ is in the folder map of docs/ARCHITECTURE.md', () => {
  const doc = readFileSync(`${root}docs/ARCHITECTURE.md`, 'utf8');
  const map = doc.slice(doc.indexOf('## Folder map'), doc.indexOf('\n## ', doc.indexOf('## Folder map') + 1));
  const folders = readdirSync(`${root}src`, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name);
  assert.ok(folders.length > 10);
  const missing = folders.filter((f) => !map.includes(`\`src/${f}/`));
  assert.deepEqual(missing, [], 'folders of src/ that the folder map does not name');
});
