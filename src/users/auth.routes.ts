import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { nowIso } from '../clock.js';
import { AppError, notFound, unauthorized } from '../errors.js';
import { endSessions, issueToken, listSessions, revokeSession, revokeTokenHash } from '../http/auth.service.js';
import { authenticate, changeOwnPassword, toPublicUser } from './users.service.js';
import { findUserById } from '../store/users.repository.js';
import { SESSION_COOKIE, callerOf } from '../http/auth.js';
import { Body, ErrorSchema, UserSchema } from '../http/schemas.js';
import { LoginLimiter } from './loginLimiter.js';

const Credentials = Body({ username: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 1024 }) });

export const authRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const limiter = new LoginLimiter();
  const db = () => app.ctx.store.db;

  async function login(username: string, password: string, ip: string, reply: { header(name: string, value: string): unknown }) {
    const wait = limiter.blockedFor(username, ip, Date.parse(nowIso()));
    if (wait > 0) {
      const seconds = Math.ceil(wait / 1000);
      reply.header('retry-after', String(seconds));
      throw new AppError('too_many_requests', 'too_many_attempts', `Too many failed sign-ins; try again in ${seconds} s.`);
    }
    const user = await authenticate(db(), username, password);
    if (!user) {
      limiter.fail(username, ip, Date.parse(nowIso()));
      throw unauthorized('Wrong username or password.');
    }
    limiter.succeed(username, ip);
    return user;
  }
  const userAgent = (request: { headers: Record<string, unknown> }) => {
    const ua = request.headers['user-agent'];
    return typeof ua === 'string' ? { userAgent: ua } : {};
  };

  app.post(
    '/auth/token',
    {
      config: { access: 'public' },
      schema: {
        tags: ['auth'],
        security: [],
        summary: 'Exchange username and password for a bearer token',
        body: Credentials,
        response: { 200: Type.Object({ token: Type.String(), expiresAt: Type.String() }), 400: ErrorSchema, 401: ErrorSchema, 429: ErrorSchema },
      },
    },
    async (request, reply) => {
      const user = await login(request.body.username, request.body.password, request.ip, reply);
      const issued = await issueToken(db(), user.id, 'api', userAgent(request));
      return { token: issued.token, expiresAt: issued.expiresAt };
    },
  );

  app.post(
    '/auth/session',
    {
      config: { access: 'public' },
      schema: {
        tags: ['auth'],
        security: [],
        summary: 'Sign in the web client: sets an HttpOnly session cookie and returns the CSRF token',
        body: Credentials,
        response: { 200: Type.Object({ csrfToken: Type.String(), user: UserSchema }), 400: ErrorSchema, 401: ErrorSchema, 429: ErrorSchema },
      },
    },
    async (request, reply) => {
      const user = await login(request.body.username, request.body.password, request.ip, reply);
      const issued = await issueToken(db(), user.id, 'session', userAgent(request));
      reply.setCookie(SESSION_COOKIE, issued.token, {
        path: '/',
        httpOnly: true,
        sameSite: 'lax',
        secure: request.protocol === 'https',
        expires: new Date(issued.expiresAt),
      });
      return { csrfToken: issued.csrfToken!, user: toPublicUser(user) };
    },
  );

  app.delete(
    '/auth/session',
    {
      config: { access: 'user' },
      schema: { tags: ['auth'], summary: 'Sign out: ends the session or bearer token this request carries', response: { 204: Type.Null(), 401: ErrorSchema } },
    },
    async (request, reply) => {
      if (request.auth) await revokeTokenHash(db(), request.auth.tokenHash);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.status(204).send(null);
    },
  );

  const SessionSchema = Type.Object({
    id: Type.String(),
    kind: Type.Union([Type.Literal('api'), Type.Literal('session')], { description: 'api: a bearer token; session: a web sign-in' }),
    createdAt: Type.String(),
    lastUsedAt: Type.String({ description: 'to the minute' }),
    expiresAt: Type.String(),
    userAgent: Type.Union([Type.String(), Type.Null()]),
    name: Type.Union([Type.String(), Type.Null()], { description: 'the name given to an API token created by hand (POST /me/tokens)' }),
    current: Type.Boolean({ description: 'the one making this request' }),
  });

  app.get(
    '/me/sessions',
    {
      config: { access: 'user' },
      schema: {
        tags: ['auth'],
        summary: "The caller's live web sessions and API tokens",
        response: { 200: Type.Object({ sessions: Type.Array(SessionSchema) }), 401: ErrorSchema },
      },
    },
    async (request) => ({ sessions: await listSessions(db(), callerOf(request).userId, request.auth?.tokenHash) }),
  );

  app.delete(
    '/me/sessions',
    {
      config: { access: 'user' },
      schema: {
        tags: ['auth'],
        summary: 'End every session and API token of yours but the one making this request',
        response: { 200: Type.Object({ ended: Type.Integer({ minimum: 0 }) }), 401: ErrorSchema, 403: ErrorSchema },
      },
    },
    async (request) => ({ ended: await endSessions(db(), callerOf(request).userId, request.auth!.tokenHash) }),
  );

  app.post(
    '/me/tokens',
    {
      config: { access: 'user' },
      schema: {
        tags: ['auth'],
        summary: 'Create a named API token for a script; the token is in this answer only',
        body: Body({ name: Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' }) }),
        response: {
          201: Type.Object({
            id: Type.String(),
            name: Type.String(),
            token: Type.String({ description: 'shown once: only its hash is stored' }),
            expiresAt: Type.String(),
          }),
          400: ErrorSchema,
          401: ErrorSchema,
          403: ErrorSchema,
        },
      },
    },
    async (request, reply) => {
      const name = request.body.name.trim();
      const issued = await issueToken(db(), callerOf(request).userId, 'api', { name });
      return reply.status(201).send({ id: issued.id, name, token: issued.token, expiresAt: issued.expiresAt });
    },
  );

  app.delete(
    '/me/sessions/:id',
    {
      config: { access: 'user' },
      schema: {
        tags: ['auth'],
        summary: 'End one of your own sessions or API tokens',
        params: Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{16}$' }) }),
        response: { 204: Type.Null(), 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema },
      },
    },
    async (request, reply) => {
      const ended = await revokeSession(db(), callerOf(request).userId, request.params.id);
      if (!ended) throw notFound('session_not_found', 'You have no session or token with that id.');
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/me/password',
    {
      config: { access: 'user' },
      schema: {
        tags: ['auth'],
        summary: 'Change your own password; every other session and token of yours ends',
        body: Body({ currentPassword: Type.String({ minLength: 1, maxLength: 1024 }), newPassword: Type.String({ minLength: 1, maxLength: 1024 }) }),
        response: { 204: Type.Null(), 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      // A stolen session must not become a way to guess the password: same budget as sign-in.
      const wait = limiter.blockedFor(caller.username, request.ip, Date.parse(nowIso()));
      if (wait > 0) {
        reply.header('retry-after', String(Math.ceil(wait / 1000)));
        throw new AppError('too_many_requests', 'too_many_attempts', `Too many wrong passwords; try again in ${Math.ceil(wait / 1000)} s.`);
      }
      try {
        await changeOwnPassword(db(), caller.userId, request.body, request.auth!.tokenHash);
      } catch (err) {
        if (err instanceof AppError && err.code === 'wrong_password') limiter.fail(caller.username, request.ip, Date.parse(nowIso()));
        throw err;
      }
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/me',
    {
      config: { access: 'user' },
      schema: {
        tags: ['auth'],
        summary: 'The signed-in user (and the CSRF token of a cookie session)',
        response: { 200: Type.Object({ user: UserSchema, csrfToken: Type.Union([Type.String(), Type.Null()]) }), 401: ErrorSchema },
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const user = await findUserById(db(), caller.userId);
      return { user: toPublicUser(user!), csrfToken: request.auth?.csrfToken ?? null };
    },
  );
};
