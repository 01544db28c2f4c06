import type { FastifyInstance } from 'fastify';
import type { Module } from '../core/module.js';
import { deliverDueBatches, startDelivery } from './delivery.js';
import { deliverDueDigests } from './digest.js';
import { commentNoteHandler, watcherChangeHandler } from './handlers.js';
import { notificationRoutes } from './notifications.routes.js';

export { deliverDueBatches } from './delivery.js';
export { deliverDueDigests, mailtoLink } from './digest.js';
export { notify } from './notify.js';

/**
 * Personal notifications (docs/notifications.md): watchers and @mentions told of what happens
 * to a record, by email now, in a batch, in the daily digest, or in the app only.
 */
export const notificationsModule: Module = {
  name: 'notifications',
  routes: async (app: FastifyInstance) => {
    await app.register(notificationRoutes);
  },
  recordEventHandlers: (ctx) => [watcherChangeHandler(ctx)],
  recordNoteHandlers: (ctx) => [commentNoteHandler(ctx)],
  start: async (ctx) => startDelivery(ctx, [(c) => deliverDueBatches(c), (c) => deliverDueDigests(c)]),
};
