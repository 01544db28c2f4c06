import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { callerOf } from '../http/auth.js';
import { Body, EmailAddress, ProjectParams, errorResponses } from '../http/schemas.js';
import { openProject } from '../projects/index.js';
import { addSuppression, liftSuppression, listSuppressions, suppressedAmong } from './suppression.service.js';

export const SuppressionSchema = Type.Object(
  {
    address: Type.String(),
    reason: Type.Union([Type.Literal('bounce'), Type.Literal('complaint'), Type.Literal('manual')], {
      description: 'bounce: a hard bounce that came back to the VERP envelope sender; complaint: a spam report (RFC 5965) about a tracked email; manual: added by an admin',
    }),
    detail: Type.String({ description: "the remote server's words, the feedback type, or the admin's note" }),
    since: Type.String({ description: 'when the address was first suppressed' }),
    emailId: Type.Union([Type.String(), Type.Null()], { description: 'the outbound email that bounced or drew the complaint' }),
    inboundEmailId: Type.Union([Type.String(), Type.Null()], { description: 'the bounce or complaint, filed under that email' }),
    createdBy: Type.Union([Type.String(), Type.Null()]),
  },
  { $id: 'Suppression', description: 'An address Mailtrail does not mail: sending to it is refused with 409 recipient_suppressed unless the request says "force": true; notification rules skip it.' },
);

export const suppressionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const db = () => app.ctx.store.db;

  app.get(
    '/admin/email/suppressions',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        summary: 'Suppressed addresses, newest first',
        querystring: Type.Object({
          q: Type.Optional(Type.String({ maxLength: 254, description: 'part of the address' })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
          offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
        }),
        response: { 200: Type.Object({ entries: Type.Array(SuppressionSchema), total: Type.Integer() }), ...errorResponses },
      },
    },
    async (request) => listSuppressions(db(), request.query),
  );

  app.post(
    '/admin/email/suppressions',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        summary: 'Suppress an address by hand (an address that asked not to be mailed); an address already suppressed keeps its first entry',
        body: Body({ address: EmailAddress, detail: Type.Optional(Type.String({ maxLength: 2000 })) }),
        response: { 201: SuppressionSchema, ...errorResponses },
      },
    },
    async (request, reply) => reply.status(201).send(await addSuppression(db(), callerOf(request).username, request.body.address, request.body.detail)),
  );

  app.delete(
    '/admin/email/suppressions/:address',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        summary: 'Lift a suppression: the address may be mailed again (a new hard bounce suppresses it again)',
        params: Type.Object({ address: EmailAddress }),
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await liftSuppression(db(), request.params.address);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/projects/:key/suppressions/check',
    {
      config: { access: 'project' },
      schema: {
        tags: ['email'],
        summary: 'Which of these addresses are suppressed (the compose box warns before sending); any project member',
        params: ProjectParams,
        body: Body({ addresses: Type.Array(Type.String({ maxLength: 254 }), { maxItems: 200 }) }),
        response: { 200: Type.Object({ suppressed: Type.Array(SuppressionSchema) }), ...errorResponses },
      },
    },
    async (request) => {
      await openProject(db(), callerOf(request), request.params.key);
      return { suppressed: await suppressedAmong(db(), request.body.addresses) };
    },
  );
};
