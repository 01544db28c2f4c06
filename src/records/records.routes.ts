import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { openProject } from '../projects/index.js';
import * as svc from './records.service.js';
import { badRequest } from '../errors.js';
import { PRIORITIES, SEVERITIES } from '../domain/fields.js';
import { callerOf } from '../http/auth.js';
import { Body, Id, ProjectKey, ProjectParams, RecordEventSchema, RecordSchema, RecordTypeSchema, Username, errorResponses } from '../http/schemas.js';

const Title = Type.String({ minLength: 1, maxLength: 500 });
const Description = Type.String({ maxLength: 100_000 });
const Status = Type.String({ minLength: 1, maxLength: 100 });
const Assignee = Type.Union([Username, Type.Null()]);
const Priority = Type.Union([...PRIORITIES.map((p) => Type.Literal(p)), Type.Null()]);
const Severity = Type.Union([...SEVERITIES.map((p) => Type.Literal(p)), Type.Null()]);
const Fields = Type.Record(Type.String({ maxLength: 40 }), Type.Union([Type.String({ maxLength: 10_000 }), Type.Number(), Type.Array(Type.String({ maxLength: 500 }), { maxItems: 100 }), Type.Null()]), {
  description: 'custom field values by key: text, number, date (YYYY-MM-DD), option, list of options, username; null clears',
});

const etagOf = (version: number) => `"${version}"`;

/** `If-Match: "3"` (or W/"3", or 3) → 3; `*` or nothing → no precondition. */
function versionOfIfMatch(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === '*') return undefined;
  const m = /^\s*(?:W\/)?"?(\d+)"?\s*$/.exec(header);
  if (!m) throw badRequest('invalid_if_match', 'If-Match must be the ETag of the record, like "3".');
  return Number(m[1]);
}

export const recordRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const db = () => app.ctx.store.db;
  const RecordParams = Type.Object({ key: ProjectKey, id: Id });

  app.post(
    '/projects/:key/records',
    {
      config: { access: 'project' },
      schema: {
        tags: ['records'],
        summary: 'Add a record (needs <category>.add)',
        params: ProjectParams,
        body: Body({
          type: RecordTypeSchema,
          title: Title,
          description: Type.Optional(Description),
          assignee: Type.Optional(Assignee),
          status: Type.Optional(Status),
          priority: Type.Optional(Priority),
          severity: Type.Optional(Severity),
          fields: Type.Optional(Fields),
        }),
        response: { 201: RecordSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const ctx = await openProject(db(), callerOf(request), request.params.key);
      return reply.status(201).send(await svc.createRecord(db(), ctx, request.body, app.recordEventHandlers));
    },
  );

  app.get(
    '/projects/:key/records',
    {
      config: { access: 'project' },
      schema: {
        tags: ['records'],
        summary: 'List records the caller may view, with filters',
        params: ProjectParams,
        querystring: Type.Object({
          type: Type.Optional(RecordTypeSchema),
          status: Type.Optional(Type.String({ maxLength: 100 })),
          assignee: Type.Optional(Type.String({ maxLength: 64, description: 'a username, or "none"' })),
          q: Type.Optional(Type.String({ maxLength: 200, description: 'text in title or description, or a record id (DEMO-D4, D4, #4)' })),
          category: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('inProgress'), Type.Literal('done'), Type.Literal('notDone')], { description: 'status category; notDone = open or in progress' })),
          priority: Type.Optional(Type.Union(PRIORITIES.map((p) => Type.Literal(p)))),
          severity: Type.Optional(Type.Union(SEVERITIES.map((p) => Type.Literal(p)))),
          field: Type.Optional(
            Type.Union([Type.String({ maxLength: 600 }), Type.Array(Type.String({ maxLength: 600 }), { maxItems: 20 })], { description: 'custom field filter key:value (repeatable; all must match)' }),
          ),
          sort: Type.Optional(
            Type.Union([...['number', 'title', 'status', 'createdAt', 'updatedAt', 'priority', 'severity'].map((s) => Type.Literal(s)), Type.String({ pattern: '^field:[a-z][a-zA-Z0-9_]{0,39}$' })], {
              description: 'a column, or field:<key> for a custom field',
            }),
          ),
          order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
          offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000 })),
        }),
        response: { 200: Type.Object({ records: Type.Array(RecordSchema) }), ...errorResponses },
      },
    },
    async (request) => {
      const ctx = await openProject(db(), callerOf(request), request.params.key);
      return { records: await svc.listRecords(db(), ctx, request.query as svc.ListRecordsInput) };
    },
  );

  app.get(
    '/projects/:key/records/:id',
    {
      config: { access: 'project' },
      schema: {
        tags: ['records'],
        summary: 'One record (needs <category>.view)',
        description: '`id` is the record id or its readable tag (DEMO-D4, D4).',
        params: RecordParams,
        response: { 200: RecordSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const ctx = await openProject(db(), callerOf(request), request.params.key);
      const record = await svc.getRecordByRef(db(), ctx, request.params.id);
      void reply.header('etag', etagOf(record.version));
      return record;
    },
  );

  app.patch(
    '/projects/:key/records/:id',
    {
      config: { access: 'project' },
      schema: {
        tags: ['records'],
        summary: 'Change a record (needs <category>.edit); fires notification rules',
        params: RecordParams,
        body: Body({
          title: Type.Optional(Title),
          description: Type.Optional(Description),
          status: Type.Optional(Status),
          assignee: Type.Optional(Assignee),
          priority: Type.Optional(Priority),
          severity: Type.Optional(Severity),
          fields: Type.Optional(Fields),
          version: Type.Optional(Type.Integer({ minimum: 1, description: 'the version you edited; also accepted as If-Match' })),
        }),
        response: { 200: RecordSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const ctx = await openProject(db(), callerOf(request), request.params.key);
      const version = request.body.version ?? versionOfIfMatch(request.headers['if-match']);
      const record = await svc.updateRecord(db(), ctx, request.params.id, { ...request.body, ...(version !== undefined ? { version } : {}) }, app.recordEventHandlers);
      void reply.header('etag', etagOf(record.version));
      return record;
    },
  );

  app.get(
    '/projects/:key/records/:id/history',
    {
      config: { access: 'project' },
      schema: {
        tags: ['records'],
        summary: 'Who changed what, when',
        params: RecordParams,
        response: { 200: Type.Object({ events: Type.Array(RecordEventSchema) }), ...errorResponses },
      },
    },
    async (request) => {
      const ctx = await openProject(db(), callerOf(request), request.params.key);
      return { events: await svc.recordHistory(db(), ctx, request.params.id) };
    },
  );
};
