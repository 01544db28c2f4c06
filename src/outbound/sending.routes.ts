import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { outboxCounts } from './outbox.js';
import { DEFAULT_SENDING, loadSendingSettings, publicSendingSettings, saveSendingSettings } from './sendingSettings.js';
import { requirePasswordForNewServer } from '../domain/credentials.js';
import { testSending } from './transport.js';
import { Body, errorResponses } from '../http/schemas.js';

const Security = Type.Union([Type.Literal('none'), Type.Literal('starttls'), Type.Literal('tls')]);
const SendingOut = Type.Object(
  {
    host: Type.String(),
    port: Type.Integer(),
    security: Security,
    username: Type.Optional(Type.String()),
    paused: Type.Boolean(),
    onePerConnection: Type.Boolean(),
    allowSelfSigned: Type.Boolean(),
    maxConnections: Type.Integer(),
    passwordSet: Type.Boolean(),
    configured: Type.Boolean(),
    oauthAccountId: Type.Optional(Type.String()),
    transport: Type.Optional(Type.Union([Type.Literal('smtp'), Type.Literal('graph')])),
  },
  { $id: 'SendingSettings' },
);
const SendingIn = Body({
  host: Type.String({ minLength: 1, maxLength: 253 }),
  port: Type.Integer({ minimum: 1, maximum: 65535 }),
  security: Security,
  username: Type.Optional(Type.String({ maxLength: 320 })),
  password: Type.Optional(Type.String({ maxLength: 1024 })),
  paused: Type.Optional(Type.Boolean()),
  onePerConnection: Type.Optional(Type.Boolean()),
  allowSelfSigned: Type.Optional(Type.Boolean()),
  maxConnections: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })),
  transport: Type.Optional(
    Type.Union([Type.Literal('smtp'), Type.Literal('graph')], {
      description:
        'smtp (default) or graph: Microsoft Graph sendMail with the raw MIME; host/port/security name the Graph endpoint, oauthAccountId gives the token, username the sending mailbox (empty: each message’s From)',
    }),
  ),
  oauthAccountId: Type.Optional(
    Type.String({
      maxLength: 64,
      description: 'sign in with the OAuth2 token of this tracking account (SMTP AUTH XOAUTH2) instead of the password; "" turns it off',
    }),
  ),
});
const TestResult = Type.Object({ ok: Type.Boolean(), message: Type.String() }, { $id: 'TestResult' });

export const sendingRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const db = () => app.ctx.store.db;

  app.get(
    '/admin/email/sending',
    {
      config: { access: 'admin' },
      schema: { tags: ['admin'], summary: 'Server options → Sending (never with the password)', response: { 200: SendingOut, ...errorResponses } },
    },
    async () => publicSendingSettings(db()),
  );

  app.put(
    '/admin/email/sending',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        summary: 'Set the SMTP server used for all mail; without "password" the stored one is kept',
        body: SendingIn,
        response: { 200: SendingOut, ...errorResponses },
      },
    },
    async (request) => saveSendingSettings(db(), app.ctx.config.secret, request.body),
  );

  app.post(
    '/admin/email/sending/test',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        summary: 'Connect and authenticate to the SMTP server, send nothing; with a body, test those settings before saving them',
        description:
          'The stored password is used only with the stored host and port: a body naming another host or port without "password" is 400 password_required. A failure is described in fixed words, never with what the other side sent.',
        body: Type.Optional(Type.Partial(SendingIn, { additionalProperties: false })),
        response: { 200: TestResult, ...errorResponses },
      },
    },
    async (request) => {
      const stored = await loadSendingSettings(db(), app.ctx.config.secret);
      const given = request.body;
      const settings = given
        ? { ...DEFAULT_SENDING, ...stored, ...given, password: given.password ?? stored?.password, username: given.username ?? stored?.username }
        : stored;
      if (given && stored && settings) requirePasswordForNewServer(stored, Boolean(stored.password), settings, given.password !== undefined);
      if (!settings?.host || !settings.port || !settings.security) return { ok: false, message: 'Sending is not configured yet.' };
      // The account's access token goes only to the SMTP server it was saved for.
      if (stored?.accessToken && (settings.host !== stored.host || settings.port !== stored.port)) delete (settings as { accessToken?: string }).accessToken;
      return testSending({ ...DEFAULT_SENDING, ...settings });
    },
  );

  app.get(
    '/admin/email/outbox',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        summary: 'How many emails wait in the outbox or failed',
        response: { 200: Type.Object({ pending: Type.Integer(), failed: Type.Integer() }), ...errorResponses },
      },
    },
    async () => outboxCounts(db()),
  );
};
