import type { FastifyInstance } from 'fastify';
import type { Module } from '../core/module.js';
import { suppressionRoutes } from './suppression.routes.js';

/**
 * Deliverability: the suppression list (addresses not to mail), its admin routes and the
 * compose-box check. Bounces and complaints feed it from `inbound/fileInbound.ts`; sending checks it
 * in `outbound/emails.service.ts` and `rules/engine.ts`. docs/deliverability.md describes it.
 */
export const suppressionModule: Module = {
  name: 'suppression',
  routes: async (app: FastifyInstance) => {
    await app.register(suppressionRoutes);
  },
};

export {
  describeSuppression,
  refuseSuppressed,
  saysMailboxIsGone,
  suppressFromReport,
  suppressRejected,
  suppressedAmong,
  type PublicSuppression,
} from './suppression.service.js';

// What other features use of this one (docs/ARCHITECTURE.md: a feature is used only through its index.ts).
export { SuppressionSchema } from './suppression.routes.js';
