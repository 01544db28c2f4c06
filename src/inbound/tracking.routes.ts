import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import { isEmailAddress } from '../domain/validation.js';
import { badRequest } from '../errors.js';
import { testMailbox } from './mailbox.js';
import { pollOnce, readPollStatus, type PollOptions } from './poller.js';
import { inboundCounts } from './inbound.repository.js';
import { mergeTrackingSettings, openTrackingSettings, publicTrackingSettings, saveTrackingSettings, withBearer } from './trackingSettings.js';
import { checkDefaultUnique, createAccount, getAccount, listAccounts, removeAccount, updateAccount } from './accounts.js';
import { DEFAULT_ACCOUNT_ID } from '../store/trackingAccounts.repository.js';
import type { AppContext } from '../core/context.js';
import { Body, errorResponses } from '../http/schemas.js';
import { OAuthStatusSchema } from '../mailboxes/oauth/index.js';

const Security = Type.Union([Type.Literal('none'), Type.Literal('starttls'), Type.Literal('tls')]);
const Protocol = Type.Union([Type.Literal('pop3'), Type.Literal('imap'), Type.Literal('graph')], {
  description:
    'graph: Microsoft Graph (OAuth2 only); host/port/security name the Graph endpoint (graph.microsoft.com, 443, tls), username the mailbox (a shared mailbox’s address works)',
});
const GraphFolder = Type.String({
  minLength: 1,
  maxLength: 512,
  description: 'Graph only: a well-known folder name (inbox, junkemail, archive, …) or a folder id; default inbox',
});
const GraphRemoval = Type.Union([Type.Literal('delete'), Type.Literal('move')], {
  description: 'Graph only: delete a filed message, or move it to Deleted Items; default delete',
});

const Grant = Type.Union([Type.Literal('delegated'), Type.Literal('app')], {
  description: 'delegated: an admin signs in (authorization code + PKCE); app: client credentials',
});
const OAuthCommon = {
  provider: Type.Union([Type.Literal('microsoft'), Type.Literal('google'), Type.Literal('generic')]),
  grant: Grant,
  authorizationUrl: Type.String({ maxLength: 2048 }),
  tokenUrl: Type.String({ maxLength: 2048 }),
  clientId: Type.String({ maxLength: 512 }),
  scopes: Type.Array(Type.String({ maxLength: 512 }), { maxItems: 50 }),
  mechanism: Type.Union([Type.Literal('xoauth2'), Type.Literal('oauthbearer')], { description: 'SASL mechanism on IMAP, POP3 and SMTP' }),
  authorizationParams: Type.Optional(
    Type.Record(Type.String(), Type.String(), { description: 'extra query parameters of the authorization request (prompt, access_type)' }),
  ),
};
const OAuthOut = Type.Object({ ...OAuthCommon, clientSecretSet: Type.Boolean() }, { $id: 'OAuthClient' });
const OAuthIn = Type.Object(
  { ...OAuthCommon, clientSecret: Type.Optional(Type.String({ maxLength: 2048, description: 'omit to keep the stored secret; "" removes it' })) },
  { $id: 'OAuthClientInput', additionalProperties: false },
);
const AuthMethod = Type.Union([Type.Literal('password'), Type.Literal('oauth2')], {
  description: 'oauth2: sign in with a token of the OAuth2 client below (see /oauth/connect)',
});

const TrackingOut = Type.Object(
  {
    protocol: Protocol,
    host: Type.String(),
    port: Type.Integer(),
    security: Security,
    username: Type.String(),
    address: Type.String(),
    pollSeconds: Type.Integer(),
    deleteUntracked: Type.Boolean(),
    allowSelfSigned: Type.Boolean(),
    plusAddressing: Type.Boolean(),
    folder: Type.Optional(GraphFolder),
    graphRemoval: Type.Optional(GraphRemoval),
    passwordSet: Type.Boolean(),
    configured: Type.Boolean(),
    auth: Type.Optional(AuthMethod),
    oauth: Type.Optional(OAuthOut),
  },
  { $id: 'TrackingSettings' },
);

const trackingFields = {
  protocol: Protocol,
  host: Type.String({ minLength: 1, maxLength: 253 }),
  port: Type.Integer({ minimum: 1, maximum: 65535 }),
  security: Security,
  username: Type.String({ minLength: 1, maxLength: 320 }),
  password: Type.Optional(Type.String({ maxLength: 1024, description: 'omit to keep the stored password; "" removes it' })),
  address: Type.String({ minLength: 3, maxLength: 254, description: 'the account’s address: Reply-To of every tracked email' }),
  pollSeconds: Type.Integer({ minimum: 1, maximum: 86_400 }),
  deleteUntracked: Type.Boolean(),
  allowSelfSigned: Type.Optional(Type.Boolean({ description: 'accept a self-signed certificate (test servers)' })),
  plusAddressing: Type.Optional(Type.Boolean({ description: 'Reply-To as tracking+COOKIE@domain' })),
  folder: Type.Optional(GraphFolder),
  graphRemoval: Type.Optional(GraphRemoval),
  auth: Type.Optional(AuthMethod),
  oauth: Type.Optional(OAuthIn),
};
const TrackingIn = Body(trackingFields);
// Any subset of the fields, tried over the stored settings; no body at all tests what is stored.
const TestIn = Type.Union([Type.Null(), Type.Partial(TrackingIn, { $id: 'TrackingSettingsPatch', additionalProperties: false })]);

