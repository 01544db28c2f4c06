import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import '@fastify/cookie';
import { unauthorized, forbidden } from '../errors.js';
import { resolveToken, type ResolvedToken } from './auth.service.js';
import type { Caller } from '../core/context.js';

export const SESSION_COOKIE = 'mailtrail_session';
export const CSRF_HEADER = 'x-csrf-token';

/** How a route is protected; every /api/v1 route declares one (checked by a test over the route list). */
export type RouteAccess = 'public' | 'user' | 'admin' | 'project' | 'self';

declare module 'fastify' {
  interface FastifyRequest {
    auth: ResolvedToken | undefined;
  }
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
}

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  if (!m) throw unauthorized('The Authorization header must be "Bearer <token>".');
  return m[1];
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

async function authenticate(app: FastifyInstance, request: FastifyRequest, _reply: FastifyReply): Promise<void> {
  request.auth = undefined;
  const access = request.routeOptions.config.access;
  // The route checks a credential of its own (GET /metrics: the scraper's token), not a user's.
  if (access === 'self') return;
  const fromHeader = bearer(request);
  const fromCookie = fromHeader ? undefined : request.cookies[SESSION_COOKIE];
  const token = fromHeader ?? fromCookie;
  if (token) {
    let resolved = await resolveToken(app.ctx.store.db, token);
    // The cookie carries sessions only: an API token planted in it (cookie tossing from a sibling
    // domain) would otherwise skip the CSRF check below, which applies to sessions.
    if (resolved && fromCookie !== undefined && resolved.kind !== 'session') resolved = undefined;
    if (resolved) {
      // Cookies ride along on cross-site requests; a state change needs proof the page is ours.
      if (resolved.kind === 'session' && !SAFE_METHODS.has(request.method)) {
        const sent = request.headers[CSRF_HEADER];
        if (!resolved.csrfToken || sent !== resolved.csrfToken) {
          throw forbidden('csrf_failed', 'Missing or wrong CSRF token (send the X-CSRF-Token header).');
        }
      }
      request.auth = resolved;
    } else if (fromHeader) {
      throw unauthorized('The token is invalid or expired.');
    }
  }
  if (access === 'public' || access === undefined) return;
  if (!request.auth) throw unauthorized();
  if (access === 'admin' && !request.auth.caller.isAdmin) {
    throw forbidden('admin_only', 'Only the server administrator can do this.');
  }
}

export const authPlugin = fp(
  async (app: FastifyInstance) => {
    app.decorateRequest('auth', undefined);
    // onRequest, before the body is read and validated: a caller without the right to a route
    // gets 401/403, not a 400 that describes the route's schema, and never makes the server
    // parse (up to bodyLimit) a body it would refuse anyway.
    app.addHook('onRequest', (request, reply) => authenticate(app, request, reply));
  },
  { name: 'auth', dependencies: ['@fastify/cookie'] },
);

export function callerOf(request: FastifyRequest): Caller {
  if (!request.auth) throw unauthorized();
  return request.auth.caller;
}
