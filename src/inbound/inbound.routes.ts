import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { badRequest, notFound } from '../errors.js';
import { findInbound, listInbound } from './inbound.repository.js';
import type { InboundRow } from './inbound.table.js';
import { REASONS, type Outcome, type Reason } from './outcomes.js';
import { REPROCESSABLE, processInbound } from './pipeline.js';
import { attachManually, createRecordFromInbound, dismissInbound, parseForAdmin } from './manual.js';
import { titleFromSubject } from '../emailimport/index.js';
import { RECORD_TYPES } from '../domain/commands.js';
import type { InboundState } from '../store/schema.js';
import { Body, Id, errorResponses } from '../http/schemas.js';

const StateFilter = Type.Union((['unmatched', 'rejected', 'dismissed', 'stored', 'attached', 'bounce', 'auto_reply'] as const).map((s) => Type.Literal(s)));

const InboundMessageSchema = Type.Object(
  {
    id: Type.String(),
    from: Type.Union([Type.String(), Type.Null()]),
    subject: Type.Union([Type.String(), Type.Null()]),
    receivedAt: Type.String(),
    state: Type.String(),
    reason: Type.Union([Type.String(), Type.Null()]),
    detail: Type.Union([Type.String(), Type.Null()]),
    /** The sentence an administrator reads for `reason`. */
    message: Type.Union([Type.String(), Type.Null()]),
    canRetry: Type.Boolean(),
    /** The email this message became (attached, bounce, auto-reply). */
    emailId: Type.Union([Type.String(), Type.Null()]),
    /** The tracked email the message named, also when it was not attached there. */
    targetEmailId: Type.Union([Type.String(), Type.Null()]),
    size: Type.Integer(),
    attempts: Type.Integer(),
    removedFromServer: Type.Boolean(),
  },
  { $id: 'InboundMessage' },
);

const ProcessedSchema = Type.Object(
  {
    message: InboundMessageSchema,
    outcome: Type.Object({
      kind: Type.String(),
      reason: Type.Optional(Type.String()),
      emailId: Type.Optional(Type.String()),
      recordId: Type.Optional(Type.String()),
    }),
  },
  { $id: 'InboundProcessed' },
);

function toPublic(row: InboundRow) {
  const info = row.reason && row.reason in REASONS ? REASONS[row.reason as Reason] : undefined;
  return {
    id: row.id,
    from: row.from_address,
    subject: row.subject,
    receivedAt: row.received_at,
    state: row.state,
    reason: row.reason,
    detail: row.detail,
    message: info?.message ?? null,
    canRetry: REPROCESSABLE.includes(row.state) && (info?.canRetry ?? row.state === 'stored'),
    emailId: row.email_id,
    targetEmailId: row.target_email_id,
    size: row.size,
    attempts: row.attempts,
    removedFromServer: row.removed_from_server === 1,
  };
}

function outcomeSummary(o: Outcome) {
  if (o.kind === 'unmatched' || o.kind === 'rejected') return { kind: o.kind, reason: o.reason };
  return { kind: o.kind, emailId: o.inboundEmailId, ...(o.kind === 'attached' && o.createdRecordId ? { recordId: o.createdRecordId } : {}) };
}

const PartySchema = Type.Object({ name: Type.Optional(Type.String()), address: Type.String() });
const PreviewSchema = Type.Object(
  {
    from: Type.Union([PartySchema, Type.Null()]),
    to: Type.Array(PartySchema),
    cc: Type.Array(PartySchema),
    subject: Type.String(),
    date: Type.Union([Type.String(), Type.Null()]),
    /** The plain text (derived from the HTML when there is none); never rendered HTML. */
    text: Type.String(),
    attachments: Type.Array(Type.Object({ filename: Type.String(), contentType: Type.String(), size: Type.Integer() })),
    /** What "Create record" would use as the title. */
    suggestedTitle: Type.String(),
  },
  { $id: 'InboundPreview' },
);

