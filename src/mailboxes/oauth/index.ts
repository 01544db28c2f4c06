import type { FastifyInstance } from 'fastify';
import type { Module } from '../../core/module.js';
import { oauthRoutes } from './oauth.routes.js';

/** OAuth2 sign-in of tracking accounts (CONTEXT.md beside this file; docs/mailboxes.md). */
export const oauthModule: Module = {
  name: 'oauth',
  routes: async (app: FastifyInstance) => {
    await app.register(oauthRoutes);
  },
};

export { getAccessToken, oauthStatus, ReconnectNeeded, type AccessToken, type OAuthStatus } from './tokens.js';
