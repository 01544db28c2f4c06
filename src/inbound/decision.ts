import type { ParsedMessage } from '../mail/mime/parsedMessage.js';
import type { EmailRow } from '../store/schema.js';
import type { BounceClassification, ComplaintReport } from '../tracking/classify.js';
import type { ImportRoute } from '../emailimport/index.js';
import type { MatchSource, RejectReason, UnmatchedReason } from './outcomes.js';

/**
 * What the first stages (parse, classify, match) decide about one stored message, and what the
 * file stage carries out. Admin actions (attach by hand, "Create record") enter the pipeline
 * with a decision of their own, at the file stage.
 */
export type Decision =
  | { kind: 'reply'; msg: ParsedMessage; original: EmailRow; via: MatchSource | 'manual' }
  /** An admin filed it on a record that has no email to put it under (by hand), or a member forwarded it there. */
  | { kind: 'on_record'; msg: ParsedMessage; record: { id: string; project_id: string }; forwardedBy?: string }
  /** Import: mail to an import address becomes a new record (or an admin's "Create record"). */
  | {
      kind: 'create_record';
      msg: ParsedMessage;
      route: Pick<ImportRoute, 'projectId' | 'recordType' | 'defaults' | 'acknowledge' | 'rule'>;
      title?: string;
      manual: boolean;
    }
  | { kind: 'bounce'; msg: ParsedMessage; original: EmailRow; via: MatchSource; bounce: BounceClassification }
  | { kind: 'auto_reply'; msg: ParsedMessage; original: EmailRow; via: MatchSource; reason: string; complaint?: ComplaintReport }
  | { kind: 'unmatched'; msg: ParsedMessage; reason: UnmatchedReason; detail?: string }
  | { kind: 'rejected'; msg?: ParsedMessage; reason: RejectReason; detail?: string; targetEmailId?: string };

/** A decision that files the message in a thread (an email row is written). */
export type FilingDecision = Exclude<Decision, { kind: 'unmatched' | 'rejected' }>;
/** A decision that files nothing: the message waits in the admin's lists. */
export type SetAsideDecision = Extract<Decision, { kind: 'unmatched' | 'rejected' }>;

export function bounceSummary(b: BounceClassification): string {
  return [b.hard ? 'permanent failure' : 'temporary failure', b.status, b.recipient, b.diagnostic].filter(Boolean).join(' — ');
}
