import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import {
  DEFAULT_LIST_LIMIT,
  composeNew,
  listMessages,
  readAttachment,
  readMessage,
  replyToMessage,
  sendThroughSandbox,
  type Party,
} from '../demo/index.js';
import { sandboxReach, reaches, type SandboxCustomers } from '../demo/index.js';
import { forbidden, notFound } from '../errors.js';
import { clock } from '../clock.js';
import { normalizeAddress, type Sandbox } from './index.js';
import type { Executor } from '../store/db.js';
import { findUsersByEmail } from '../store/users.repository.js';
import { callerOf, type RouteAccess } from '../http/auth.js';
import { Body, EmailAddress, errorResponses } from '../http/schemas.js';

export interface SandboxRoutesOptions {
  /** The running sandbox, or undefined (not started, or stopped): routes then answer 404. */
  sandbox: () => Sandbox | undefined;
  /** Where the sandbox listens (it binds one address for SMTP and POP3). */
  host: string;
  /** 'user' in demo mode, where the sandbox is everybody's mail program; 'admin' otherwise. */
  access: Extract<RouteAccess, 'user' | 'admin'>;
  /**
   * The made-up customers whose mailboxes a project's members share (demo mode: the demo
   * customer, for members of DEMO). Everyone but the admin reaches only these and their own.
   */
  customers?: readonly SandboxCustomers[];
}

const MailboxSchema = Type.Object({ address: Type.String(), count: Type.Integer(), size: Type.Integer() }, { $id: 'Mailbox' });
const SummarySchema = Type.Object({
  id: Type.String(),
  from: Type.String(),
  to: Type.Array(Type.String()),
  subject: Type.String(),
  date: Type.String(),
  size: Type.Integer(),
}, { $id: 'SandboxSummary' });
const MessageSchema = Type.Object({
  id: Type.String(),
  from: Type.String(),
  to: Type.Array(Type.String()),
  cc: Type.Array(Type.String()),
  subject: Type.String(),
  date: Type.String(),
  messageId: Type.Union([Type.String(), Type.Null()]),
  text: Type.String(),
  html: Type.Union([Type.String(), Type.Null()], { description: 'sanitized; remote images replaced unless ?images=1' }),
  blockedImages: Type.Integer({ description: 'remote images left out of html' }),
  attachments: Type.Array(Type.Object({ index: Type.Integer(), filename: Type.String(), contentType: Type.String(), size: Type.Integer() })),
  headers: Type.Array(Type.Tuple([Type.String(), Type.String()])),
}, { $id: 'SandboxMessage' });
const Sent = Type.Object({ messageId: Type.String() });
/** 1M characters of text and 2M of HTML, JSON-escaped. */
const SANDBOX_BODY_LIMIT = 8 * 1024 * 1024;
const unavailable = { 503: errorResponses[404] };

const MailboxParams = Type.Object({ address: Type.String({ minLength: 3, maxLength: 254, description: 'URL-encoded address' }) });
const MessageParams = Type.Object({ ...MailboxParams.properties, id: Type.String({ minLength: 1, maxLength: 64 }) });
const AttachmentParams = Type.Object({ ...MessageParams.properties, index: Type.Integer({ minimum: 0, maximum: 10_000 }) });
const Flag = Type.Union([Type.Literal('1'), Type.Literal('0'), Type.Literal('true'), Type.Literal('false')]);

