import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Type } from '@sinclair/typebox';
import Fastify from 'fastify';
import swagger from '@fastify/swagger';
import { ConflictingSchemaName, namedSchemas } from '../../src/http/openapi.js';
import { SCHEMA_FILE, generatedSchema } from '../../scripts/apiTypes/main.js';
import { openapiDocument } from '../../scripts/apiTypes/openapiDocument.js';
import { openapiToTypeScript, toType } from '../../scripts/apiTypes/openapiToTypeScript.js';

test('web/src/api/schema.ts is what `npm run api:types` writes from the current routes', async () => {
  const committed = readFileSync(SCHEMA_FILE, 'utf8');
  assert.ok(committed === (await generatedSchema()), 'web/src/api/schema.ts is stale: run `npm run api:types` and commit it');
});

test('the document names the main shapes and references them from the routes', async () => {
  const doc = await openapiDocument();
  const names = Object.keys(doc.components?.schemas ?? {});
  for (const name of ['Record', 'RecordEvent', 'User', 'Project', 'Email', 'EmailTemplate', 'NotificationRule', 'ImportRule', 'TrackingAccount', 'Error']) {
    assert.ok(names.includes(name), `components.schemas.${name}`);
  }
  const get = doc.paths?.['/api/v1/projects/{key}/records/{id}']?.get;
  assert.deepEqual(get?.responses?.['200']?.content?.['application/json']?.schema, { $ref: '#/components/schemas/Record' });
  // A named schema inside another one is a reference there too.
  const event = doc.components?.schemas?.RecordEvent as { properties: { changes: { items: unknown } } };
  assert.deepEqual(event.properties.changes.items, { $ref: '#/components/schemas/FieldChange' });
  assert.equal(JSON.stringify(doc).includes('"$id"'), false, 'no $id is left in the document');
});

test('JSON Schema to TypeScript: the keywords TypeBox writes', () => {
  assert.equal(toType({ type: 'string' }), 'string');
  assert.equal(toType({ anyOf: [{ type: 'string' }, { type: 'null' }] }), 'string | null');
  assert.equal(toType({ enum: ['a', "it's"] }), "'a' | 'it\\'s'");
  assert.equal(toType({ const: 3 }), '3');
  assert.equal(toType({ type: 'array', items: { anyOf: [{ type: 'integer' }, { type: 'boolean' }] } }), '(number | boolean)[]');
  assert.equal(toType({ type: 'array', items: [{ type: 'string' }, { type: 'number' }], additionalItems: false }), '[string, number]');
  assert.equal(toType({ $ref: '#/components/schemas/Record' }), "components['schemas']['Record']");
  assert.equal(toType({ type: 'object', additionalProperties: { type: 'number' } }), '{\n  [key: string]: number;\n}');
  assert.equal(
    toType({
      type: 'object',
      required: ['id'],
      properties: { id: { type: 'string' }, 'x-y': { type: 'boolean', description: 'a flag' } },
      additionalProperties: false,
    }),
    "{\n  id: string;\n  /** a flag */\n  'x-y'?: boolean;\n}",
  );
  assert.equal(toType({ not: {} }), 'unknown', 'what it does not know is unknown, not a guess');
});

test('operations: path and query parameters, the JSON body, each response', () => {
  const ts = openapiToTypeScript({
    paths: {
      '/things/{id}': {
        put: {
          parameters: [
            { in: 'path', name: 'id', required: true, schema: { type: 'string' } },
            { in: 'query', name: 'force', schema: { type: 'boolean' } },
          ],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } } } },
          },
          responses: { '200': { content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } } }, '204': { description: 'gone' } },
        },
      },
    },
    components: { schemas: { Thing: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } } } },
  });
  assert.match(ts, /path: \{\n\s+id: string;\n\s+\};/);
  assert.match(ts, /query\?: \{\n\s+force\?: boolean;\n\s+\};/);
  assert.match(ts, /requestBody: \{\n\s+n: number;\n\s+\};/);
  assert.match(ts, /200: components\['schemas'\]\['Thing'\];/);
  assert.match(ts, /204: undefined;/);
  assert.match(ts, /Thing: \{\n\s+n: number;\n\s+\};/);
});

test('two different schemas under one name fail the document instead of hiding one of them', async (t) => {
  const app = Fastify();
  t.after(() => app.close());
  await app.register(swagger, { openapi: { openapi: '3.1.0', info: { title: 't', version: '1' } }, ...namedSchemas() });
  app.get('/a', { schema: { response: { 200: Type.Object({ a: Type.String() }, { $id: 'Thing' }) } } }, async () => ({ a: 'x' }));
  app.get('/b', { schema: { response: { 200: Type.Object({ b: Type.Integer() }, { $id: 'Thing' }) } } }, async () => ({ b: 1 }));
  await app.ready();
  assert.throws(() => app.swagger(), ConflictingSchemaName);
});
