import type { Config } from './config.js';
import { demoModule } from './demo/index.js';
import { dkimModule } from './dkim/index.js';
import { emailImportModule } from './emailimport/index.js';
import { createTrackingModule } from './inbound/index.js';
import { metricsModule } from './metrics/index.js';
import { outboxCounts } from './outbound/outbox.js';
import { sandboxModule } from './sandbox/module.js';
import { suppressionModule } from './suppression/index.js';
import { oauthModule } from './mailboxes/oauth/index.js';
import { outboundModule } from './outbound/index.js';
import { rulesModule } from './rules/index.js';
import { notificationsModule } from './notifications/index.js';
import type { Module } from './core/module.js';
import type { TemplateRenderer } from './outbound/emails.service.js';
import { templatesModule } from './templates/index.js';
import { renderForRecord } from './templates/templates.service.js';

/** Compose uses the project's templates through this adapter, so outbound does not import templates. */
export const renderTemplate: TemplateRenderer = async ({ ctx, projectCtx, record, senderUserId, template, recipient, emailText }) =>
  renderForRecord(ctx.store.db, {
    projectRow: projectCtx.project,
    recordId: record.id,
    senderUserId,
    recipient: { ...(recipient.name ? { name: recipient.name } : {}), email: recipient.address },
    emailText,
    templateName: template,
  });

/** Every feature module of the server, in start order. */
export function allModules(config: Config): Module[] {
  return [
    metricsModule(config),
    sandboxModule(config),
    demoModule(config),
    templatesModule,
    outboundModule({ renderTemplate }),
    createTrackingModule({ statusParts: [async (ctx) => ({ outbox: await outboxCounts(ctx.store.db) })] }),
    rulesModule,
    notificationsModule,
    emailImportModule,
    suppressionModule,
    oauthModule,
    dkimModule,
  ];
}
