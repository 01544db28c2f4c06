import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { callerOf } from '../http/auth.js';
import { Body, Id, ProjectKey, errorResponses } from '../http/schemas.js';
import { openProject } from '../projects/index.js';
import * as svc from './comments.service.js';

const CommentSchema = Type.Object({
  id: Type.String(),
  author: Type.Union([Type.String(), Type.Null()]),
  body: Type.String({ description: 'Markdown as written' }),
  mentions: Type.Array(Type.String(), { description: 'usernames of members the comment @mentions' }),
  createdAt: Type.String(),
  updatedAt: Type.String(),
}, { $id: 'RecordComment' });
const CommentBody = Body({ body: Type.String({ minLength: 1, maxLength: 20_000, pattern: '\\S' }) });
const Params = Type.Object({ key: ProjectKey, id: Id });
const OneParams = Type.Object({ key: ProjectKey, id: Id, commentId: Id });

export const commentRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const db = () => app.ctx.store.db;
  const open = (request: Parameters<typeof callerOf>[0], key: string) => openProject(db(), callerOf(request), key);
  app.get(
    '/projects/:key/records/:id/comments',
    { config: { access: 'project' }, schema: { tags: ['comments'], summary: "A record's internal notes, oldest first (needs <category>.view)", params: Params, response: { 200: Type.Object({ comments: Type.Array(CommentSchema) }), ...errorResponses } } },
    async (request) => ({ comments: await svc.listComments(db(), await open(request, request.params.key), request.params.id) }),
  );
  app.post(
    '/projects/:key/records/:id/comments',
    {
      config: { access: 'project' },
      schema: {
        tags: ['comments'],
        summary: 'Add an internal note (needs <category>.edit)',
        description: 'Markdown; never emailed as such. @username of a project member is kept in `mentions`, and that member is notified (once per comment; not the author; docs/notifications.md). The record history notes it; search finds its words.',
        params: Params,
        body: CommentBody,
        response: { 201: CommentSchema, ...errorResponses },
      },
    },
    async (request, reply) => reply.status(201).send(await svc.addComment(db(), await open(request, request.params.key), request.params.id, request.body.body, app.recordNoteHandlers)),
  );
  app.patch(
    '/projects/:key/records/:id/comments/:commentId',
    { config: { access: 'project' }, schema: { tags: ['comments'], summary: 'Change your own note', params: OneParams, body: CommentBody, response: { 200: CommentSchema, ...errorResponses } } },
    async (request) => svc.editComment(db(), await open(request, request.params.key), request.params.id, request.params.commentId, request.body.body, app.recordNoteHandlers),
  );
  app.delete(
    '/projects/:key/records/:id/comments/:commentId',
    { config: { access: 'project' }, schema: { tags: ['comments'], summary: 'Delete your own note (the admin may delete any)', params: OneParams, response: { 204: Type.Null(), ...errorResponses } } },
    async (request, reply) => {
      await svc.deleteComment(db(), await open(request, request.params.key), request.params.id, request.params.commentId);
      return reply.status(204).send(null);
    },
  );
};