const PollResultSchema = Type.Object(
  {
    fetched: Type.Integer(),
    imported: Type.Integer(),
    forwarded: Type.Integer(),
    deletedUntracked: Type.Integer(),
    kept: Type.Integer(),
    rejected: Type.Integer(),
  },
  { $id: 'PollResult' },
);
const PollStatusOut = Type.Object(
  {
    lastPollAt: Type.Union([Type.String(), Type.Null()]),
    lastPollError: Type.Union([Type.String(), Type.Null()]),
    lastPollResult: Type.Union([PollResultSchema, Type.Null()]),
    lastPollBy: Type.Union([Type.String(), Type.Null()], { description: 'host:pid of the server process that ran the last poll' }),
  },
  { $id: 'PollStatus' },
);

const AccountOut = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    isDefault: Type.Boolean(),
    projects: Type.Array(Type.String(), { description: 'keys of the projects whose mail uses this account' }),
    settings: TrackingOut,
    status: PollStatusOut,
    oauth: Type.Optional(OAuthStatusSchema),
  },
  { $id: 'TrackingAccount' },
);
const AccountIn = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    projects: Type.Optional(
      Type.Array(Type.String({ maxLength: 16 }), { maxItems: 1000, description: 'project keys bound to this account; omit to keep the binding' }),
    ),
    ...trackingFields,
  },
  { $id: 'TrackingAccountInput', additionalProperties: false },
);
const AccountParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

const TestResult = Type.Object({ ok: Type.Boolean(), message: Type.String() }, { $id: 'TestResult' });
const StatusOut = Type.Object(
  {
    lastPollAt: Type.Union([Type.String(), Type.Null()]),
    lastPollError: Type.Union([Type.String(), Type.Null()]),
    lastPollResult: Type.Union([PollResultSchema, Type.Null()]),
    inbound: Type.Record(Type.String(), Type.Integer(), { description: 'stored inbound messages by state' }),
  },
  // Other modules add their parts (the outbound side: outbox counts).
  { $id: 'EmailStatusReport', additionalProperties: true },
);

/** A part of GET /admin/email/status contributed by another module (e.g. `{ outbox: {pending, failed} }`). */
export type EmailStatusPart = (ctx: AppContext) => Promise<Record<string, unknown>>;

export interface TrackingRoutesDeps {
  /** Called after the settings were saved (wakes the poller in this process). */
  onSettingsChanged?: () => void;
  statusParts?: EmailStatusPart[];
  pollOptions?: PollOptions;
}

/** How long POST …/poll waits for a poll that is already running before it answers 409. */
const POLL_ROUTE_WAIT_MS = 60_000;

function checkAddress(address: string): void {
  if (!isEmailAddress(address)) throw badRequest('invalid_email', `"${address}" is not an email address.`);
}

