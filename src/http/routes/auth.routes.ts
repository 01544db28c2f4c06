import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { nowIso } from '../../clock.js';
import { AppError, unauthorized } from '../../errors.js';
import { issueToken, revokeToken } from '../../services/auth.service.js';
import { authenticate, toPublicUser } from '../../services/users.service.js';
import { findUserById } from '../../store/users.repository.js';
import { SESSION_COOKIE, callerOf } from '../auth.js';
import { Body, ErrorSchema, UserSchema } from '../schemas.js';
import { LoginLimiter } from '../loginLimiter.js';

const Credentials = Body({ username: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 1024 }) });

export const authRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const limiter = new LoginLimiter();
  const db = () => app.ctx.store.db;

  async function login(username: string, password: string, ip: string) {
    const key = `${username.toLowerCase()}|${ip}`;
    const wait = limiter.blockedFor(key, Date.parse(nowIso()));
    if (wait > 0) {
      throw new AppError('too_many_requests', 'too_many_attempts', `Too many failed sign-ins; try again in ${Math.ceil(wait / 1000)} s.`);
    }
    const user = await authenticate(db(), username, password);
    if (!user) {
      limiter.fail(key, Date.parse(nowIso()));
      throw unauthorized('Wrong username or password.');
    }
    limiter.succeed(key);
    return user;
  }

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
    async (request) => {
      const user = await login(request.body.username, request.body.password, request.ip);
      const issued = await issueToken(db(), user.id, 'api');
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
      const user = await login(request.body.username, request.body.password, request.ip);
      const issued = await issueToken(db(), user.id, 'session');
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
    { config: { access: 'user' }, schema: { tags: ['auth'], summary: 'Sign out', response: { 204: Type.Null(), 401: ErrorSchema } } },
    async (request, reply) => {
      const token = request.cookies[SESSION_COOKIE];
      if (token) await revokeToken(db(), token);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
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
