import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { badRequest, notFound } from '../errors.js';
import * as svc from './emails.service.js';
import { findAttachment } from '../store/emails.repository.js';
import { callerOf } from '../http/auth.js';
import { Body, Id, ProjectKey, errorResponses } from '../http/schemas.js';
import { SuppressionSchema } from '../suppression/index.js';

const Recipient = Type.String({ minLength: 1, maxLength: 254 });
const AttachmentIn = Type.Object(
  {
    filename: Type.String({ minLength: 1, maxLength: 255 }),
    contentType: Type.String({ minLength: 3, maxLength: 255 }),
    contentBase64: Type.String({ maxLength: 30_000_000 }),
  },
  { $id: 'AttachmentUpload', additionalProperties: false },
);
export const MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024;
/** 20 MB of attachments in base64 plus the text and HTML: the only routes that need big bodies. */
const EMAIL_BODY_LIMIT = 32 * 1024 * 1024;

const Verdict = Type.Union(['pass', 'fail', 'softfail', 'neutral', 'none', 'temperror', 'permerror', 'policy'].map((v) => Type.Literal(v)));
const AuthSchema = Type.Object(
  {
    spf: Type.Object({ result: Verdict, domain: Type.Optional(Type.String()), clientIp: Type.Optional(Type.String()) }),
    dkim: Type.Object({
      result: Verdict,
      signatures: Type.Array(Type.Object({ domain: Type.String(), selector: Type.Optional(Type.String()), result: Verdict, aligned: Type.Boolean() })),
    }),
    dmarc: Type.Object({ result: Verdict, domain: Type.Optional(Type.String()), policy: Type.Optional(Type.String()) }),
    fromDomain: Type.Optional(Type.String()),
  },
  {
    $id: 'MailAuth',
    description:
      'Inbound only: SPF (client address from the first non-loopback Received hop), DKIM and DMARC of the message as judged with mailauth when it was filed. DMARC fail marks the reply flags.unexpectedSender and flags.dmarcFailed even from a known party.',
  },
);

const EmailSchema = Type.Object(
  {
    id: Type.String(),
    parentId: Type.Union([Type.String(), Type.Null()]),
    recordId: Type.String(),
    direction: Type.Union([Type.Literal('outbound'), Type.Literal('inbound')]),
    source: Type.String(),
    status: Type.String(),
    error: Type.Optional(Type.String()),
    tracked: Type.Boolean(),
    from: Type.String(),
    fromName: Type.String(),
    to: Type.Array(Type.String()),
    cc: Type.Array(Type.String()),
    bcc: Type.Optional(Type.Array(Type.String(), { description: 'our own emails only: envelope recipients, never in the headers' })),
    subject: Type.String(),
    text: Type.String(),
    html: Type.Optional(Type.String()),
    replyText: Type.Union([Type.String(), Type.Null()]),
    quotedText: Type.Optional(Type.String()),
    replySegments: Type.Optional(Type.Array(Type.Object({ kind: Type.Union([Type.Literal('reply'), Type.Literal('quote')]), text: Type.String() }))),
    messageId: Type.Union([Type.String(), Type.Null()]),
    template: Type.Optional(Type.String()),
    date: Type.String(),
    depth: Type.Integer(),
    flags: Type.Record(Type.String(), Type.Unknown()),
    attachments: Type.Array(Type.Object({ id: Type.String(), filename: Type.String(), contentType: Type.String(), size: Type.Integer() })),
    deleted: Type.Optional(
      Type.Object(
        { at: Type.String(), by: Type.Union([Type.String(), Type.Null()]) },
        { description: 'a deleted email kept as a trace so its replies stay in their thread' },
      ),
    ),
    auth: Type.Optional(AuthSchema),
  },
  { $id: 'Email' },
);

