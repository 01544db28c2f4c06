import type { CookieSource } from '../tracking/cookie.js';
import type { InboundState } from '../store/schema.js';

/**
 * What processing one inbound message can come to. Expected outcomes are values, never
 * exceptions (Discourse receiver / GitLab handlers): the poller tallies them, the admin list
 * shows them, and `REASONS` below is the one place that says what each means to a person.
 */
export type Outcome =
  | {
      kind: 'attached';
      inboundEmailId: string;
      /** The email it was filed under; null when an admin filed it on a record without an email. */
      originalId: string | null;
      projectId: string;
      /** A forward to the original's forward_to was queued in the same transaction. */
      forwarded: boolean;
      unexpectedSender: boolean;
      /**
       * Where the cookie that matched was found; 'manual' when an admin attached it, 'import'
       * when the message became a new record, 'forward' when a member forwarded it into one.
       */
      via: MatchSource | 'manual' | 'import' | 'forward';
      /** The record this message created (email import). */
      createdRecordId?: string;
      /** Commands by email applied or refused (a verified member's reply). */
      commands?: { line: string; ok: boolean; message: string }[];
    }
  | { kind: 'bounce'; inboundEmailId: string; originalId: string; projectId: string; hard: boolean; suppressed?: string }
  | { kind: 'auto_reply'; inboundEmailId: string; originalId: string; projectId: string; suppressed?: string }
  | { kind: 'unmatched'; reason: UnmatchedReason; detail?: string }
  | { kind: 'rejected'; reason: RejectReason; detail?: string; targetEmailId?: string };

/** Where the cookie that decided a match came from (bounces add their VERP address and the bounced copy's Message-ID). */
export type MatchSource = CookieSource | 'verp' | 'bounced-message-id' | 'subject-token';

export type UnmatchedReason =
  'no_cookie' | 'bounce_unmatched' | 'auto_reply_unmatched' | 'import_not_allowed' | 'import_held' | 'forward_refused' | 'subject_token_unknown_sender';

export type RejectReason =
  | 'malformed'
  | 'too_large'
  | 'mail_loop'
  | 'cookie_forged'
  | 'cookie_unknown_email'
  | 'email_deleted'
  | 'tracking_disabled'
  | 'not_tracked'
  | 'import_own_mail'
  | 'import_duplicate'
  | 'processing_failed';

export type Reason = UnmatchedReason | RejectReason;

export interface ReasonInfo {
  /** The inbound_messages state a message with this reason is filed under. */
  state: Extract<InboundState, 'unmatched' | 'rejected'>;
  /** What an administrator reads in the inbound list. */
  message: string;
  /** Whether "Reprocess" can change the result without anyone changing the message. */
  canRetry: boolean;
}

/**
 * Every reason a message is not attached, and what the admin sees. None of them sends mail
 * to the sender: a reply to a stranger's message is how mail loops and backscatter start
 * (Discourse maps most receiver errors to "no reply" for the same reason).
 */
export const REASONS: Record<Reason, ReasonInfo> = {
  no_cookie: {
    state: 'unmatched',
    message: 'No Mailtrail tracking reference was found in the headers, subject, body or address. Attach it to a thread by hand, or dismiss it.',
    canRetry: false,
  },
  subject_token_unknown_sender: {
    state: 'unmatched',
    message:
      "Only the short token in the subject names a tracked email, and the sender is no one that record's mail went to or came from. Attach it by hand if it belongs there.",
    canRetry: false,
  },
  bounce_unmatched: {
    state: 'unmatched',
    message: 'A delivery failure report that does not name any tracked email.',
    canRetry: false,
  },
  auto_reply_unmatched: {
    state: 'unmatched',
    message: 'An automatic reply (out of office, receipt, …) that does not name any tracked email.',
    canRetry: false,
  },
  import_not_allowed: {
    state: 'unmatched',
    message:
      'Mail to an import address from a sender the project does not create records for (Who may create). Read it, then create a record from it or attach it by hand.',
    canRetry: true,
  },
  import_held: {
    state: 'unmatched',
    message:
      'Held for review: this sender created more records by email in the last hour than the project allows. Create a record from it if it is genuine, or dismiss it.',
    canRetry: true,
  },
  forward_refused: {
    state: 'unmatched',
    message:
      'Mail forwarded into a record (its id in the subject or a /record line) by someone who may not add to that record, or naming a record that does not exist. Attach it by hand if it belongs there.',
    canRetry: true,
  },
  import_own_mail: {
    state: 'rejected',
    message:
      "Mail to an import address from one of Mailtrail's own addresses (tracking, notification or import account); no record is created from our own mail.",
    canRetry: false,
  },
  import_duplicate: {
    state: 'rejected',
    message:
      'A record was created from a message with this Message-ID already (the same mail delivered twice, or to two import addresses); not imported again.',
    canRetry: false,
  },
  malformed: {
    state: 'rejected',
    message: 'The message could not be read as an email. The raw message is kept for inspection.',
    canRetry: false,
  },
  too_large: {
    state: 'rejected',
    message: 'The message is larger than Mailtrail reads. The raw message is kept.',
    canRetry: false,
  },
  mail_loop: {
    state: 'rejected',
    message: 'This is mail Mailtrail sent itself that came back to the tracking account (a mail loop); it was not filed again.',
    canRetry: false,
  },
  cookie_forged: {
    state: 'rejected',
    message: 'The tracking reference has a signature this server did not issue for that email, project and record (altered or forged). Not attached.',
    canRetry: false,
  },
  cookie_unknown_email: {
    state: 'rejected',
    message: 'The tracking reference names an email that does not exist (forged, or its record was deleted). Not attached.',
    canRetry: false,
  },
  email_deleted: {
    state: 'rejected',
    message: 'A reply to an email that was deleted. It is kept here instead of being attached; attach it to another thread by hand if it matters.',
    canRetry: true,
  },
  tracking_disabled: {
    state: 'rejected',
    message: 'A reply to an email of a project whose email tracking is off. Turn tracking on and reprocess, or attach it by hand.',
    canRetry: true,
  },
  not_tracked: {
    state: 'rejected',
    message: 'The reference names an email that was sent without tracking. Attach it by hand if it belongs to that thread.',
    canRetry: false,
  },
  processing_failed: {
    state: 'rejected',
    message: 'Processing failed with an internal error (see the detail and the server log). The raw message is kept; reprocess it once the cause is fixed.',
    canRetry: true,
  },
};

/** The inbound_messages state each outcome files the message under. */
export function stateOf(outcome: Outcome): InboundState {
  switch (outcome.kind) {
    case 'attached':
      return 'attached';
    case 'bounce':
      return 'bounce';
    case 'auto_reply':
      return 'auto_reply';
    case 'unmatched':
    case 'rejected':
      return REASONS[outcome.reason].state;
  }
}

/** States whose message belongs to a thread: it is removed from the tracking account. */
export const FILED_STATES: ReadonlySet<InboundState> = new Set(['attached', 'bounce', 'auto_reply']);
/** States of mail without a valid cookie: removed only with `deleteUntracked`. */
export const UNTRACKED_STATES: ReadonlySet<InboundState> = new Set(['unmatched', 'rejected', 'dismissed']);

export function shouldRemoveFromServer(state: InboundState, deleteUntracked: boolean): boolean {
  if (FILED_STATES.has(state)) return true;
  if (UNTRACKED_STATES.has(state)) return deleteUntracked;
  return false; // 'stored': not decided yet, so not ours to delete
}
