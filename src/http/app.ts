import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import cookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { AppContext, RecordEventHandler, RecordNoteHandler } from '../core/context.js';
import { authPlugin } from './auth.js';
import { errorBody, installErrorHandler } from './errors.js';
import { installValidators } from './validation.js';
import { namedSchemas } from './openapi.js';
import { installSecurityHeaders } from './securityHeaders.js';
import { VERSION } from '../version.js';

declare module 'fastify' {
  interface FastifyInstance {
    ctx: AppContext;
    /** Called inside the transaction of every record change (notification rules hook in here). */
    recordEventHandlers: RecordEventHandler[];
    /** Called inside the transaction of every comment added or edited (mentions and watchers hook in here). */
    recordNoteHandlers: RecordNoteHandler[];
    /** What /api/ready reports: the workers started, and whether the process is shutting down. */
    lifecycle: Lifecycle;
  }
}

/** A feature's routes; the app registers it, knowing no feature. */
export type RoutePlugin = FastifyPluginAsync | FastifyPluginAsyncTypebox | ((app: FastifyInstance) => Promise<void>);

export interface AppOptions {
  /** Routes outside the API's prefix (/metrics, /api/health, /api/ready). */
  rootPlugins?: RoutePlugin[];
  /** The features' routes, under /api/v1 (users, projects, records, email, tracking, …). */
  plugins?: RoutePlugin[];
  /** Folder with the built web client; served at / when present. */
  webRoot?: string;
}

export type App = FastifyInstance;

export interface Lifecycle {
  /** Workers this process is meant to run (config.workers), and those started. */
  workersExpected: boolean;
  workers: string[];
  started: boolean;
  stopping: boolean;
}

export const DEFAULT_BODY_LIMIT = 1024 * 1024;

/**
 * How long one client may hold a connection, so that slow or idle clients cannot pile up
 * sockets: a connection idle this long is closed (Fastify's default is never) …
 */
export const CONNECTION_TIMEOUT_MS = 120_000;
/** … a request must arrive whole (headers and body, a 32 MiB email too) within this … */
export const REQUEST_TIMEOUT_MS = 120_000;
/** … and a kept-alive connection waits this long for the next request (Fastify's default is 72 s). */
export const KEEP_ALIVE_TIMEOUT_MS = 10_000;
/**
 * Connections the server holds at once (MAILTRAIL_HTTP_MAX_CONNECTIONS); Node closes the next
 * one unanswered. Far more than browsers and scripts of a team need, far fewer than the
 * process's file descriptors.
 */
export const DEFAULT_HTTP_MAX_CONNECTIONS = 1000;
export const PUBLIC_BODY_LIMIT = 16 * 1024;

const defaultWebRoot = fileURLToPath(new URL('../../web/dist', import.meta.url));

export async function buildApp(ctx: AppContext, opts: AppOptions = {}): Promise<App> {
  const app = Fastify({
    loggerInstance: ctx.log as FastifyBaseLogger,
    // 1 MiB unless a route says otherwise (email with attachments, the sandbox's compose);
    // public routes get 16 KiB (below), since anyone can make the server read them.
    bodyLimit: DEFAULT_BODY_LIMIT,
    // Off unless configured: believing X-Forwarded-For from anyone would let a guesser pick
    // a fresh address for every sign-in attempt.
    trustProxy: (ctx.config.trustProxy ?? false) as boolean,
    routerOptions: { ignoreTrailingSlash: true },
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
  });
  app.server.maxConnections = ctx.config.httpMaxConnections ?? DEFAULT_HTTP_MAX_CONNECTIONS;
  app.decorate('ctx', ctx);
  app.decorate('recordEventHandlers', []);
  app.decorate('recordNoteHandlers', []);
  app.decorate('lifecycle', { workersExpected: ctx.config.workers, workers: [], started: false, stopping: false } satisfies Lifecycle);
  installValidators(app);
  // Every API route must say who may call it; a forgotten declaration fails at start-up, not in production.
  app.addHook('onRoute', (route) => {
    const access = (route.config as { access?: string } | undefined)?.access;
    if (route.url.startsWith('/api/v1') && access === undefined) {
      throw new Error(`route ${route.method.toString()} ${route.url} declares no config.access`);
    }
    if (access === 'public') route.bodyLimit = Math.min(route.bodyLimit ?? PUBLIC_BODY_LIMIT, PUBLIC_BODY_LIMIT);
  });
  installErrorHandler(app);
  installSecurityHeaders(app);

  await app.register(cookie);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Mailtrail API', version: VERSION, description: 'Tracker for software teams whose heart is tracked email.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    ...namedSchemas(),
  });
  await app.register(authPlugin);

  for (const plugin of opts.rootPlugins ?? []) await app.register(plugin);
  for (const plugin of opts.plugins ?? []) await app.register(plugin, { prefix: '/api/v1' });

  const webRoot = opts.webRoot ?? defaultWebRoot;
  const hasWeb = existsSync(join(webRoot, 'index.html'));
  if (hasWeb) await app.register(fastifyStatic, { root: webRoot, wildcard: true, index: ['index.html'] });
  // Client-side routes (/projects/DEMO/…) load the single-page app; unknown API routes stay JSON 404s.
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    // A missing hashed asset after a deploy must be a 404, not the app page with status 200.
    if (hasWeb && request.method === 'GET' && !path.startsWith('/api/') && !path.startsWith('/assets/')) return reply.sendFile('index.html');
    return reply.status(404).send(errorBody('route_not_found', `No route ${request.method} ${request.url.split('?')[0]}.`));
  });
  return app;
}
