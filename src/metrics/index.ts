import { createServer, type Server } from 'node:http';
import { clock } from '../clock.js';
import type { Config } from '../config.js';
import { loadTrackingSettings, readPollStatus } from '../inbound/index.js';
import type { Module } from '../core/module.js';
import { listTrackingAccountRows } from '../store/trackingAccounts.repository.js';
import type { AppContext } from '../core/context.js';
import type { Metrics } from '../core/metrics.js';

export { Metrics } from '../core/metrics.js';
export { metricsRoutes } from './metrics.routes.js';
import { PROMETHEUS_TYPE } from './metrics.routes.js';

/** Series read from the database at scrape time. */
export function bindCollectors(ctx: AppContext, metrics: Metrics): void {
  metrics.collectors.push(
    async () => {
      const rows = await ctx.store.db
        .selectFrom('outbox')
        .select(['state', (eb) => eb.fn.countAll<number>().as('n'), (eb) => eb.fn.min('created_at').as('oldest')])
        .groupBy('state')
        .execute();
      metrics.outboxEntries.reset();
      for (const state of ['pending', 'done', 'failed']) metrics.outboxEntries.set({ state }, Number(rows.find((r) => r.state === state)?.n ?? 0));
      const oldest = rows.find((r) => r.state === 'pending')?.oldest;
      metrics.outboxOldestPendingSeconds.set(oldest ? Math.max(0, (clock().now().getTime() - Date.parse(String(oldest))) / 1000) : 0);
    },
    async () => {
      // Every tracking account, whichever process polls it (the status is shared in the database).
      const rows = await listTrackingAccountRows(ctx.store.db);
      metrics.pollLag.reset();
      metrics.pollFailing.reset();
      for (const row of rows) {
        const settings = await loadTrackingSettings(ctx.store.db, ctx.config.secret, row.id);
        if (!settings) continue;
        const status = await readPollStatus(ctx, row.id);
        if (status.lastPollAt)
          metrics.pollLag.set({ account: settings.account }, Math.max(0, (clock().now().getTime() - Date.parse(status.lastPollAt)) / 1000));
        metrics.pollFailing.set({ account: settings.account }, status.lastPollError ? 1 : 0);
      }
    },
    async () => {
      const pool = ctx.store.poolStats?.() ?? { total: 1, idle: 1, waiting: 0 };
      for (const [state, n] of Object.entries(pool)) metrics.dbPool.set({ state }, n);
    },
  );
}

/** The optional separate port: /metrics only, for a scraper on a private network. */
export const metricsModule = (config: Pick<Config, 'metricsPort' | 'host'>): Module => ({
  name: 'metrics',
  prepare: async (ctx) => {
    if (ctx.metrics) bindCollectors(ctx, ctx.metrics);
  },
  start: async (ctx) => {
    const metrics = ctx.metrics;
    if (config.metricsPort === undefined || !metrics) return undefined;
    const server: Server = createServer((req, res) => {
      if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics here\n');
        return;
      }
      metrics.render().then(
        (text) => res.writeHead(200, { 'content-type': PROMETHEUS_TYPE }).end(text),
        (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${(err as Error).message}\n`),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.metricsPort, config.host, () => resolve());
    });
    const address = server.address();
    ctx.log.info({ port: typeof address === 'object' && address ? address.port : config.metricsPort }, 'metrics listening');
    metricsPortOf.set(ctx, typeof address === 'object' && address ? address.port : 0);
    return { name: 'metrics-port', stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
  },
});

/** The port the metrics server of a context listens on (MAILTRAIL_METRICS_PORT=0 takes a free one). */
export const metricsPortOf = new WeakMap<AppContext, number>();