export function trackingRoutes(deps: TrackingRoutesDeps = {}): FastifyPluginAsyncTypebox {
  return async (app) => {
    const ctx = () => app.ctx;
    const admin = { config: { access: 'admin' as const } };

    app.get(
      '/admin/email/tracking',
      {
        config: { access: 'admin' },
        schema: { tags: ['admin'], summary: 'Server options → Tracking (never with the password)', response: { 200: TrackingOut, ...errorResponses } },
      },
      async () => publicTrackingSettings(ctx().store.db),
    );

    app.put(
      '/admin/email/tracking',
      {
        config: { access: 'admin' },
        schema: {
          tags: ['admin'],
          summary: 'Set the tracking account (POP3 or IMAP); without "password" the stored one is kept',
          body: TrackingIn,
          response: { 200: TrackingOut, ...errorResponses },
        },
      },
      async (request) => {
        checkAddress(request.body.address);
        await checkDefaultUnique(ctx().store.db, await mergeTrackingSettings(ctx().store.db, ctx().config.secret, request.body));
        const saved = await saveTrackingSettings(ctx().store.db, ctx().config.secret, request.body);
        deps.onSettingsChanged?.();
        return saved;
      },
    );

    app.post(
      '/admin/email/tracking/test',
      {
        config: { access: 'admin' },
        schema: {
          tags: ['admin'],
          summary: 'Connect, authenticate and count the messages: the stored settings, with any fields in the body tried over them (nothing is saved)',
          description:
            'The stored password is used only with the stored host and port: a body naming another host or port without "password" is 400 password_required. A failure is described in fixed words, never with what the other side sent.',
          body: Type.Optional(TestIn),
          response: { 200: TestResult, ...errorResponses },
        },
      },
      async (request) => testAccount(DEFAULT_ACCOUNT_ID, request.body ?? {}),
    );

    app.post(
      '/admin/email/tracking/poll',
      {
        config: { access: 'admin' },
        schema: {
          tags: ['admin'],
          summary: 'Poll the tracking account now and wait for it; answers the counts of this poll',
          response: { 200: PollResultSchema, ...errorResponses, 503: errorResponses[400] },
        },
      },
      async () => pollOnce(ctx(), { ...deps.pollOptions, waitMs: POLL_ROUTE_WAIT_MS }),
    );

    async function testAccount(id: string, given: Static<typeof TestIn> | undefined) {
      const db = ctx().store.db;
      const { passwordSet: _set, configured: _configured, ...current } = await publicTrackingSettings(db, id);
      const body = given ?? {};
      if (body.address !== undefined) checkAddress(body.address);
      const stored = await mergeTrackingSettings(db, ctx().config.secret, { ...current, ...body }, id);
      if (!stored.host || !stored.username) return { ok: false, message: 'The tracking account is not configured yet.' };
      return testMailbox(withBearer(openTrackingSettings(stored, ctx().config.secret, id), stored, db, ctx().config.secret));
    }

    app.get(
      '/admin/email/accounts',
      {
        ...admin,
        schema: {
          tags: ['admin'],
          summary: 'Every tracking account with its status and bound projects (never with secrets)',
          response: { 200: Type.Object({ accounts: Type.Array(AccountOut) }), ...errorResponses },
        },
      },
      async () => ({ accounts: await listAccounts(ctx().store.db) }),
    );

    app.post(
      '/admin/email/accounts',
      {
        ...admin,
        schema: {
          tags: ['admin'],
          summary: 'Add a tracking account, optionally binding projects to it',
          body: AccountIn,
          response: { 201: AccountOut, ...errorResponses },
        },
      },
      async (request, reply) => {
        const created = await createAccount(ctx(), request.body);
        deps.onSettingsChanged?.();
        return reply.code(201).send(created);
      },
    );

    app.get(
      '/admin/email/accounts/:id',
      { ...admin, schema: { tags: ['admin'], summary: 'One tracking account', params: AccountParams, response: { 200: AccountOut, ...errorResponses } } },
      async (request) => getAccount(ctx().store.db, request.params.id),
    );

    app.put(
      '/admin/email/accounts/:id',
      {
        ...admin,
        schema: {
          tags: ['admin'],
          summary: 'Change a tracking account; without "password" the stored one is kept, without "projects" the binding is kept',
          params: AccountParams,
          body: AccountIn,
          response: { 200: AccountOut, ...errorResponses },
        },
      },
      async (request) => {
        const saved = await updateAccount(ctx(), request.params.id, request.body);
        deps.onSettingsChanged?.();
        return saved;
      },
    );

    app.delete(
      '/admin/email/accounts/:id',
      {
        ...admin,
        schema: {
          tags: ['admin'],
          summary: 'Remove a tracking account (not the default); its projects fall back to the default account',
          params: AccountParams,
          response: { 204: Type.Null(), ...errorResponses },
        },
      },
      async (request, reply) => {
        await removeAccount(ctx().store.db, request.params.id);
        deps.onSettingsChanged?.();
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/admin/email/accounts/:id/test',
      {
        ...admin,
        schema: {
          tags: ['admin'],
          summary: 'A real sign-in to the account: stored settings with any fields in the body tried over them',
          params: AccountParams,
          body: Type.Optional(TestIn),
          response: { 200: TestResult, ...errorResponses },
        },
      },
      async (request) => {
        await getAccount(ctx().store.db, request.params.id);
        return testAccount(request.params.id, request.body ?? {});
      },
    );

    app.post(
      '/admin/email/accounts/:id/poll',
      {
        ...admin,
        schema: {
          tags: ['admin'],
          summary: 'Poll this account now and wait for it',
          params: AccountParams,
          response: { 200: PollResultSchema, ...errorResponses, 503: errorResponses[400] },
        },
      },
      async (request) => {
        await getAccount(ctx().store.db, request.params.id);
        return pollOnce(ctx(), { ...deps.pollOptions, accountId: request.params.id, waitMs: POLL_ROUTE_WAIT_MS });
      },
    );

    app.get(
      '/admin/email/status',
      {
        config: { access: 'admin' },
        schema: {
          tags: ['admin'],
          summary: 'Last poll of the tracking account and the state of stored inbound mail',
          response: { 200: StatusOut, ...errorResponses },
        },
      },
      async () => {
        const parts = await Promise.all((deps.statusParts ?? []).map((part) => part(ctx())));
        return Object.assign({}, ...parts, { ...(await readPollStatus(ctx())), inbound: await inboundCounts(ctx().store.db) });
      },
    );
  };
}
