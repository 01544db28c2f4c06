import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifyInstance } from 'fastify';

// ajv-formats is CommonJS; its default export arrives wrapped under ESM interop.
type AddFormats = (ajv: Ajv) => Ajv;
const addFormats: AddFormats = (addFormatsModule as unknown as { default?: AddFormats }).default ?? (addFormatsModule as unknown as AddFormats);

/**
 * Validation stops at the first error (`allErrors: false`): collecting every error of a hostile
 * body (a million unknown keys) took seconds of the event loop and built a 38 MB message.
 *
 * Bodies are validated strictly: no type coercion (a number is not a title) and unknown fields
 * are errors, not silently dropped. Query strings and params are text by nature, so they coerce.
 */
export function installValidators(app: FastifyInstance): void {
  const strict = new Ajv({ allErrors: false, coerceTypes: false, removeAdditional: false, useDefaults: true, strict: false });
  const lenient = new Ajv({ allErrors: false, coerceTypes: 'array', removeAdditional: false, useDefaults: true, strict: false });
  for (const ajv of [strict, lenient]) {
    addFormats(ajv);
    ajv.addKeyword({ keyword: 'x-permission' });
  }
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? strict : lenient).compile(schema));
}
