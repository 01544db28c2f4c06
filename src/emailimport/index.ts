import type { FastifyInstance } from 'fastify';
import type { Module } from '../core/module.js';
import { importRoutes } from './import.routes.js';
import { ensureImportUser } from './mailActions.js';

/**
 * Email in, records out: import addresses and rules per project, who may create records by
 * mail, participants of records, commands by email. The pipeline stage that uses all of it is
 * `inbound/importStage.ts`; this module holds the settings, the routes and the import user.
 * The user-facing description is docs/email-import.md.
 */
export const emailImportModule: Module = {
  name: 'email-import',
  routes: async (app: FastifyInstance) => {
    await app.register(importRoutes);
  },
  prepare: async (ctx) => {
    await ensureImportUser(ctx.store.db);
  },
};

export { titleFromSubject, splitCommands, forwardTarget } from './mailText.js';
export { IMPORT_USERNAME } from './mailActions.js';

// What other features use of this one (docs/ARCHITECTURE.md: a feature is used only through its index.ts).
export { addParticipants, ownAddresses, participantAddresses, type OwnAddresses } from './participants.js';
export {
  applyEmailCommands,
  type CommandResult,
  ensureImportUser,
  importedFromMessageId,
  importsInLastHour,
  logImport,
  participantForwardTargets,
  queueAcknowledgement,
  queueCommandReport,
  reopenOnReply,
  systemContext,
  userByAddress,
  whyNoAcknowledgement,
} from './mailActions.js';
export { type EmailCommand } from './mailText.js';
export { type ImportRoute, mayCreate, routeMail } from './routing.js';
export { type ImportSettings, loadImportSettings } from './importSettings.js';
