import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { pendingMigrations, pingStore } from '../store/db.js';
import { VERSION } from '../version.js';

export const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/health',
    {
      config: { access: 'public' },
      schema: {
        tags: ['system'],
        security: [],
        response: {
          200: Type.Object({ status: Type.Literal('ok'), db: Type.Union([Type.Literal('sqlite'), Type.Literal('postgres')]), version: Type.String() }),
          503: Type.Object({ status: Type.Literal('unavailable'), db: Type.String(), version: Type.String(), message: Type.String() }),
        },
      },
    },
    async (_request, reply) => {
      const { store } = app.ctx;
      try {
        await pingStore(store);
        return { status: 'ok' as const, db: store.dialect, version: VERSION };
      } catch (err) {
        return reply.status(503).send({ status: 'unavailable' as const, db: store.dialect, version: VERSION, message: (err as Error).message });
      }
    },
  );

  const Check = Type.Object({ ok: Type.Boolean(), detail: Type.String() });
  const Ready = Type.Object({
    status: Type.Union([Type.Literal('ready'), Type.Literal('not_ready')]),
    checks: Type.Object({ database: Check, migrations: Check, workers: Check }),
  });
  app.get(
    '/api/ready',
    {
      config: { access: 'public' },
      schema: {
        tags: ['system'],
        summary: 'Readiness: the database answers, its migrations are current, the workers run, the process is not shutting down',
        security: [],
        response: { 200: Ready, 503: Ready },
      },
    },
    async (_request, reply) => {
      const { store } = app.ctx;
      const life = app.lifecycle;
      const database = await pingStore(store).then(
        () => ({ ok: true, detail: store.dialect }),
        (err: unknown) => ({ ok: false, detail: (err as Error).message }),
      );
      const migrations = database.ok
        ? await pendingMigrations(store).then(
            (pending) => ({ ok: pending.length === 0, detail: pending.length === 0 ? 'current' : `pending: ${pending.join(', ')}` }),
            (err: unknown) => ({ ok: false, detail: (err as Error).message }),
          )
        : { ok: false, detail: 'database unreachable' };
      const workers = life.stopping
        ? { ok: false, detail: 'shutting down' }
        : !life.workersExpected
          ? { ok: true, detail: 'none (MAILTRAIL_WORKERS=0)' }
          : life.started
            ? { ok: true, detail: life.workers.join(', ') || 'none' }
            : { ok: false, detail: 'starting' };
      const ok = database.ok && migrations.ok && workers.ok;
      return reply.status(ok ? 200 : 503).send({ status: ok ? ('ready' as const) : ('not_ready' as const), checks: { database, migrations, workers } });
    },
  );

  app.get('/api/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () => app.swagger());
};
