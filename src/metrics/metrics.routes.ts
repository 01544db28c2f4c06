import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config.js';

/** Whether a scrape may read the series: a bearer token, or the separate metrics port. */
export function metricsAccess(config: Pick<Config, 'metricsToken'>, authorization: string | undefined): boolean {
  return config.metricsToken !== undefined && authorization === `Bearer ${config.metricsToken}`;
}

export const PROMETHEUS_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** GET /metrics on the main port (token) and HTTP durations of every route. */
async function routes(app: FastifyInstance): Promise<void> {
  const metrics = app.ctx.metrics;
  if (!metrics) return;
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpDuration.observe({ method: request.method, route, status_class: `${Math.floor(reply.statusCode / 100)}xx` }, reply.elapsedTime / 1000);
  });
  app.get('/metrics', { config: { access: 'self' }, schema: { hide: true } }, async (request, reply) => {
    if (!metricsAccess(app.ctx.config, request.headers.authorization)) {
      const how = app.ctx.config.metricsToken
        ? 'a valid bearer token (MAILTRAIL_METRICS_TOKEN)'
        : 'MAILTRAIL_METRICS_TOKEN to be set, or a scrape of MAILTRAIL_METRICS_PORT';
      return reply.status(app.ctx.config.metricsToken ? 401 : 404).send({ error: { code: 'metrics_protected', message: `Metrics need ${how}.` } });
    }
    return reply.header('content-type', PROMETHEUS_TYPE).send(await metrics.render());
  });
}

/** Not encapsulated: the duration hook must see every route of the app. */
export const metricsRoutes = fp(routes, { name: 'mailtrail-metrics' });
