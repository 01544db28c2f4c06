import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { callerOf } from '../http/auth.js';
import { decodeAttachments } from './emails.routes.js';
import { Body, Id, ProjectKey, errorResponses } from '../http/schemas.js';
import type { EmailsDeps } from './emails.service.js';
import * as svc from './drafts.service.js';

const Recipients = Type.Array(Type.String({ minLength: 1, maxLength: 254 }), { maxItems: 100, description: 'addresses or usernames, as typed' });
const DraftKind = Type.Union([Type.Literal('new'), Type.Literal('reply'), Type.Literal('forward')]);
const Attachment = Type.Object({ id: Type.String(), filename: Type.String(), contentType: Type.String(), size: Type.Integer() });
const DraftSchema = Type.Object(
  {
    id: Type.String({ description: 'also the id of the email once sent' }),
    recordId: Type.String(),
    kind: DraftKind,
    parentId: Type.Union([Type.String(), Type.Null()], { description: 'the email a reply answers or a forward carries' }),
    to: Type.Array(Type.String()),
    cc: Type.Array(Type.String()),
    bcc: Type.Array(Type.String()),
    subject: Type.String(),
    text: Type.String(),
    template: Type.Union([Type.String(), Type.Null()]),
    attachments: Type.Array(Attachment),
    subjectOnWire: Type.Union([Type.String(), Type.Null()], {
      description: 'the subject exactly as recipients will see it (record tag and tracking token); null while the template gives the subject',
    }),
    createdAt: Type.String(),
    updatedAt: Type.String(),
  },
  { $id: 'EmailDraft' },
);
const fields = {
  to: Type.Optional(Recipients),
  cc: Type.Optional(Recipients),
  bcc: Type.Optional(Recipients),
  subject: Type.Optional(Type.String({ maxLength: 998 })),
  text: Type.Optional(Type.String({ maxLength: 1_000_000 })),
  template: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()])),
};
const NewDraftBody = Body({
  kind: Type.Optional(DraftKind),
  parentId: Type.Optional(Id),
  replyAll: Type.Optional(
    Type.Boolean({ description: 'a reply starts addressed to all: To the sender, Cc everyone else the email named, without our own addresses' }),
  ),
  ...fields,
});
const SaveBody = Body(fields);
const AttachBody = Body({
  filename: Type.String({ minLength: 1, maxLength: 255 }),
  contentType: Type.String({ minLength: 3, maxLength: 255 }),
  contentBase64: Type.String({ maxLength: 30_000_000 }),
});
/** One attachment of up to 20 MB in base64, and a little JSON around it. */
const ATTACH_BODY_LIMIT = 28 * 1024 * 1024;
const Queued = Type.Object({ id: Type.String(), status: Type.Literal('queued') });

/** Drafts of tracked email: kept per record and per user on the server until sent or discarded. */
export function draftRoutes(deps: EmailsDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    const ctx = () => app.ctx;
    const RecordParams = Type.Object({ key: ProjectKey, id: Id });
    const DraftParams = Type.Object({ draftId: Id });

    app.get(
      '/projects/:key/records/:id/drafts',
      {
        config: { access: 'project' },
        schema: {
          tags: ['email'],
          summary: 'Your drafts on a record (nobody else sees them)',
          params: RecordParams,
          response: { 200: Type.Object({ drafts: Type.Array(DraftSchema) }), ...errorResponses },
        },
      },
      async (request) => ({ drafts: await svc.listDrafts(ctx(), callerOf(request), request.params.key, request.params.id) }),
    );
    app.post(
      '/projects/:key/records/:id/drafts',
      {
        config: { access: 'project' },
        schema: {
          tags: ['email'],
          summary: 'Start a draft: a new email (needs <category>.sendTrackedEmail), a reply (replyTrackedEmail) or a forward (sendTrackedEmail)',
          description: 'A reply starts with its default recipients and "Re:" subject; a forward with "Fwd:" and the forwarded email\'s attachments.',
          params: RecordParams,
          body: NewDraftBody,
          response: { 201: DraftSchema, ...errorResponses },
        },
      },
      async (request, reply) => reply.status(201).send(await svc.createDraft(ctx(), callerOf(request), request.params.key, request.params.id, request.body)),
    );
    app.get(
      '/drafts/:draftId',
      {
        config: { access: 'project' },
        schema: { tags: ['email'], summary: 'One of your drafts', params: DraftParams, response: { 200: DraftSchema, ...errorResponses } },
      },
      async (request) => svc.getDraft(ctx(), callerOf(request), request.params.draftId),
    );
    app.patch(
      '/drafts/:draftId',
      {
        config: { access: 'project' },
        schema: {
          tags: ['email'],
          summary: 'Save what was typed; fields left out stay',
          params: DraftParams,
          body: SaveBody,
          response: { 200: DraftSchema, ...errorResponses },
        },
      },
      async (request) => svc.saveDraft(ctx(), callerOf(request), request.params.draftId, request.body),
    );
    app.delete(
      '/drafts/:draftId',
      {
        config: { access: 'project' },
        schema: { tags: ['email'], summary: 'Discard a draft', params: DraftParams, response: { 204: Type.Null(), ...errorResponses } },
      },
      async (request, reply) => {
        await svc.discardDraft(ctx(), callerOf(request), request.params.draftId);
        return reply.status(204).send(null);
      },
    );
    app.post(
      '/drafts/:draftId/attachments',
      {
        bodyLimit: ATTACH_BODY_LIMIT,
        config: { access: 'project' },
        schema: {
          tags: ['email'],
          summary: 'Attach a file to a draft',
          description: `Refused with 400 attachments_too_large when the draft's attachments would add up to more than ${svc.MAX_DRAFT_ATTACHMENT_BYTES / 1024 / 1024} MB.`,
          params: DraftParams,
          body: AttachBody,
          response: { 201: DraftSchema, ...errorResponses },
        },
      },
      async (request, reply) => {
        const [file] = decodeAttachments([request.body])!;
        return reply.status(201).send(await svc.attachToDraft(ctx(), callerOf(request), request.params.draftId, file!));
      },
    );
    app.delete(
      '/drafts/:draftId/attachments/:attachmentId',
      {
        config: { access: 'project' },
        schema: {
          tags: ['email'],
          summary: 'Remove a file from a draft',
          params: Type.Object({ draftId: Id, attachmentId: Id }),
          response: { 200: DraftSchema, ...errorResponses },
        },
      },
      async (request) => svc.detachFromDraft(ctx(), callerOf(request), request.params.draftId, request.params.attachmentId),
    );
    app.post(
      '/drafts/:draftId/send',
      {
        config: { access: 'project' },
        schema: {
          tags: ['email'],
          summary: 'Send a draft; it becomes the email (same id) and is gone',
          description: 'Refused with 409 recipient_suppressed like any send, unless "force": true; the draft then stays.',
          params: DraftParams,
          body: Body({ force: Type.Optional(Type.Boolean()) }),
          response: { 202: Queued, ...errorResponses },
        },
      },
      async (request, reply) => {
        const row = await svc.sendDraft(ctx(), callerOf(request), request.params.draftId, request.body, deps);
        return reply.status(202).send({ id: row.id, status: 'queued' as const });
      },
    );
  };
}
