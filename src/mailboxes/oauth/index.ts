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

// What other features use of this one (docs/ARCHITECTURE.md: a feature is used only through its index.ts).
export { OAuthStatusSchema } from './oauth.routes.js';
export { mergeOAuthConfig, type OAuthConfigInput, type PublicOAuthConfig, type StoredOAuthConfig, toPublicOAuthConfig } from './config.js';
export { type BearerAuth, bearerFor, forgetTokens, type TokenContext } from './tokens.js';
