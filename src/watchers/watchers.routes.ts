import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { callerOf } from '../http/auth.js';
import { Id, ProjectKey, Username, errorResponses } from '../http/schemas.js';
import { openProject } from '../projects/index.js';
import * as svc from './watchers.service.js';

const WatcherSchema = Type.Object(
  {
    username: Type.String(),
    fullName: Type.String(),
    reason: Type.Union([Type.Literal('watching'), Type.Literal('assignee'), Type.Literal('creator')], {
      description: 'watching: chose to; assignee, creator: watch without asking until they unwatch',
    }),
  },
  { $id: 'Watcher' },
);
const WatcherListSchema = Type.Object({ watching: Type.Boolean({ description: 'whether the caller watches the record' }), watchers: Type.Array(WatcherSchema) }, { $id: 'WatcherList' });
const Params = Type.Object({ key: ProjectKey, id: Id });
const OneParams = Type.Object({ key: ProjectKey, id: Id, username: Username });

export const watcherRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const db = () => app.ctx.store.db;
  const open = (request: Parameters<typeof callerOf>[0], key: string) => openProject(db(), callerOf(request), key);
  app.get(
    '/projects/:key/records/:id/watchers',
    { config: { access: 'project' }, schema: { tags: ['watchers'], summary: "Who watches a record (needs <category>.view)", params: Params, response: { 200: WatcherListSchema, ...errorResponses } } },
    async (request) => svc.listWatchers(db(), await open(request, request.params.key), request.params.id),
  );
  app.put(
    '/projects/:key/records/:id/watchers/:username',
    {
      config: { access: 'project' },
      schema: {
        tags: ['watchers'],
        summary: 'Watch a record (yourself: <category>.view; someone else: <category>.manageWatchers)',
        description: 'Watchers are mailed by rules whose recipients include `watchers`, and can receive replies to notification emails. Idempotent; the history notes who added whom.',
        params: OneParams,
        response: { 200: WatcherListSchema, ...errorResponses },
      },
    },
    async (request) => svc.watch(db(), await open(request, request.params.key), request.params.id, request.params.username),
  );
  app.delete(
    '/projects/:key/records/:id/watchers/:username',
    {
      config: { access: 'project' },
      schema: {
        tags: ['watchers'],
        summary: 'Stop watching a record (yourself: <category>.view; someone else: <category>.manageWatchers)',
        description: 'The assignee and the creator watch without asking; unwatching keeps them out until they watch again.',
        params: OneParams,
        response: { 200: WatcherListSchema, ...errorResponses },
      },
    },
    async (request) => svc.unwatch(db(), await open(request, request.params.key), request.params.id, request.params.username),
  );
};