const To = Type.Array(Recipient, { minItems: 1, maxItems: 100, description: 'addresses or usernames' });
const messageFields = {
  cc: Type.Optional(Type.Array(Recipient, { maxItems: 100 })),
  bcc: Type.Optional(Type.Array(Recipient, { maxItems: 100, description: 'on the envelope only: they receive the email, its headers never name them' })),
  subject: Type.Optional(Type.String({ maxLength: 998 })),
  text: Type.Optional(Type.String({ maxLength: 1_000_000 })),
  html: Type.Optional(Type.String({ maxLength: 2_000_000 })),
  template: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  attachments: Type.Optional(Type.Array(AttachmentIn, { maxItems: 20 })),
  force: Type.Optional(
    Type.Boolean({
      description:
        'send even to suppressed addresses; without it such a send is refused with 409 recipient_suppressed, whose details.suppressed lists each address and why',
    }),
  ),
};
const SendBody = Body({ to: To, ...messageFields });
/** A reply defaults its recipients (see replyToEmail), so "to" is optional. */
const ReplyBody = Body({
  to: Type.Optional(To),
  ...messageFields,
  replyAll: Type.Optional(
    Type.Boolean({ description: 'default recipients of a reply to all: To the sender, Cc everyone else the email named, without our own addresses' }),
  ),
});
const ForwardBody = Body({
  to: To,
  ...messageFields,
  text: Type.Optional(Type.String({ maxLength: 1_000_000, description: 'your words above the forwarded message' })),
  attachments: Type.Optional(
    Type.Array(AttachmentIn, { maxItems: 20, description: "sent instead of the original's attachments; without it they are carried over" }),
  ),
});
const ReplyRecipientsSchema = Type.Object({ to: Type.Array(Type.String()), cc: Type.Array(Type.String()) });

const Queued = Type.Object({ id: Type.String(), status: Type.Literal('queued') });

