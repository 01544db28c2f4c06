import type { FastifyInstance } from 'fastify';
import { emailRoutes } from './emails.routes.js';
import { sendingRoutes } from './sending.routes.js';
import type { Module } from '../core/module.js';
import type { EmailsDeps, TemplateRenderer } from './emails.service.js';
import { draftRoutes } from './drafts.routes.js';
import { Sender } from './sender.js';

export { Sender } from './sender.js';
export { fileUnsentSection, queueEmail, type FiledSection } from './queue.js';
export { enqueueOutbox } from './outbox.js';
export { REPLY_MARKER } from './message.js';

/** Sending tracked email: the email, draft and admin routes plus the outbox sender worker. */
export function outboundModule(opts: { renderTemplate?: TemplateRenderer } = {}): Module & { sender(): Sender | undefined } {
  let sender: Sender | undefined;
  const deps: EmailsDeps = {
    ...(opts.renderTemplate ? { renderTemplate: opts.renderTemplate } : {}),
    onQueued: () => sender?.wake(),
  };
  return {
    name: 'outbound',
    routes: async (app: FastifyInstance) => {
      await app.register(emailRoutes(deps));
      await app.register(draftRoutes(deps));
      await app.register(sendingRoutes);
    },
    start: async (ctx) => {
      sender = new Sender(ctx);
      return sender.start();
    },
    sender: () => sender,
  };
}

// What other features use of this one (docs/ARCHITECTURE.md: a feature is used only through its index.ts).
export { identityOf, messageIdDomain, notificationSender, trackingIdentity, type TrackingIdentity } from './trackingAddress.js';
export { publicSendingSettings, saveSendingSettings } from './sendingSettings.js';
