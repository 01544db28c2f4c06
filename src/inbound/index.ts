import type { FastifyInstance } from 'fastify';
import { inboundRoutes } from './inbound.routes.js';
import { trackingRoutes, type EmailStatusPart } from './tracking.routes.js';
import type { Module } from '../core/module.js';
import type { PollOptions } from './poller.js';
import { TrackingPollers } from './worker.js';

/**
 * Tracked email in: the tracking account's settings and poll routes, the admin review of
 * unmatched and rejected mail, and the poller worker (interval + IMAP IDLE).
 */
export { pollOnce, readPollStatus, type PollResult, type PollStatus, type PollHooks, type PollOptions } from './poller.js';
export { reprocessInbound, type ReprocessReport } from './reprocess.js';
export { processInbound } from './pipeline.js';
export { attachManually, dismissInbound } from './manual.js';
export { REASONS, type Outcome, type Reason, type RejectReason, type UnmatchedReason } from './outcomes.js';
export { loadTrackingSettings, publicTrackingSettings, saveTrackingSettings, type TrackingSettings } from './trackingSettings.js';
export { openMailbox, testMailbox, type MailboxOpener, type MailboxSession, type RemoteMessage } from './mailbox.js';
export { TrackingPoller, TrackingPollers } from './worker.js';
export type { EmailStatusPart } from './tracking.routes.js';

export interface TrackingModuleOptions {
  /** Parts other modules add to GET /admin/email/status (the outbound side: outbox counts). */
  statusParts?: EmailStatusPart[];
  /** Test seams for the poller (a scripted mailbox, crash hooks). */
  pollOptions?: PollOptions;
}

export function createTrackingModule(opts: TrackingModuleOptions = {}): Module & { poller(): TrackingPollers | undefined } {
  let poller: TrackingPollers | undefined;
  return {
    name: 'tracking',
    routes: async (app: FastifyInstance) => {
      await app.register(
        trackingRoutes({
          onSettingsChanged: () => poller?.wake(),
          ...(opts.statusParts ? { statusParts: opts.statusParts } : {}),
          ...(opts.pollOptions ? { pollOptions: opts.pollOptions } : {}),
        }),
      );
      await app.register(inboundRoutes);
    },
    start: async (ctx) => {
      poller = new TrackingPollers(ctx, opts.pollOptions);
      return poller.start();
    },
    poller: () => poller,
  };
}

export const trackingModule: Module = createTrackingModule();

// What other features use of this one (docs/ARCHITECTURE.md: a feature is used only through its index.ts).
export { graphBaseUrl } from './mailbox.js';
export { type AuthResults } from './mailAuth.js';
