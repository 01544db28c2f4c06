import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { callerOf } from '../http/auth.js';
import { Body, Id, ProjectKey, errorResponses } from '../http/schemas.js';
import { openProject } from '../projects/index.js';
import * as svc from './reqdocs.service.js';

const ItemSchema = Type.Object(
  {
    id: Type.String({ description: 'this requirement in this document: remove and reorder by it' }),
    number: Type.Integer({ description: '1 for the first requirement of the document' }),
    requirement: Type.Object({
      id: Type.String(),
      tag: Type.String(),
      title: Type.String(),
      status: Type.String(),
      statusCategory: Type.Union([Type.Literal('open'), Type.Literal('inProgress'), Type.Literal('done')]),
      assignee: Type.Union([Type.String(), Type.Null()]),
    }),
    addedBy: Type.Union([Type.String(), Type.Null()]),
    addedAt: Type.String(),
  },
  { $id: 'RequirementDocItem' },
);
const Items = Type.Object({ items: Type.Array(ItemSchema) });
const DocumentRefSchema = Type.Object(
  { id: Type.String(), tag: Type.String(), title: Type.String(), status: Type.String(), number: Type.Integer({ description: "the requirement's place in the document" }) },
  { $id: 'RequirementDocumentRef' },
);
const Params = Type.Object({ key: ProjectKey, id: Id });

export const reqDocRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const db = () => app.ctx.store.db;
  app.get(
    '/projects/:key/records/:id/requirements',
    {
      config: { access: 'project' },
      schema: {
        tags: ['requirement documents'],
        summary: "A requirement document's requirements, in order (needs requirementDocuments.view and requirements.view)",
        description: '`id` is the document\'s id or tag (DEMO-RD1). 400 not_a_requirement_document for a record of another type.',
        params: Params,
        response: { 200: Items, ...errorResponses },
      },
    },
    async (request) => ({ items: await svc.listItems(db(), await openProject(db(), callerOf(request), request.params.key), request.params.id) }),
  );
  app.post(
    '/projects/:key/records/:id/requirements',
    {
      config: { access: 'project' },
      schema: {
        tags: ['requirement documents'],
        summary: 'Put a requirement into the document (needs requirementDocuments.edit and requirements.view)',
        description: '`requirement` is its id or tag (DEMO-R2); `number` puts it at that place (1 = first), else last. 400 not_a_requirement / unknown_requirement, 409 already_in_document. A requirement may be in several documents.',
        params: Params,
        body: Body({ requirement: Type.String({ minLength: 1, maxLength: 64 }), number: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })) }),
        response: { 201: ItemSchema, ...errorResponses },
      },
    },
    async (request, reply) => reply.status(201).send(await svc.addItem(db(), await openProject(db(), callerOf(request), request.params.key), request.params.id, request.body)),
  );
  app.delete(
    '/projects/:key/records/:id/requirements/:itemId',
    {
      config: { access: 'project' },
      schema: {
        tags: ['requirement documents'],
        summary: 'Take a requirement out of the document; the requirement stays (needs requirementDocuments.edit and requirements.view)',
        params: Type.Object({ key: ProjectKey, id: Id, itemId: Id }),
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await svc.removeItem(db(), await openProject(db(), callerOf(request), request.params.key), request.params.id, request.params.itemId);
      return reply.status(204).send(null);
    },
  );
  app.put(
    '/projects/:key/records/:id/requirements/order',
    {
      config: { access: 'project' },
      schema: {
        tags: ['requirement documents'],
        summary: "Reorder the document's requirements (needs requirementDocuments.edit and requirements.view)",
        description: '`order` lists every item id of the document once, first first; 409 order_mismatch when the list changed meanwhile.',
        params: Params,
        body: Body({ order: Type.Array(Id, { maxItems: svc.MAX_ITEMS }) }),
        response: { 200: Items, ...errorResponses },
      },
    },
    async (request) => ({ items: await svc.reorderItems(db(), await openProject(db(), callerOf(request), request.params.key), request.params.id, request.body.order) }),
  );
  app.get(
    '/projects/:key/records/:id/documents',
    {
      config: { access: 'project' },
      schema: {
        tags: ['requirement documents'],
        summary: 'The requirement documents a requirement is in, with its place in each (needs requirements.view and requirementDocuments.view)',
        params: Params,
        response: { 200: Type.Object({ documents: Type.Array(DocumentRefSchema) }), ...errorResponses },
      },
    },
    async (request) => ({ documents: await svc.documentsOf(db(), await openProject(db(), callerOf(request), request.params.key), request.params.id) }),
  );
};
