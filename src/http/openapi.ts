/**
 * Named schemas in the OpenAPI document. Every TypeBox schema given an `$id` (`RecordSchema`,
 * `UserSchema`, …) is emitted once under `components.schemas.<$id>` and referenced from the
 * routes that use it, so the document names the API's shapes and `npm run api:types` can turn
 * them into the web client's types. Validation is untouched: only the document is rewritten.
 */

import type { SwaggerTransform, SwaggerTransformObject } from '@fastify/swagger';
import type { FastifySchema } from 'fastify';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export interface NamedSchemas {
  /** For @fastify/swagger's `transform`: a route's schema with its named parts as `$ref`s. */
  transform: SwaggerTransform;
  /** For @fastify/swagger's `transformObject`: the document with every named schema in components. */
  transformObject: SwaggerTransformObject;
}

/** The document lists one schema per name: two different shapes under one `$id` are a bug. */
export class ConflictingSchemaName extends Error {
  constructor(readonly id: string) {
    super(`two different schemas are named "${id}" ($id); give one of them another name`);
    this.name = 'ConflictingSchemaName';
  }
}

export const COMPONENTS_PREFIX = '#/components/schemas/';

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function namedSchemas(): NamedSchemas {
  const found = new Map<string, { schema: JsonObject; text: string }>();

  /** Replaces each named subschema (not `node` itself when `keepRoot`) with a `$ref`, collecting it. */
  const hoist = (node: Json, keepRoot: boolean): Json => {
    if (Array.isArray(node)) return node.map((n) => hoist(n, false));
    if (!isObject(node)) return node;
    const id = node.$id;
    if (typeof id === 'string' && !keepRoot) {
      const text = JSON.stringify(node);
      const seen = found.get(id);
      if (seen && seen.text !== text) throw new ConflictingSchemaName(id);
      if (!seen) found.set(id, { schema: node, text });
      return { $ref: COMPONENTS_PREFIX + id };
    }
    const out: JsonObject = {};
    for (const [key, value] of Object.entries(node)) {
      if (key === '$id') continue;
      // @fastify/swagger writes literals as one-value enums in the routes; the components match.
      if (key === 'const') out.enum = [value];
      else out[key] = hoist(value, false);
    }
    return out;
  };

  return {
    transform: ({ schema, url }) => {
      // JSON round trip: TypeBox's symbol keys go, the route's own schema object stays as it is.
      const plain = JSON.parse(JSON.stringify(schema ?? {})) as Json;
      return { schema: hoist(plain, false) as FastifySchema, url };
    },
    transformObject: (document) => {
      // Only the OpenAPI 3 document is built here (app.ts), never a Swagger 2 one.
      if (!('openapiObject' in document)) return document.swaggerObject;
      const { openapiObject } = document;
      const components = (openapiObject.components ?? {}) as { schemas?: Record<string, Json> };
      const schemas: Record<string, Json> = { ...components.schemas };
      // A named schema can hold other named ones: those are collected while it is hoisted.
      const done = new Set<string>();
      for (let pending = [...found.keys()]; pending.length > 0; pending = [...found.keys()].filter((id) => !done.has(id))) {
        for (const id of pending) {
          done.add(id);
          const entry = found.get(id);
          if (entry) schemas[id] = hoist(entry.schema, true);
        }
      }
      const sorted = Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b)));
      return { ...openapiObject, components: { ...components, schemas: sorted } } as typeof openapiObject;
    },
  };
}
