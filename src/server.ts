import type { Config } from './config.js';
import { buildApp, type App, type RoutePlugin } from './http/app.js';
import { commentRoutes } from './comments/index.js';
import { fileRoutes } from './files/index.js';
import { linkRoutes } from './links/index.js';
import { healthRoutes } from './metrics/health.routes.js';
import { metricsRoutes } from './metrics/metrics.routes.js';
import { projectRoutes } from './projects/projects.routes.js';
import { recordRoutes } from './records/records.routes.js';
import { searchRoutes } from './search/index.js';
import { trackerRoutes } from './tracker/tracker.routes.js';
import { authRoutes } from './users/auth.routes.js';
import { userRoutes } from './users/users.routes.js';
import { watcherRoutes } from './watchers/index.js';
import { reqDocRoutes } from './reqdocs/index.js';
import { testingRoutes } from './testing/index.js';
import { createLogger, type Logger } from './log.js';
import { ensureAdmin } from './users/bootstrap.js';
import type { AppContext } from './core/context.js';
import type { Module, Worker } from './core/module.js';
import { Metrics } from './core/metrics.js';
import { openBlobStore } from './store/blobs.open.js';
import { migrateToLatest, openStore, type Store } from './store/db.js';

/** The routes of every server, whatever modules it runs: sign-in, users, projects, records, the tracker. */
const BASE_ROUTES: RoutePlugin[] = [
  authRoutes,
  userRoutes,
  projectRoutes,
  recordRoutes,
  trackerRoutes,
  searchRoutes,
  linkRoutes,
  commentRoutes,
  fileRoutes,
  watcherRoutes,
  testingRoutes,
  reqDocRoutes,
];

export interface Running {
  ctx: AppContext;
  app: App;
  url: string;
  close(): Promise<void>;
}

export async function openContext(config: Config, log?: Logger): Promise<AppContext> {
  const logger = log ?? createLogger(config.logLevel);
  const store: Store = await openStore(config.database);
  await migrateToLatest(store);
  return { store, config, log: logger, blobs: await openBlobStore(config, store), metrics: new Metrics() };
}

export async function startServer(
  config: Config,
  modules: Module[],
  opts: { log?: Logger; listen?: boolean; onAdminPassword?: (password: string) => void } = {},
): Promise<Running> {
  const ctx = await openContext(config, opts.log);
  const admin = await ensureAdmin(ctx.store.db, config.adminPassword);
  if (admin.generatedPassword) opts.onAdminPassword?.(admin.generatedPassword);
  for (const m of modules) await m.prepare?.(ctx);

  const app = await buildApp(ctx, {
    rootPlugins: [metricsRoutes, healthRoutes],
    plugins: [...BASE_ROUTES, ...modules.flatMap((m) => (m.routes ? [m.routes] : []))],
  });
  for (const m of modules) app.recordEventHandlers.push(...(m.recordEventHandlers?.(ctx) ?? []));
  ctx.recordEventHandlers = app.recordEventHandlers;
  for (const m of modules) app.recordNoteHandlers.push(...(m.recordNoteHandlers?.(ctx) ?? []));
  ctx.recordMailHandlers = modules.flatMap((m) => m.recordMailHandlers?.(ctx) ?? []);
  await app.ready();

  const workers: Worker[] = [];
  if (config.workers) {
    for (const m of modules) {
      const w = await m.start?.(ctx, app);
      if (w) workers.push(w);
    }
  }
  app.lifecycle.workers = workers.map((w) => w.name);
  app.lifecycle.started = true;
  for (const w of workers) ctx.metrics?.workersRunning.set({ worker: w.name }, 1);
  let url = '';
  if (opts.listen !== false) url = await app.listen({ port: config.port, host: config.host });

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      // /api/ready answers 503 from here on, so a load balancer stops sending new work.
      app.lifecycle.stopping = true;
      // Each worker finishes what it is doing (the send under way, the poll's current message)
      // and gives back what it claimed (outbox leases, the account's lock) before the next stops.
      for (const w of workers.reverse()) {
        await w.stop().catch((err: unknown) => ctx.log.error({ err, worker: w.name }, 'worker did not stop cleanly'));
        ctx.metrics?.workersRunning.set({ worker: w.name }, 0);
      }
      await app.close();
      await ctx.store.close();
    })());
  return { ctx, app, url, close };
}
