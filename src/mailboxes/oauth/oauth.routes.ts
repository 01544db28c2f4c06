import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { errorResponses } from '../../http/schemas.js';
import { findTrackingAccountRow } from '../../store/trackingAccounts.repository.js';
import { notFound } from '../../errors.js';
import { OAUTH_PRESETS } from './config.js';
import { completeAuthorization, startAuthorization } from './flow.js';
import { forgetTokens, getAccessToken, oauthStatus } from './tokens.js';

const AccountParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export const OAuthStatusSchema = Type.Object(
  {
    state: Type.Union([Type.Literal('connected'), Type.Literal('reconnect_needed'), Type.Literal('not_connected')]),
    tokenExpiresAt: Type.Union([Type.String(), Type.Null()], { description: 'expiry of the access token held now (by our clock)' }),
    hasRefreshToken: Type.Boolean(),
    scope: Type.Union([Type.String(), Type.Null()]),
    error: Type.Union([Type.String(), Type.Null()], { description: 'why the last refresh or sign-in failed, in the server’s words' }),
    connectedAt: Type.Union([Type.String(), Type.Null()]),
  },
  { $id: 'OAuthStatus', description: 'The OAuth2 sign-in of a tracking account. Tokens are never returned.' },
);

/** Where the provider sends the admin back; register exactly this URL with the provider. */
export const CALLBACK_PATH = '/api/v1/admin/email/oauth/callback';

export const oauthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ctx = () => app.ctx;
  const mustExist = async (id: string) => {
    if (!(await findTrackingAccountRow(ctx().store.db, id))) throw notFound('tracking_account_not_found', `There is no tracking account "${id}".`);
  };

  app.get(
    '/admin/email/oauth/presets',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        summary: 'Provider presets: hosts, ports, endpoints and scopes for Microsoft 365, Google and generic OAuth2',
        response: { 200: Type.Any(), ...errorResponses },
      },
    },
    async () => OAUTH_PRESETS,
  );

  app.get(
    '/admin/email/accounts/:id/oauth',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        summary: 'The account’s OAuth2 sign-in state (never a token)',
        params: AccountParams,
        response: { 200: OAuthStatusSchema, ...errorResponses },
      },
    },
    async (req) => {
      await mustExist(req.params.id);
      return oauthStatus(ctx().store.db, req.params.id);
    },
  );

  app.post(
    '/admin/email/accounts/:id/oauth/connect',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        summary: 'Start "Connect": the provider URL to open (authorization code + PKCE); the provider comes back to the callback',
        description: `The redirect URI sent is this server's origin + ${CALLBACK_PATH} (from the Host the browser used); register it with the provider.`,
        params: AccountParams,
        response: { 200: Type.Object({ url: Type.String(), redirectUri: Type.String() }), ...errorResponses },
      },
    },
    async (req) => {
      await mustExist(req.params.id);
      const redirectUri = `${req.protocol}://${req.host}${CALLBACK_PATH}`;
      return { url: await startAuthorization(ctx(), req.params.id, redirectUri, `/admin/tracking?account=${encodeURIComponent(req.params.id)}`), redirectUri };
    },
  );

  app.get(
    '/admin/email/oauth/callback',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        summary: 'Where the provider sends the admin back: stores the tokens and returns to Admin → Email tracking',
        querystring: Type.Object(
          {
            state: Type.Optional(Type.String({ maxLength: 512 })),
            code: Type.Optional(Type.String({ maxLength: 4096 })),
            error: Type.Optional(Type.String({ maxLength: 256 })),
            error_description: Type.Optional(Type.String({ maxLength: 2048 })),
          },
          { additionalProperties: true },
        ),
      },
    },
    async (req, reply) => {
      try {
        const done = await completeAuthorization(ctx(), req.query);
        return reply.redirect(`${done.returnTo ?? '/admin/tracking'}${(done.returnTo ?? '').includes('?') ? '&' : '?'}oauth=connected`);
      } catch (err) {
        return reply.redirect(`/admin/tracking?oauth=failed&message=${encodeURIComponent((err as Error).message)}`);
      }
    },
  );

  app.post(
    '/admin/email/accounts/:id/oauth/disconnect',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        summary: 'Forget the account’s tokens (its settings stay)',
        params: AccountParams,
        response: { 200: OAuthStatusSchema, ...errorResponses },
      },
    },
    async (req) => {
      await mustExist(req.params.id);
      await forgetTokens(ctx().store.db, req.params.id);
      return oauthStatus(ctx().store.db, req.params.id);
    },
  );

  app.post(
    '/admin/email/accounts/:id/oauth/refresh',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        summary: 'Get a new access token now (a real token request); 409 oauth_reconnect_needed when only Reconnect helps',
        params: AccountParams,
        response: { 200: OAuthStatusSchema, ...errorResponses },
      },
    },
    async (req) => {
      await mustExist(req.params.id);
      await getAccessToken(ctx(), req.params.id, { forceRefresh: true });
      return oauthStatus(ctx().store.db, req.params.id);
    },
  );
};
