import type { AppContext } from '../core/context.js';
import { messageIdDomain } from '../outbound/index.js';
import type { Classified } from './classify.js';
import { bounceSummary, type Decision } from './decision.js';
import { decideImport, type ImportDecision } from './importStage.js';
import { matchOriginal } from './matchOriginal.js';
import type { UnmatchedReason } from './outcomes.js';

/**
 * The match stage: the tracked email a classified message answers (matchOriginal.ts: the first
 * verified cookie decides), or, for normal mail without one, what email import makes of it
 * (importStage.ts). Its result is the decision the file stage carries out.
 */
export async function matchStage(ctx: AppContext, c: Classified): Promise<Decision> {
  const { msg, classification } = c;
  const bounce = classification.kind === 'bounce' ? classification : undefined;
  const complaint = classification.kind === 'auto_reply' ? classification.complaint : undefined;
  const match = await matchOriginal(ctx.store.db, msg, bounce ?? complaint, {
    secret: ctx.config.secret,
    trackingAddress: c.trackingAddress,
    messageIdDomain: messageIdDomain(c.identity),
  });
  if (match.kind === 'refused') {
    return { kind: 'rejected', msg, reason: match.reason, detail: match.detail, ...(match.targetEmailId ? { targetEmailId: match.targetEmailId } : {}) };
  }
  if (match.kind === 'none') {
    if (classification.kind === 'normal') {
      const imported = await decideImport(ctx, msg);
      if (imported) return fromImport(imported);
    }
    const reason: UnmatchedReason = bounce ? 'bounce_unmatched' : classification.kind === 'auto_reply' ? 'auto_reply_unmatched' : (match.reason ?? 'no_cookie');
    const detail = bounce ? bounceSummary(bounce) : classification.kind === 'auto_reply' ? classification.reason : match.detail;
    return { kind: 'unmatched', msg, reason, ...(detail ? { detail } : {}) };
  }
  if (bounce) return { kind: 'bounce', msg, original: match.email, via: match.via, bounce };
  if (classification.kind === 'auto_reply') {
    return { kind: 'auto_reply', msg, original: match.email, via: match.via, reason: classification.reason, ...(complaint ? { complaint } : {}) };
  }
  return { kind: 'reply', msg, original: match.email, via: match.via };
}

function fromImport(d: ImportDecision): Decision {
  if (d.kind === 'forward_into') return { kind: 'on_record', msg: d.msg, record: d.record, forwardedBy: d.forwardedBy };
  return d;
}
