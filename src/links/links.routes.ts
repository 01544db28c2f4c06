import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { callerOf } from '../http/auth.js';
import { Body, Id, ProjectKey, RecordTypeSchema, errorResponses } from '../http/schemas.js';
import { openProject } from '../projects/index.js';
import { LINK_KINDS, LINK_REQUESTS } from './linkKinds.js';
import * as svc from './links.service.js';

const LinkSchema = Type.Object({
  id: Type.String(),
  kind: Type.String({ description: `the stored kind: ${LINK_KINDS.join(', ')}` }),
  direction: Type.Union([Type.Literal('outgoing'), Type.Literal('incoming')]),
  label: Type.String({ description: 'how the link reads from this record: blocks, is blocked by, relates to, …' }),
  as: Type.Union(LINK_REQUESTS.map((k) => Type.Literal(k))),
  record: Type.Object({ id: Type.String(), tag: Type.String(), type: RecordTypeSchema, title: Type.String(), status: Type.String() }),
  createdBy: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
}, { $id: 'RecordLink' });
const Params = Type.Object({ key: ProjectKey, id: Id });

export const linkRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const db = () => app.ctx.store.db;
  app.get(
    '/projects/:key/records/:id/links',
    {
      config: { access: 'project' },
      schema: { tags: ['links'], summary: "A record's links to other records, each as it reads from this record", params: Params, response: { 200: Type.Object({ links: Type.Array(LinkSchema) }), ...errorResponses } },
    },
    async (request) => {
      const ctx = await openProject(db(), callerOf(request), request.params.key);
      return { links: await svc.listLinks(db(), ctx, request.params.id) };
    },
  );
  app.post(
    '/projects/:key/records/:id/links',
    {
      config: { access: 'project' },
      schema: {
        tags: ['links'],
        summary: 'Link this record to another (needs <category>.edit on this one, view on the other)',
        description: '`kind` as this record does it: relates, blocks, blockedBy, duplicates, duplicatedBy, tests, testedBy, createdFrom, origin. `to` is the other record\'s id or tag (DEMO-R2). The link shows on both records, and both histories note it. 409 link_exists for a link that is there.',
        params: Params,
        body: Body({ kind: Type.Union(LINK_REQUESTS.map((k) => Type.Literal(k))), to: Type.String({ minLength: 1, maxLength: 64 }) }),
        response: { 201: LinkSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const ctx = await openProject(db(), callerOf(request), request.params.key);
      return reply.status(201).send(await svc.addLink(db(), ctx, request.params.id, { kind: request.body.kind, target: request.body.to }));
    },
  );
  app.delete(
    '/projects/:key/records/:id/links/:linkId',
    {
      config: { access: 'project' },
      schema: { tags: ['links'], summary: 'Remove a link (needs <category>.edit on this record)', params: Type.Object({ key: ProjectKey, id: Id, linkId: Id }), response: { 204: Type.Null(), ...errorResponses } },
    },
    async (request, reply) => {
      const ctx = await openProject(db(), callerOf(request), request.params.key);
      await svc.removeLink(db(), ctx, request.params.id, request.params.linkId);
      return reply.status(204).send(null);
    },
  );
};
