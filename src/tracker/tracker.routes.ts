import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { Body, Id, ProjectKey, ProjectParams, RecordTypeSchema, errorResponses } from '../http/schemas.js';
import { callerOf } from '../http/auth.js';
import { openProject } from '../projects/index.js';
import { FIELD_KEY_PATTERN, FIELD_KINDS, PRIORITIES, SEVERITIES } from '../domain/fields.js';
import * as fields from './fields.service.js';
import { STATUS_CATEGORIES, type Workflow } from '../domain/workflow.js';
import * as workflows from './workflows.service.js';

const StatusName = Type.String({ minLength: 1, maxLength: 100 });
const WorkflowSchema = Type.Object(
  {
    statuses: Type.Array(Type.Object({ name: StatusName, category: Type.Union(STATUS_CATEGORIES.map((c) => Type.Literal(c))) }, { additionalProperties: false }), { minItems: 1, maxItems: 50 }),
    transitions: Type.Record(StatusName, Type.Array(StatusName, { maxItems: 50 }), { description: 'status → the statuses a record may move to from it' }),
    initial: StatusName,
  },
  { additionalProperties: false },
);
const TypedWorkflow = Type.Object({ type: RecordTypeSchema, ...WorkflowSchema.properties }, { $id: 'Workflow' });

const FieldKind = Type.Union(FIELD_KINDS.map((k) => Type.Literal(k)));
const FieldSchema = Type.Object({
  id: Type.String(),
  recordType: Type.String(),
  key: Type.String(),
  label: Type.String(),
  kind: FieldKind,
  options: Type.Array(Type.String()),
  required: Type.Boolean(),
  position: Type.Integer(),
}, { $id: 'CustomField' });
const Options = Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 200 });

/** Workflows and custom fields of a project: read by members, changed by project administrators. */
export const trackerRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const db = () => app.ctx.store.db;
  const open = (request: Parameters<typeof callerOf>[0], key: string) => openProject(db(), callerOf(request), key);

  app.get(
    '/projects/:key/workflows',
    {
      config: { access: 'project' },
      schema: {
        tags: ['workflows'],
        summary: "Each record type's statuses (with category), allowed moves and initial status; also priorities and severities",
        params: ProjectParams,
        response: {
          200: Type.Object({ workflows: Type.Array(TypedWorkflow), priorities: Type.Array(Type.String()), severities: Type.Array(Type.String()) }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const ctx = await open(request, request.params.key);
      const all = await workflows.allWorkflows(db(), ctx.project.id);
      return { workflows: all.map((w) => ({ type: w.type, ...w.workflow })), priorities: [...PRIORITIES], severities: [...SEVERITIES] };
    },
  );

  app.put(
    '/projects/:key/workflows/:type',
    {
      config: { access: 'project' },
      schema: {
        tags: ['workflows'],
        summary: "Replace a record type's workflow (needs project.administer); renames moves records along",
        params: Type.Object({ key: ProjectKey, type: RecordTypeSchema }),
        body: Body({ ...WorkflowSchema.properties, renames: Type.Optional(Type.Record(StatusName, StatusName, { description: 'old status → new status' })) }),
        response: { 200: TypedWorkflow, ...errorResponses },
      },
    },
    async (request) => {
      const ctx = await open(request, request.params.key);
      const { renames, ...wf } = request.body;
      const saved = await workflows.putWorkflow(db(), ctx, request.params.type, wf as Workflow, renames ?? {});
      return { type: request.params.type, ...saved };
    },
  );

  app.get(
    '/projects/:key/fields',
    {
      config: { access: 'project' },
      schema: {
        tags: ['fields'],
        summary: 'Custom fields of every record type',
        params: ProjectParams,
        querystring: Type.Object({ type: Type.Optional(RecordTypeSchema) }),
        response: { 200: Type.Object({ fields: Type.Array(FieldSchema) }), ...errorResponses },
      },
    },
    async (request) => {
      const ctx = await open(request, request.params.key);
      return { fields: await fields.listFields(db(), ctx.project.id, request.query.type) };
    },
  );

  app.post(
    '/projects/:key/fields',
    {
      config: { access: 'project' },
      schema: {
        tags: ['fields'],
        summary: 'Add a custom field to a record type (needs project.administer)',
        params: ProjectParams,
        body: Body({
          recordType: RecordTypeSchema,
          key: Type.Optional(Type.String({ pattern: FIELD_KEY_PATTERN, description: 'made from the label when left out' })),
          label: Type.String({ minLength: 1, maxLength: 100 }),
          kind: FieldKind,
          options: Type.Optional(Options),
          required: Type.Optional(Type.Boolean()),
        }),
        response: { 201: FieldSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const ctx = await open(request, request.params.key);
      return reply.status(201).send(await fields.createField(db(), ctx, request.body));
    },
  );

  app.patch(
    '/projects/:key/fields/:id',
    {
      config: { access: 'project' },
      schema: {
        tags: ['fields'],
        summary: "Change a field's label, options, required flag or position (needs project.administer)",
        params: Type.Object({ key: ProjectKey, id: Id }),
        body: Body({
          label: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
          options: Type.Optional(Options),
          required: Type.Optional(Type.Boolean()),
          position: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
        }),
        response: { 200: FieldSchema, ...errorResponses },
      },
    },
    async (request) => {
      const ctx = await open(request, request.params.key);
      return fields.updateField(db(), ctx, request.params.id, request.body);
    },
  );

  app.delete(
    '/projects/:key/fields/:id',
    {
      config: { access: 'project' },
      schema: { tags: ['fields'], summary: 'Remove a custom field and its values (needs project.administer)', params: Type.Object({ key: ProjectKey, id: Id }), response: { 204: Type.Null(), ...errorResponses } },
    },
    async (request, reply) => {
      const ctx = await open(request, request.params.key);
      await fields.deleteField(db(), ctx, request.params.id);
      return reply.status(204).send(null);
    },
  );
};
