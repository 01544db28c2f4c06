/**
 * `npm run api:types`: writes the web client's API types (web/src/api/schema.ts) from the
 * server's OpenAPI document. `npm run api:types -- --check` writes nothing and fails when the
 * file is not what the server's schemas give (test/api/apiTypes.test.ts checks the same).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openapiDocument } from './openapiDocument.js';
import { openapiToTypeScript } from './openapiToTypeScript.js';

export const SCHEMA_FILE = fileURLToPath(new URL('../../web/src/api/schema.ts', import.meta.url));

export async function generatedSchema(): Promise<string> {
  return openapiToTypeScript(await openapiDocument());
}

async function main(args: string[]): Promise<number> {
  const wanted = await generatedSchema();
  let current: string;
  try {
    current = readFileSync(SCHEMA_FILE, 'utf8');
  } catch {
    current = '';
  }
  if (args.includes('--check')) {
    if (current === wanted) return 0;
    console.error('web/src/api/schema.ts is stale: run `npm run api:types` and commit the result.');
    return 1;
  }
  if (current !== wanted) writeFileSync(SCHEMA_FILE, wanted);
  console.log(current === wanted ? 'web/src/api/schema.ts is up to date' : 'wrote web/src/api/schema.ts');
  return 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = await main(process.argv.slice(2));