/** Keeps a file name usable in the plain `filename=` fallback: ASCII, no quotes or separators. */
function asciiFilename(name: string): string {
  return name.replace(/[^\x20-\x7e]|["\\/;]/g, '_').slice(0, 150) || 'attachment';
}

async function ownerOf(db: Executor, address: string): Promise<Party> {
  const [user] = await findUsersByEmail(db, address);
  return user ? { name: user.full_name, address } : { address };
}

/** CONTRACT section 6: `/sandbox` — read any sandbox mailbox and reply as its owner. */
export function sandboxRoutes(opts: SandboxRoutesOptions): FastifyPluginAsyncTypebox {
  return async (app) => {
    const config = { access: opts.access };
    const running = (): Sandbox => {
      const sandbox = opts.sandbox();
      if (!sandbox) throw notFound('sandbox_not_running', 'The mail sandbox is not running (it runs in demo mode or with "mailtrail sandbox").');
      return sandbox;
    };
    const customers = opts.customers ?? [];
    const reachOf = (request: FastifyRequest) => sandboxReach(app.ctx.store.db, callerOf(request), customers);
    /**
     * The mailbox named in the URL, if the caller may use it. Another person's mailbox answers
     * the same 404 as one that does not exist, so it tells nothing about who got mail.
     */
    const mailbox = async (request: FastifyRequest & { params: { address: string } }): Promise<string> => {
      const address = normalizeAddress(request.params.address);
      if (!reaches(await reachOf(request), address)) throw notFound('mailbox_not_found', `No mailbox ${request.params.address.slice(0, 80)} that you can open.`);
      return address;
    };

    app.get(
      '/sandbox',
      {
        config,
        schema: {
          tags: ['sandbox'],
          summary: 'Whether the mail sandbox runs, and on which ports',
          response: {
            200: Type.Object({ running: Type.Boolean(), host: Type.Optional(Type.String()), smtpPort: Type.Optional(Type.Integer()), pop3Port: Type.Optional(Type.Integer()) }),
            ...errorResponses,
          },
        },
      },
      async () => {
        const sandbox = opts.sandbox();
        return sandbox ? { running: true, host: opts.host, smtpPort: sandbox.smtpPort, pop3Port: sandbox.pop3Port } : { running: false };
      },
    );

    app.get(
      '/sandbox/mailboxes',
      {
        config,
        schema: {
          tags: ['sandbox'],
          summary: 'The sandbox mailboxes the caller may open',
          description:
            'The admin sees every mailbox. Anyone else sees their own address and the customer addresses of the projects they are a member of (in demo mode customer@demo.test, for members of DEMO), listed even while empty.',
          response: { 200: Type.Object({ mailboxes: Type.Array(MailboxSchema) }), ...errorResponses },
        },
      },
      async (request) => {
        const all = await running().store.mailboxes();
        const reach = await reachOf(request);
        if (reach.all) return { mailboxes: all };
        const present = all.filter((m) => reach.addresses.has(m.address));
        const empty = [...reach.addresses].filter((a) => !present.some((m) => m.address === a)).map((address) => ({ address, count: 0, size: 0 }));
        return { mailboxes: [...present, ...empty].sort((a, b) => a.address.localeCompare(b.address)) };
      },
    );

    app.get(
      '/sandbox/mailboxes/:address/messages',
      {
        config,
        schema: {
          tags: ['sandbox'],
          summary: 'Messages of a mailbox, newest first',
          params: MailboxParams,
          querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: DEFAULT_LIST_LIMIT })) }),
          response: { 200: Type.Object({ total: Type.Integer(), messages: Type.Array(SummarySchema) }), ...errorResponses },
        },
      },
      async (request) => listMessages(running().store, await mailbox(request), request.query.limit),
    );

    app.get(
      '/sandbox/mailboxes/:address/messages/:id',
      {
        config,
        schema: {
          tags: ['sandbox'],
          summary: 'One message, parsed; html is sanitized',
          params: MessageParams,
          querystring: Type.Object({ images: Type.Optional(Flag) }),
          response: { 200: MessageSchema, ...errorResponses },
        },
      },
      async (request) => {
        const remoteImages = request.query.images === '1' || request.query.images === 'true';
        return readMessage(running().store, await mailbox(request), request.params.id, { remoteImages });
      },
    );

    app.get(
      '/sandbox/mailboxes/:address/messages/:id/raw',
      {
        config,
        schema: { tags: ['sandbox'], summary: 'The message exactly as filed (message/rfc822)', params: MessageParams, response: { 200: Type.Unknown({ description: 'message/rfc822' }), ...errorResponses } },
      },
      async (request, reply) => {
        const stream = await running().store.createReadStream(await mailbox(request), request.params.id);
        return reply
          .header('content-type', 'message/rfc822')
          .header('content-disposition', `inline; filename="${request.params.id}.eml"`)
          .header('x-content-type-options', 'nosniff')
          .send(stream);
      },
    );

    app.get(
      '/sandbox/mailboxes/:address/messages/:id/attachments/:index',
      {
        config,
        schema: { tags: ['sandbox'], summary: 'Download an attachment (by its index in the message view)', params: AttachmentParams, response: { 200: Type.Unknown({ description: 'the file' }), ...errorResponses } },
      },
      async (request, reply) => {
        const { id, index } = request.params;
        const file = await readAttachment(running().store, await mailbox(request), id, index);
        // Always a download, never rendered in our origin: an HTML or SVG attachment must not run as our page.
        const active = /html|xml|svg|javascript/i.test(file.contentType);
        return reply
          .header('content-type', active ? 'application/octet-stream' : file.contentType)
          .header('content-disposition', `attachment; filename="${asciiFilename(file.filename)}"; filename*=UTF-8''${encodeURIComponent(file.filename)}`)
          .header('x-content-type-options', 'nosniff')
          .send(file.content);
      },
    );

    app.delete(
      '/sandbox/mailboxes/:address/messages/:id',
      {
        config,
        schema: { tags: ['sandbox'], summary: 'Delete a message', params: MessageParams, response: { 204: Type.Null(), ...errorResponses } },
      },
      async (request, reply) => {
        const { address, id } = request.params;
        const removed = await running().store.remove(await mailbox(request), id);
        if (!removed) throw notFound('message_not_found', `No message ${id.slice(0, 40)} in mailbox ${address.slice(0, 80)}.`);
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/sandbox/mailboxes/:address/messages/:id/reply',
      {
        config,
        bodyLimit: SANDBOX_BODY_LIMIT,
        schema: {
          tags: ['sandbox'],
          summary: 'Reply as the mailbox owner, through the sandbox SMTP server, quoting like a mail program',
          params: MessageParams,
          body: Body({
            text: Type.String({ maxLength: 1_000_000 }),
            html: Type.Optional(Type.String({ maxLength: 2_000_000 })),
            replyAll: Type.Optional(Type.Boolean()),
          }),
          response: { 202: Sent, ...errorResponses, ...unavailable },
        },
      },
      async (request, reply) => {
        const sandbox = running();
        const owner = await ownerOf(app.ctx.store.db, await mailbox(request));
        const sent = await replyToMessage(sandbox.store, { host: opts.host, port: sandbox.smtpPort }, owner, request.params.id, request.body);
        return reply.status(202).send(sent);
      },
    );

    app.post(
      '/sandbox/send',
      {
        config,
        bodyLimit: SANDBOX_BODY_LIMIT,
        schema: {
          tags: ['sandbox'],
          summary: 'Write a new message through the sandbox SMTP server, as a mailbox you may open',
          body: Body({
            from: EmailAddress,
            fromName: Type.Optional(Type.String({ maxLength: 200 })),
            to: Type.Array(EmailAddress, { minItems: 1, maxItems: 100 }),
            cc: Type.Optional(Type.Array(EmailAddress, { maxItems: 100 })),
            subject: Type.String({ maxLength: 998 }),
            text: Type.String({ maxLength: 1_000_000 }),
            html: Type.Optional(Type.String({ maxLength: 2_000_000 })),
          }),
          response: { 202: Sent, ...errorResponses, ...unavailable },
        },
      },
      async (request, reply) => {
        const sandbox = running();
        const { from, fromName, ...rest } = request.body;
        if (!reaches(await reachOf(request), from.trim())) {
          throw forbidden('sandbox_sender_not_allowed', 'You can write only as yourself or as a customer of your projects.');
        }
        const sender = fromName ? { name: fromName, address: from.trim() } : await ownerOf(app.ctx.store.db, from.trim().toLowerCase());
        const sent = await sendThroughSandbox({ host: opts.host, port: sandbox.smtpPort }, composeNew({ ...rest, from: sender }, clock().now()));
        return reply.status(202).send(sent);
      },
    );
  };
}
