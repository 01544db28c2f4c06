import type { FastifyInstance } from 'fastify';
import type { Module } from '../core/module.js';
import { dkimRoutes } from './dkim.routes.js';

/**
 * DKIM signing of outgoing mail: the key and its settings (dkim.settings.ts), Admin → Email
 * routes. The sender (outbound/sender.ts) signs with `loadDkimSigning`. docs/deliverability.md.
 */
export const dkimModule: Module = {
  name: 'dkim',
  routes: async (app: FastifyInstance) => {
    await app.register(dkimRoutes);
  },
};

export { loadDkimSigning, type DkimSigning } from './dkim.settings.js';
