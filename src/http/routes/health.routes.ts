import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { pingStore } from '../../store/db.js';
import { VERSION } from '../../version.js';

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

  app.get('/api/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () => app.swagger());
};