/** Admin review of inbound mail that was not filed automatically (unmatched, rejected). */
export const inboundRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ctx = () => app.ctx;
  const Params = Type.Object({ id: Id });

  async function load(id: string): Promise<InboundRow> {
    const row = await findInbound(ctx().store.db, id);
    if (!row) throw notFound('inbound_not_found', `No inbound message ${id}.`);
    return row;
  }

  app.get(
    '/admin/inbound',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        summary: 'Inbound messages by state, newest first (default: unmatched and rejected)',
        querystring: Type.Object({
          state: Type.Optional(Type.Union([StateFilter, Type.Array(StateFilter)])),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
          before: Type.Optional(Id),
        }),
        response: { 200: Type.Object({ messages: Type.Array(InboundMessageSchema) }), ...errorResponses },
      },
    },
    async (request) => {
      const q = request.query;
      const states: InboundState[] = q.state === undefined ? ['unmatched', 'rejected'] : Array.isArray(q.state) ? q.state : [q.state];
      const rows = await listInbound(ctx().store.db, { states, limit: q.limit ?? 100, ...(q.before ? { before: q.before } : {}) });
      return { messages: rows.map(toPublic) };
    },
  );

  app.get(
    '/admin/inbound/:id',
    {
      config: { access: 'admin' },
      schema: { tags: ['admin'], summary: 'One inbound message', params: Params, response: { 200: InboundMessageSchema, ...errorResponses } },
    },
    async (request) => toPublic(await load(request.params.id)),
  );

  app.post(
    '/admin/inbound/:id/attach',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        summary:
          'File the message by hand: with emailId as a reply under that email, forwarded like any reply; with recordId on that record without a parent, never forwarded',
        params: Params,
        body: Body({
          emailId: Type.Optional(Id),
          recordId: Type.Optional(Type.String({ ...Id, description: 'a record with no email to reply under; exactly one of emailId and recordId' })),
        }),
        response: { 200: ProcessedSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { emailId, recordId } = request.body;
      // One target, never both: a message has exactly one place in a record's email.
      if ((emailId === undefined) === (recordId === undefined)) {
        throw badRequest('attach_target', 'Give either emailId (file it as a reply under that email) or recordId (file it on that record), not both.');
      }
      const outcome = await attachManually(ctx(), request.params.id, emailId !== undefined ? { emailId } : { recordId: recordId! });
      return { message: toPublic(await load(request.params.id)), outcome: outcomeSummary(outcome) };
    },
  );

  app.post(
    '/admin/inbound/:id/dismiss',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        summary: 'Set the message aside (it leaves the lists; the raw message is kept)',
        params: Params,
        response: { 200: InboundMessageSchema, ...errorResponses },
      },
    },
    async (request) => toPublic(await dismissInbound(ctx(), request.params.id)),
  );

  app.post(
    '/admin/inbound/:id/reprocess',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        summary: 'Run the message through the inbound pipeline again',
        params: Params,
        response: { 200: ProcessedSchema, ...errorResponses },
      },
    },
    async (request) => {
      const outcome = await processInbound(ctx(), request.params.id, REPROCESSABLE);
      return { message: toPublic(await load(request.params.id)), outcome: outcomeSummary(outcome) };
    },
  );

  app.get(
    '/admin/inbound/:id/preview',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        summary: 'The message as text: sender, recipients, subject, body and attachment names, to read before deciding',
        params: Params,
        response: { 200: PreviewSchema, ...errorResponses },
      },
    },
    async (request) => {
      const row = await load(request.params.id);
      const msg = await parseForAdmin(ctx(), row);
      const party = (a: { name?: string; address: string }) => (a.name ? { name: a.name, address: a.address } : { address: a.address });
      return {
        from: msg.from ? party(msg.from) : null,
        to: msg.to.map(party),
        cc: msg.cc.map(party),
        subject: msg.subject,
        date: msg.date && !Number.isNaN(msg.date.getTime()) ? msg.date.toISOString() : null,
        text: (msg.text ?? '').slice(0, 200_000),
        attachments: msg.attachments
          .filter((a) => !a.contentType.startsWith('message/delivery'))
          .map((a) => ({ filename: a.filename, contentType: a.contentType, size: a.size })),
        suggestedTitle: titleFromSubject(msg.subject),
      };
    },
  );

  app.post(
    '/admin/inbound/:id/create-record',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        summary: 'Create a record from the message: it becomes the first inbound email of a new record; sender, To and Cc become participants',
        params: Params,
        body: Body({
          project: Type.String({ minLength: 1, maxLength: 16, description: 'project key' }),
          type: Type.Union(RECORD_TYPES.map((t) => Type.Literal(t))),
          title: Type.Optional(Type.String({ maxLength: 500, description: 'default: the subject without tags and Re:/Fwd:' })),
          acknowledge: Type.Optional(Type.Boolean({ description: 'send the acknowledgement to the sender (default true)' })),
        }),
        response: { 200: ProcessedSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { project, type, title, acknowledge } = request.body;
      const outcome = await createRecordFromInbound(ctx(), request.params.id, {
        projectKey: project,
        type,
        ...(title !== undefined ? { title } : {}),
        ...(acknowledge !== undefined ? { acknowledge } : {}),
      });
      return { message: toPublic(await load(request.params.id)), outcome: outcomeSummary(outcome) };
    },
  );

  app.get(
    '/admin/inbound/:id/raw',
    {
      config: { access: 'admin' },
      schema: { tags: ['admin'], summary: 'The message exactly as fetched from the tracking account (message/rfc822)', params: Params },
    },
    async (request, reply) => {
      const row = await load(request.params.id);
      return reply
        .type('message/rfc822')
        .header('content-disposition', `attachment; filename="inbound-${row.id}.eml"`)
        .header('x-content-type-options', 'nosniff')
        .send(ctx().blobs.stream(row.raw_blob));
    },
  );
};
