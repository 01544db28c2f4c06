import type { ParsedMessage } from '../mail/mime/parsedMessage.js';
import type { AppContext } from '../core/context.js';
import type { TrackingIdentity } from '../outbound/index.js';
import { classify, type Classification } from '../tracking/classify.js';
import type { Decision } from './decision.js';
import type { InboundRow } from './inbound.table.js';
import { identityOfMailbox } from './trackingSettings.js';

/**
 * The classify stage: loop, bounce, auto-reply or normal mail (tracking/classify.ts), judged
 * against the address of the account the message came in by. Mail we sent ourselves that came
 * back is refused here; everything else goes on to the match.
 */
export interface Classified {
  kind: 'classified';
  msg: ParsedMessage;
  classification: Classification;
  trackingAddress: string;
  identity: TrackingIdentity | undefined;
}

export async function classifyStage(ctx: AppContext, row: InboundRow, msg: ParsedMessage): Promise<Classified | Extract<Decision, { kind: 'rejected' }>> {
  const identity = await identityOfMailbox(ctx.store.db, row.account);
  // Without a configured account (reprocessing after the account was removed) no plus address
  // can match, but headers and bodies still can.
  const trackingAddress = identity?.address ?? 'tracking@mailtrail.invalid';
  const classification = classify(msg, { trackingAddress });
  if (classification.kind === 'auto_reply' && classification.reason.startsWith('loop:')) {
    return { kind: 'rejected', msg, reason: 'mail_loop', detail: classification.reason };
  }
  return { kind: 'classified', msg, classification, trackingAddress, identity };
}
