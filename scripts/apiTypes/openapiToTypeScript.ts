/**
 * Turns the server's OpenAPI 3.1 document into TypeScript types: `components['schemas'][name]`
 * for every named schema and `paths[path][method]` for every operation (path and query
 * parameters, the JSON request body, each response's JSON body). The layout follows
 * openapi-typescript's, for the subset of JSON Schema that TypeBox writes; a keyword it does not
 * know becomes `unknown` rather than a guess.
 */

export type JsonSchema = { [key: string]: unknown };

interface Parameter {
  in: string;
  name: string;
  required?: boolean;
  description?: string;
  schema?: JsonSchema;
}

interface Content {
  content?: Record<string, { schema?: JsonSchema }>;
  required?: boolean;
  description?: string;
}

interface Operation {
  summary?: string;
  parameters?: Parameter[];
  requestBody?: Content;
  responses?: Record<string, Content>;
}

export interface OpenapiDocument {
  paths?: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];
const IDENTIFIER = /^([A-Za-z_$][A-Za-z0-9_$]*|[1-9][0-9]*)$/;

function key(name: string): string {
  return IDENTIFIER.test(name) ? name : `'${name.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function literal(value: unknown): string {
  return typeof value === 'string' ? `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` : JSON.stringify(value);
}

function comment(text: unknown, pad: string): string {
  if (typeof text !== 'string' || text === '') return '';
  return `${pad}/** ${text.replace(/\*\//g, '*\\/').replace(/\s*\n\s*/g, ' ')} */\n`;
}

function isSchema(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Wraps a union or an intersection in parentheses, so that a following `[]` binds to all of it. */
function group(type: string): string {
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < type.length; i++) {
    const c = type[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === "'") quoted = false;
    } else if (c === "'") quoted = true;
    else if (c === '{' || c === '[' || c === '(') depth++;
    else if (c === '}' || c === ']' || c === ')') depth--;
    else if (depth === 0 && (c === '|' || c === '&')) return `(${type})`;
  }
  return type;
}

function union(types: string[]): string {
  const unique = [...new Set(types)];
  if (unique.includes('unknown')) return 'unknown';
  return unique.length === 0 ? 'never' : unique.join(' | ');
}

function objectType(schema: JsonSchema, pad: string): string {
  const properties = isSchema(schema.properties) ? schema.properties : {};
  const required = new Set(Array.isArray(schema.required) ? schema.required : []);
  const inner = `${pad}  `;
  const lines: string[] = [];
  for (const [name, value] of Object.entries(properties)) {
    const property = isSchema(value) ? value : {};
    lines.push(`${comment(property.description, inner)}${inner}${key(name)}${required.has(name) ? '' : '?'}: ${toType(property, inner)};\n`);
  }
  const extra: string[] = [];
  const additional = schema.additionalProperties;
  if (additional === true || (additional === undefined && lines.length === 0 && !isSchema(schema.patternProperties))) extra.push('unknown');
  else if (isSchema(additional)) extra.push(toType(additional, inner));
  if (isSchema(schema.patternProperties)) extra.push(...Object.values(schema.patternProperties).map((s) => toType(isSchema(s) ? s : {}, inner)));
  if (extra.length > 0) {
    // An index signature must admit every named property's type too.
    const value = lines.length > 0 && !extra.includes('unknown') ? 'unknown' : union(extra);
    lines.push(`${inner}[key: string]: ${value};\n`);
  }
  return lines.length === 0 ? 'Record<string, never>' : `{\n${lines.join('')}${pad}}`;
}

function arrayType(schema: JsonSchema, pad: string): string {
  const tuple = Array.isArray(schema.prefixItems) ? schema.prefixItems : Array.isArray(schema.items) ? schema.items : null;
  if (tuple) return `[${tuple.map((s: unknown) => toType(isSchema(s) ? s : {}, pad)).join(', ')}]`;
  return `${group(isSchema(schema.items) ? toType(schema.items, pad) : 'unknown')}[]`;
}

function typeOf(name: unknown, schema: JsonSchema, pad: string): string {
  switch (name) {
    case 'string':
      return 'string';
    case 'integer':
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    case 'array':
      return arrayType(schema, pad);
    case 'object':
      return objectType(schema, pad);
    default:
      return 'unknown';
  }
}

/** The TypeScript type of one JSON Schema, laid out at indentation `pad`. */
export function toType(schema: JsonSchema, pad = ''): string {
  if (typeof schema.$ref === 'string') {
    const name = /^#\/components\/schemas\/(.+)$/.exec(schema.$ref)?.[1];
    return name ? `components['schemas'][${literal(name)}]` : 'unknown';
  }
  if ('const' in schema) return literal(schema.const);
  if (Array.isArray(schema.enum)) return union(schema.enum.map(literal));
  const alternatives = Array.isArray(schema.anyOf) ? schema.anyOf : Array.isArray(schema.oneOf) ? schema.oneOf : null;
  if (alternatives) return union(alternatives.map((s: unknown) => toType(isSchema(s) ? s : {}, pad)));
  if (Array.isArray(schema.allOf)) return schema.allOf.map((s: unknown) => group(toType(isSchema(s) ? s : {}, pad))).join(' & ');
  if (Array.isArray(schema.type)) return union(schema.type.map((t: unknown) => typeOf(t, schema, pad)));
  if (schema.type !== undefined) return typeOf(schema.type, schema, pad);
  if (isSchema(schema.properties)) return objectType(schema, pad);
  return 'unknown';
}

function jsonBody(content: Content | undefined, pad: string): string {
  const types = Object.entries(content?.content ?? {});
  if (types.length === 0) return 'undefined';
  const json = types.find(([type]) => type.includes('json'));
  if (json) return json[1].schema ? toType(json[1].schema, pad) : 'unknown';
  // Raw messages, attachments, metrics text: the client reads them as text or bytes.
  return 'string';
}

function parameters(list: Parameter[], pad: string): string {
  const lines: string[] = [];
  for (const where of ['path', 'query']) {
    const these = list.filter((p) => p.in === where);
    if (these.length === 0) continue;
    const inner = `${pad}    `;
    const fields = these.map(
      (p) => `${comment(p.description ?? p.schema?.description, inner)}${inner}${key(p.name)}${p.required ? '' : '?'}: ${toType(p.schema ?? {}, inner)};\n`,
    );
    const optional = these.every((p) => !p.required) ? '?' : '';
    lines.push(`${pad}  ${where}${optional}: {\n${fields.join('')}${pad}  };\n`);
  }
  return lines.length === 0 ? '' : `${pad}parameters: {\n${lines.join('')}${pad}};\n`;
}

function operation(op: Operation, pad: string): string {
  let out = parameters(op.parameters ?? [], pad);
  if (op.requestBody) out += `${pad}requestBody${op.requestBody.required ? '' : '?'}: ${jsonBody(op.requestBody, pad)};\n`;
  const responses = Object.entries(op.responses ?? {}).map(([status, response]) => ({ status, body: jsonBody(response, `${pad}  `) }));
  // Error answers share one named body (Error) on nearly every route: one line per operation,
  // instead of the same five lines written again under each of them.
  const shared = new Map<string, string[]>();
  for (const { status, body } of responses) {
    if (Number(status) >= 400 && body.startsWith('components[')) shared.set(body, [...(shared.get(body) ?? []), status]);
  }
  const grouped = [...shared].filter(([, statuses]) => statuses.length > 1);
  const inGroup = new Set(grouped.flatMap(([, statuses]) => statuses));
  const lines = responses.filter(({ status }) => !inGroup.has(status)).map(({ status, body }) => `${pad}  ${key(status)}: ${body};\n`);
  const parts = grouped.map(([body, statuses]) => `Responses<${statuses.join(' | ')}, ${body}>`);
  if (lines.length > 0 || parts.length === 0) parts.unshift(`{\n${lines.join('')}${pad}}`);
  out += `${pad}responses: ${parts.join(' & ')};\n`;
  return out;
}

export function openapiToTypeScript(doc: OpenapiDocument): string {
  let out = "// Generated by `npm run api:types` from the server's OpenAPI document (GET /api/openapi.json).\n";
  out += '// Do not edit: change the TypeBox schemas of the routes and run `npm run api:types` again.\n\n';
  out += '/** Answers with one body under several statuses (the errors of an operation). */\n';
  out += 'type Responses<Status extends number, Body> = { [S in Status]: Body };\n\n';
  out += 'export interface paths {\n';
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    out += `  ${key(path)}: {\n`;
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      out += `${comment(op.summary, '    ')}    ${method}: {\n${operation(op, '      ')}    };\n`;
    }
    out += '  };\n';
  }
  out += '}\n\nexport interface components {\n  schemas: {\n';
  for (const [name, schema] of Object.entries(doc.components?.schemas ?? {})) {
    out += `${comment(schema.description, '    ')}    ${key(name)}: ${toType(schema, '    ')};\n`;
  }
  out += '  };\n}\n';
  return out;
}