export function decodeAttachments(list: { filename: string; contentType: string; contentBase64: string }[] | undefined) {
  if (!list) return undefined;
  const out = list.map((a) => ({
    filename: a.filename.replace(/[\r\n"\\/]/g, '_'),
    contentType: a.contentType,
    content: Buffer.from(a.contentBase64, 'base64'),
  }));
  if (out.reduce((n, a) => n + a.content.length, 0) > MAX_ATTACHMENT_BYTES) {
    throw badRequest('attachments_too_large', `Attachments may add up to ${MAX_ATTACHMENT_BYTES / 1024 / 1024} MB.`);
  }
  return out;
}

export function emailRoutes(deps: svc.EmailsDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    const ctx = () => app.ctx;
    const RecordParams = Type.Object({ key: ProjectKey, id: Id });
    const EmailParams = Type.Object({ id: Id });

    app.post(
      '/projects/:key/records/:id/emails',
      {
        bodyLimit: EMAIL_BODY_LIMIT,
        config: { access: 'project' },
        schema: {
          tags: ['email'],
          summary: 'Send a tracked email about a record (needs <category>.sendTrackedEmail)',
          description:
            'Refused with 409 recipient_suppressed when a recipient is on the suppression list (a hard bounce, a spam complaint, or an admin), unless "force": true.',
          params: RecordParams,
          body: SendBody,
          response: { 202: Queued, ...errorResponses },
        },
      },
      async (request, reply) => {
        const { attachments, ...rest } = request.body;
        const decoded = decodeAttachments(attachments);
        const row = await svc.sendRecordEmail(
          ctx(),
          callerOf(request),
          request.params.key,
          request.params.id,
          { ...rest, ...(decoded ? { attachments: decoded } : {}) },
          deps,
        );
        return reply.status(202).send({ id: row.id, status: 'queued' as const });
      },
    );

    app.get(
      '/projects/:key/records/:id/emails',
      {
        bodyLimit: EMAIL_BODY_LIMIT,
        config: { access: 'project' },
        schema: {
          tags: ['email'],
          summary: 'Tracked emails of a record in thread order (needs <category>.viewTrackedEmail)',
          params: RecordParams,
          response: {
            200: Type.Object({
              emails: Type.Array(EmailSchema),
              suppressed: Type.Array(SuppressionSchema, {
                description: 'suppressed addresses among the recipients and senders of these emails ("bounced on …")',
              }),
            }),
            ...errorResponses,
          },
        },
      },
      async (request) => {
        const emails = await svc.listEmails(ctx(), callerOf(request), request.params.key, request.params.id);
        return { emails, suppressed: await svc.suppressedInThread(ctx(), emails) };
      },
    );

    app.get(
      '/emails/:id',
      {
        config: { access: 'project' },
        schema: { tags: ['email'], summary: 'One tracked email', params: EmailParams, response: { 200: EmailSchema, ...errorResponses } },
      },
      async (request) => svc.getEmail(ctx(), callerOf(request), request.params.id),
    );

    app.get(
      '/emails/:id/raw',
      {
        config: { access: 'project' },
        schema: { tags: ['email'], summary: 'The message exactly as sent or received (message/rfc822)', params: EmailParams },
      },
      async (request, reply) => {
        const { email } = await svc.openEmail(ctx(), callerOf(request), request.params.id, 'viewTrackedEmail');
        if (!email.raw_blob) throw notFound('raw_not_available', 'This email has no stored raw message.');
        return reply
          .header('content-type', 'message/rfc822')
          .header('content-disposition', `inline; filename="${email.id}.eml"`)
          .send(ctx().blobs.stream(email.raw_blob));
      },
    );

    app.get(
      '/emails/:id/attachments/:attachmentId',
      {
        config: { access: 'project' },
        schema: { tags: ['email'], summary: 'An attachment of an email', params: Type.Object({ id: Id, attachmentId: Id }) },
      },
      async (request, reply) => {
        const { email } = await svc.openEmail(ctx(), callerOf(request), request.params.id, 'viewTrackedEmail');
        const att = await findAttachment(ctx().store.db, email.id, request.params.attachmentId);
        if (!att) throw notFound('attachment_not_found', 'There is no such attachment.');
        // Served as a download, never rendered in our origin: an HTML attachment must not run as our page.
        return reply
          .header('content-type', att.content_type.includes('html') ? 'application/octet-stream' : att.content_type)
          .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(att.filename)}`)
          .header('x-content-type-options', 'nosniff')
          .send(ctx().blobs.stream(att.blob));
      },
    );

    app.post(
      '/emails/:id/reply',
      {
        bodyLimit: EMAIL_BODY_LIMIT,
        config: { access: 'project' },
        schema: {
          tags: ['email'],
          summary: 'Reply to a tracked email (needs <category>.replyTrackedEmail)',
          description: 'Refused with 409 recipient_suppressed when a recipient is on the suppression list, unless "force": true.',
          params: EmailParams,
          body: ReplyBody,
          response: { 202: Queued, ...errorResponses },
        },
      },
      async (request, reply) => {
        const { attachments, ...rest } = request.body;
        const decoded = decodeAttachments(attachments);
        const row = await svc.replyToEmail(ctx(), callerOf(request), request.params.id, { ...rest, ...(decoded ? { attachments: decoded } : {}) }, deps);
        return reply.status(202).send({ id: row.id, status: 'queued' as const });
      },
    );

    app.get(
      '/emails/:id/reply-recipients',
      {
        config: { access: 'project' },
        schema: {
          tags: ['email'],
          summary: 'Who a reply (or, with all=true, a reply to all) goes to by default (needs <category>.replyTrackedEmail)',
          params: EmailParams,
          querystring: Type.Object({ all: Type.Optional(Type.Boolean()) }),
          response: { 200: ReplyRecipientsSchema, ...errorResponses },
        },
      },
      async (request) => svc.replyRecipientsOf(ctx(), callerOf(request), request.params.id, request.query.all === true),
    );

    app.post(
      '/emails/:id/forward',
      {
        bodyLimit: EMAIL_BODY_LIMIT,
        config: { access: 'project' },
        schema: {
          tags: ['email'],
          summary: 'Forward an email of the record, with its attachments, to new recipients (needs <category>.sendTrackedEmail)',
          description:
            'A tracked email like any other, filed under the forwarded one; answers come back to the record and to you. Refused with 409 recipient_suppressed like a send.',
          params: EmailParams,
          body: ForwardBody,
          response: { 202: Queued, ...errorResponses },
        },
      },
      async (request, reply) => {
        const { attachments, ...rest } = request.body;
        const decoded = decodeAttachments(attachments);
        const row = await svc.forwardEmail(ctx(), callerOf(request), request.params.id, { ...rest, ...(decoded ? { attachments: decoded } : {}) }, deps);
        return reply.status(202).send({ id: row.id, status: 'queued' as const });
      },
    );

    app.delete(
      '/emails/:id',
      {
        config: { access: 'project' },
        schema: {
          tags: ['email'],
          summary: 'Delete a tracked email (needs <category>.deleteTrackedEmail)',
          params: EmailParams,
          response: { 204: Type.Null(), ...errorResponses },
        },
      },
      async (request, reply) => {
        await svc.deleteEmail(ctx(), callerOf(request), request.params.id);
        return reply.status(204).send(null);
      },
    );
  };
}
