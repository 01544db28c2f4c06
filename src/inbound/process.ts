import { nowIso } from '../clock.js';
import { conflict, notFound, badRequest } from '../errors.js';
import { defaultMimeLimits } from '../mail/mime/limits.js';
import { UnparseableMessageError, type ParsedMessage } from '../mail/mime/parsedMessage.js';
import { messageIdDomain } from '../outbound/index.js';
import type { AppContext } from '../core/context.js';
import type { RecordMail } from '../domain/record.js';
import type { Executor, Tx } from '../store/db.js';
import { dbFor, type CommitMode } from '../store/durability.js';
import { findEmail, updateEmail } from '../store/emails.repository.js';
import type { EmailRow, InboundState } from '../store/schema.js';
import { classify, type BounceClassification, type Classification, type ComplaintReport } from '../tracking/classify.js';
import { suppressFromReport } from '../suppression/index.js';
import { checkMailAuth, dmarcFailed } from './mailAuth.js';
import { findRecordById } from '../store/records.repository.js';
import { findProjectById, findProjectByKey } from '../store/projects.repository.js';
import { forwardTargets, insertInboundEmail, isUnexpectedSender, prepareInboundEmail, queueForward, under } from './fileInbound.js';
import { findInbound } from './inbound.repository.js';
import { inboundDb, type InboundRow } from './inbound.table.js';
import { matchOriginal } from './matchOriginal.js';
import { REASONS, stateOf, type MatchSource, type Outcome, type RejectReason, type UnmatchedReason } from './outcomes.js';
import { parseStoredMessage } from './rawMessage.js';
import { replyParts } from './replyParts.js';
import { identityOfMailbox } from './trackingSettings.js';
import { afterReply, createRecordFromMail, decideImport, planReply, type ImportDecision } from './importStage.js';
import { ensureImportUser, ownAddresses } from '../emailimport/index.js';
import type { ImportRoute } from '../emailimport/index.js';
import { isRecordType, type RecordType } from '../domain/commands.js';

/**
 * The inbound pipeline for one stored message: parse → classify (loop, bounce, auto-reply,
 * normal) → find the tracked email by its cookie → one handler per outcome. Every expected
 * outcome is a value; an unexpected error is caught here and becomes `processing_failed`,
 * so one bad message never stops the poller and stays stored for reprocessing.
 */

/** Raw messages above this are not parsed: the MIME reader's own bound, the same as the fetch limit. */
export const MAX_PARSE_BYTES = defaultMimeLimits.maxMessageBytes;

/** States a message may be (re)decided from. 'attached', 'bounce' and 'auto_reply' are final. */
export const REPROCESSABLE: readonly InboundState[] = ['stored', 'unmatched', 'rejected', 'dismissed'];

type Decision =
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

/** Lost a race: another process decided this message while we were working on it. */
class AlreadyDecided extends Error {}

async function decide(ctx: AppContext, row: InboundRow): Promise<Decision> {
  if (row.size > MAX_PARSE_BYTES) return { kind: 'rejected', reason: 'too_large', detail: `${row.size} bytes` };
  let msg: ParsedMessage;
  try {
    msg = await parseStoredMessage(ctx.blobs, row.raw_blob, row.size);
  } catch (err) {
    if (err instanceof UnparseableMessageError) return { kind: 'rejected', reason: 'malformed', detail: err.message };
    throw err;
  }
  const identity = await identityOfMailbox(ctx.store.db, row.account);
  // Without a configured account (reprocessing after the account was removed) no plus address
  // can match, but headers and bodies still can.
  const trackingAddress = identity?.address ?? 'tracking@mailtrail.invalid';
  const classification: Classification = classify(msg, { trackingAddress });
  if (classification.kind === 'auto_reply' && classification.reason.startsWith('loop:')) {
    return { kind: 'rejected', msg, reason: 'mail_loop', detail: classification.reason };
  }
  const bounce = classification.kind === 'bounce' ? classification : undefined;
  const complaint = classification.kind === 'auto_reply' ? classification.complaint : undefined;
  const match = await matchOriginal(ctx.store.db, msg, bounce ?? complaint, {
    secret: ctx.config.secret,
    trackingAddress,
    messageIdDomain: messageIdDomain(identity),
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

function bounceSummary(b: BounceClassification): string {
  return [b.hard ? 'permanent failure' : 'temporary failure', b.status, b.recipient, b.diagnostic].filter(Boolean).join(' — ');
}

interface Summary {
  from_address: string | null;
  subject: string | null;
}

function summaryOf(msg: ParsedMessage | undefined): Summary {
  return { from_address: msg?.from?.address.toLowerCase() ?? null, subject: msg ? msg.subject.slice(0, 998) : null };
}

/**
 * Claims the message for this decision: the state changes only if it is still what we read,
 * so two processes (or a poll and a manual reprocess) never both file one message. It runs
 * first in the transaction, so on PostgreSQL the row stays locked until the rest commits.
 */
async function claim(tx: Executor, row: InboundRow, update: Partial<InboundRow>): Promise<void> {
  const res = await inboundDb(tx)
    .updateTable('inbound_messages')
    .set({ ...update, attempts: row.attempts + 1, processed_at: nowIso() })
    .where('id', '=', row.id)
    .where('state', '=', row.state)
    .where('attempts', '=', row.attempts)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) !== 1) throw new AlreadyDecided();
}

function transact<T>(ctx: AppContext, commit: CommitMode, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return dbFor(ctx.store, commit).transaction().execute(fn);
}

/**
 * The transaction that files a message, followed in it by the record's mail hooks (rules on
 * `email.received` / `email.bounced`): the one place every filed reply, import and bounce passes.
 */
function fileAndTell(ctx: AppContext, commit: CommitMode, from: string, fn: (tx: Tx) => Promise<Outcome>): Promise<Outcome> {
  return transact(ctx, commit, async (tx) => {
    const outcome = await fn(tx);
    const handlers = ctx.recordMailHandlers ?? [];
    if (handlers.length === 0 || (outcome.kind !== 'attached' && outcome.kind !== 'bounce')) return outcome;
    const email = await findEmail(tx, outcome.inboundEmailId);
    if (!email?.record_id) return outcome;
    const mail: RecordMail = {
      kind: outcome.kind === 'bounce' ? 'email.bounced' : 'email.received',
      projectId: email.project_id,
      recordId: email.record_id,
      emailId: email.id,
      at: nowIso(),
      from,
    };
    for (const handle of handlers) await handle(tx, mail);
    return outcome;
  });
}

async function apply(ctx: AppContext, row: InboundRow, d: Decision, commit: CommitMode = 'durable'): Promise<Outcome> {
  if (d.kind === 'unmatched' || d.kind === 'rejected') {
    const outcome: Outcome =
      d.kind === 'unmatched'
        ? { kind: 'unmatched', reason: d.reason, ...(d.detail ? { detail: d.detail } : {}) }
        : { kind: 'rejected', reason: d.reason, ...(d.detail ? { detail: d.detail } : {}), ...(d.targetEmailId ? { targetEmailId: d.targetEmailId } : {}) };
    await transact(ctx, commit, (tx) =>
      claim(tx, row, {
        state: stateOf(outcome),
        reason: d.reason,
        detail: d.detail ?? null,
        email_id: null,
        project_id: null,
        target_email_id: d.kind === 'rejected' ? (d.targetEmailId ?? null) : null,
        ...summaryOf(d.msg),
      }),
    );
    return outcome;
  }

  // Slow work (attachment blobs, sanitising, trimming) before the transaction opens.
  const prepared = await prepareInboundEmail(ctx, row, d.msg);
  // A bounce comes from the remote mail system (From: MAILER-DAEMON, empty Return-Path): its
  // authentication says nothing about the person, and VERP already decides whether it is trusted.
  const auth = d.kind === 'bounce' ? undefined : await checkMailAuth(ctx, row.raw_blob, d.msg);
  if (auth) prepared.authResults = auth;
  const parts = replyParts(d.msg);
  const from = d.msg.from?.address.toLowerCase() ?? '';

  if (d.kind === 'on_record') {
    const { record } = d;
    return fileAndTell(ctx, commit, from, async (tx): Promise<Outcome> => {
      // target_email_id means "filed under" once attached; there is no email here.
      await claim(tx, row, {
        state: 'attached',
        reason: null,
        detail: null,
        target_email_id: null,
        email_id: prepared.id,
        project_id: record.project_id,
        ...summaryOf(d.msg),
      });
      const flags: Record<string, unknown> = d.forwardedBy ? { forwardedInBy: d.forwardedBy } : { attachedByHand: true };
      if (d.msg.problems.length > 0) flags.parseProblems = d.msg.problems.slice(0, 10);
      const unexpectedSender = (await isUnexpectedSender(tx, { record_id: record.id, project_id: record.project_id }, from)) || dmarcFailed(auth);
      if (unexpectedSender) flags.unexpectedSender = true;
      if (dmarcFailed(auth)) flags.dmarcFailed = true;
      const into = { projectId: record.project_id, recordId: record.id, parentId: null };
      await insertInboundEmail(tx, {
        prepared,
        inbound: row,
        into,
        replyText: parts.replyText,
        quotedText: parts.quotedText,
        ...(parts.segments ? { segments: parts.segments } : {}),
        flags,
      });
      // Never forwarded: no tracked email was sent, so nobody is waiting for this answer in
      // their mailbox, and pushing unsolicited mail at the record's people is how spam
      // spreads. Whoever should read it sees it on the record and can reply from there.
      return {
        kind: 'attached',
        inboundEmailId: prepared.id,
        originalId: null,
        projectId: record.project_id,
        forwarded: false,
        unexpectedSender,
        via: d.forwardedBy ? 'forward' : 'manual',
      };
    });
  }

  if (d.kind === 'create_record') {
    const { route } = d;
    const project = await findProjectById(ctx.store.db, route.projectId);
    if (!project) throw notFound('project_not_found', `No project ${route.projectId}.`);
    const importUser = await ensureImportUser(ctx.store.db);
    return fileAndTell(ctx, commit, from, async (tx): Promise<Outcome> => {
      await claim(tx, row, {
        state: 'attached',
        reason: null,
        detail: null,
        target_email_id: null,
        email_id: prepared.id,
        project_id: project.id,
        ...summaryOf(d.msg),
      });
      const flags: Record<string, unknown> = { importedBy: d.manual ? 'hand' : 'email', ...(route.rule ? { importRule: route.rule.name } : {}) };
      if (d.msg.problems.length > 0) flags.parseProblems = d.msg.problems.slice(0, 10);
      const created = await createRecordFromMail(ctx, tx, {
        inboundId: row.id,
        msg: d.msg,
        prepared,
        project,
        recordType: route.recordType,
        ...(d.title ? { title: d.title } : {}),
        description: parts.replyText,
        defaults: route.defaults,
        acknowledge: route.acknowledge,
        importUser,
        file: (recordId) =>
          insertInboundEmail(tx, {
            prepared,
            inbound: row,
            into: { projectId: project.id, recordId, parentId: null },
            replyText: parts.replyText,
            quotedText: parts.quotedText,
            flags: { ...flags },
          }),
      });
      if (created.note)
        await inboundDb(tx)
          .updateTable('inbound_messages')
          .set({ detail: created.note.slice(0, 2000) })
          .where('id', '=', row.id)
          .execute();
      return {
        kind: 'attached',
        inboundEmailId: prepared.id,
        originalId: null,
        projectId: project.id,
        forwarded: false,
        unexpectedSender: false,
        via: 'import',
        createdRecordId: created.record.id,
      };
    });
  }

  return fileAndTell(ctx, commit, from, async (tx): Promise<Outcome> => {
    const base = { state: d.kind === 'reply' ? 'attached' : d.kind, reason: null, detail: null, target_email_id: d.original.id, ...summaryOf(d.msg) } as const;
    await claim(tx, row, { ...base, email_id: prepared.id, project_id: d.original.project_id });
    const flags: Record<string, unknown> = d.via === 'manual' ? { attachedByHand: true } : { matchedVia: d.via };
    if (d.msg.problems.length > 0) flags.parseProblems = d.msg.problems.slice(0, 10);

    if (d.kind === 'bounce') {
      const { kind: _kind, verpCookie: _cookie, ...bounce } = d.bounce;
      flags.bounce = bounce;
      // Only a bounce addressed to the VERP envelope sender is trusted to change the email's
      // status: the cookie in the Subject, body and Message-ID is in every recipient's copy, so
      // anyone who got the email could otherwise forge a "hard bounce" with words of their own.
      const verified = d.via === 'verp';
      if (!verified) flags.bounceUnverified = true;
      await insertInboundEmail(tx, {
        prepared,
        inbound: row,
        into: under(d.original),
        replyText: parts.replyText,
        quotedText: parts.quotedText,
        ...(parts.segments ? { segments: parts.segments } : {}),
        flags,
      });
      let suppressed: string | undefined;
      if (verified && d.bounce.hard && d.original.direction === 'outbound') {
        await updateEmail(tx, d.original.id, { status: 'failed', error: `Bounced: ${bounceSummary(d.bounce)}`, updated_at: nowIso() });
        // The address is dead: the next send to it is refused (src/suppression) until an admin lifts it.
        const detail = [d.bounce.status, d.bounce.diagnostic].filter(Boolean).join(' ') || 'permanent failure';
        suppressed = await suppressFromReport(tx, {
          original: d.original,
          reason: 'bounce',
          recipient: d.bounce.recipient,
          detail,
          inboundEmailId: prepared.id,
        });
      }
      return {
        kind: 'bounce',
        inboundEmailId: prepared.id,
        originalId: d.original.id,
        projectId: d.original.project_id,
        hard: d.bounce.hard,
        ...(suppressed ? { suppressed } : {}),
      };
    }
    if (d.kind === 'auto_reply') {
      flags.autoReply = d.reason;
      let suppressed: string | undefined;
      if (d.complaint) {
        const { verpCookie: _cookie, ...complaint } = d.complaint;
        flags.complaint = complaint;
        // Feedback loops mail their reports to an address of ours, rarely to the envelope
        // sender, so a complaint is trusted when it came to the VERP address or carries the
        // reported copy with our Message-ID; a cookie read from a subject or body is not enough.
        if ((d.via === 'verp' || d.via === 'bounced-message-id') && d.original.direction === 'outbound') {
          suppressed = await suppressFromReport(tx, {
            original: d.original,
            reason: 'complaint',
            recipient: d.complaint.recipient,
            detail: `${d.complaint.feedbackType} report`,
            inboundEmailId: prepared.id,
          });
        } else flags.complaintUnverified = true;
      }
      await insertInboundEmail(tx, {
        prepared,
        inbound: row,
        into: under(d.original),
        replyText: parts.replyText,
        quotedText: parts.quotedText,
        ...(parts.segments ? { segments: parts.segments } : {}),
        flags,
      });
      return {
        kind: 'auto_reply',
        inboundEmailId: prepared.id,
        originalId: d.original.id,
        projectId: d.original.project_id,
        ...(suppressed ? { suppressed } : {}),
      };
    }

    // A known party's address with a failed DMARC is someone else using it (a forged From).
    const unexpectedSender = (await isUnexpectedSender(tx, d.original, from)) || dmarcFailed(auth);
    if (unexpectedSender) flags.unexpectedSender = true;
    if (dmarcFailed(auth)) flags.dmarcFailed = true;
    const plan = await planReply(tx, {
      original: d.original,
      via: d.via,
      from,
      replyText: parts.replyText,
      textBody: prepared.fields.text_body,
      htmlBody: prepared.fields.html_body,
    });
    if (plan.commands.length > 0) flags.commands = plan.commands.map((c) => c.line);
    const inbound = await insertInboundEmail(tx, {
      prepared: { ...prepared, fields: { ...prepared.fields, text_body: plan.textBody, html_body: plan.htmlBody } },
      inbound: row,
      into: under(d.original),
      replyText: plan.replyText,
      quotedText: parts.quotedText,
      // Commands taken out of the reply change its text; the segments would show them again.
      ...(parts.segments && plan.replyText === parts.replyText ? { segments: parts.segments } : {}),
      flags,
    });
    // Never forward someone's own mail back to them (the original sender answering our forward),
    // nor to one of our own addresses (a rule email whose project has no notification account).
    const targets = await forwardTargets(tx, d.original, (a) => a.toLowerCase() === from || plan.own.polled(a));
    for (const target of targets) await queueForward(tx, prepared.id, target);
    const extras = await afterReply(ctx, tx, { plan, msg: d.msg, inbound, forwardedTo: targets });
    const forwarded = targets.length > 0 || extras.participantForwards > 0;
    return {
      kind: 'attached',
      inboundEmailId: prepared.id,
      originalId: d.original.id,
      projectId: d.original.project_id,
      forwarded,
      unexpectedSender,
      via: d.via,
      ...(extras.commands ? { commands: extras.commands } : {}),
    };
  });
}

/**
 * A failure of the machine, not of the message: the database connection lost (a PostgreSQL
 * restart), the disk full, a lock timeout. Filing the message as processing_failed would leave
 * a valid reply waiting for an admin (and, with deleteUntracked, remove it from the server).
 */
export function isPassingFailure(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    if (['ENOSPC', 'EDQUOT', 'EIO', 'EMFILE', 'ENFILE', 'EROFS', 'EAGAIN', 'EBUSY', 'ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE'].includes(code))
      return true;
    // PostgreSQL: connection exception, insufficient resources (disk full), operator
    // intervention (shutdown, terminated backend), serialization failure and deadlock.
    if (/^(08|53|57P)/.test(code) || code === '40001' || code === '40P01') return true;
    if (/^SQLITE_(BUSY|LOCKED|FULL|IOERR)/.test(code)) return true;
  }
  // node-postgres reports a socket closed under a query without a code.
  return err instanceof Error && /Connection terminated|not queryable|Client was closed/i.test(err.message);
}

/** Records an unexpected failure as `processing_failed`, keeping the message reprocessable. */
async function recordFailure(ctx: AppContext, row: InboundRow, err: unknown): Promise<Outcome> {
  const detail = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  if (isPassingFailure(err)) {
    // Nothing is wrong with the message: it stays 'stored' and the next poll decides it again.
    ctx.log.warn({ err, inboundId: row.id }, 'inbound message processing failed for a passing reason; the next poll retries it');
    return { kind: 'rejected', reason: 'processing_failed', detail };
  }
  ctx.log.error({ err, inboundId: row.id }, 'inbound message processing failed');
  try {
    await inboundDb(ctx.store.db)
      .updateTable('inbound_messages')
      .set({ state: 'rejected', reason: 'processing_failed', detail: detail.slice(0, 2000), attempts: row.attempts + 1, processed_at: nowIso() })
      .where('id', '=', row.id)
      .where('state', '=', row.state)
      .execute();
  } catch (writeErr) {
    // The database itself is failing; the row stays 'stored' and the next poll tries again.
    ctx.log.error({ err: writeErr, inboundId: row.id }, 'could not record the processing failure');
  }
  return { kind: 'rejected', reason: 'processing_failed', detail };
}

/** The outcome a decided message already has (for duplicates and races). */
export function outcomeOfRow(row: InboundRow): Outcome | undefined {
  switch (row.state) {
    case 'attached':
      return {
        kind: 'attached',
        inboundEmailId: row.email_id ?? '',
        originalId: row.target_email_id,
        projectId: row.project_id ?? '',
        forwarded: false,
        unexpectedSender: false,
        via: 'manual',
      };
    case 'bounce':
      return { kind: 'bounce', inboundEmailId: row.email_id ?? '', originalId: row.target_email_id ?? '', projectId: row.project_id ?? '', hard: false };
    case 'auto_reply':
      return { kind: 'auto_reply', inboundEmailId: row.email_id ?? '', originalId: row.target_email_id ?? '', projectId: row.project_id ?? '' };
    case 'unmatched':
      return { kind: 'unmatched', reason: (row.reason ?? 'no_cookie') as UnmatchedReason };
    case 'rejected':
    case 'dismissed':
      return { kind: 'rejected', reason: (row.reason && row.reason in REASONS ? row.reason : 'processing_failed') as RejectReason };
    default:
      return undefined;
  }
}

/**
 * Decides one stored message. `allowFrom` says which states it may be (re)decided from: the
 * poller passes ['stored'], "reprocess" the whole REPROCESSABLE list. `commit` 'deferred' is
 * for the poller alone, which makes the decisions durable before the server deletes anything
 * (store/durability.ts).
 */
export async function processInbound(
  ctx: AppContext,
  inboundId: string,
  allowFrom: readonly InboundState[] = ['stored'],
  opts: { commit?: CommitMode } = {},
): Promise<Outcome> {
  const row = await findInbound(ctx.store.db, inboundId);
  if (!row) throw notFound('inbound_not_found', `No inbound message ${inboundId}.`);
  if (!allowFrom.includes(row.state)) {
    throw conflict('inbound_already_filed', `Inbound message ${inboundId} is already ${row.state}; only ${allowFrom.join(', ')} messages can be processed.`);
  }
  try {
    return await apply(ctx, row, await decide(ctx, row), opts.commit);
  } catch (err) {
    if (err instanceof AlreadyDecided) {
      const now = await findInbound(ctx.store.db, inboundId);
      return (now && outcomeOfRow(now)) ?? { kind: 'rejected', reason: 'processing_failed', detail: 'decided concurrently' };
    }
    return recordFailure(ctx, row, err);
  }
}

/** Where an admin files a message by hand: under one email, or on a record (at the top, no email). */
export type AttachTarget = { emailId: string } | { recordId: string };

/** The stored message an admin files by hand; one that cannot be parsed is a 409 the admin can read. */
export async function parseForAdmin(ctx: AppContext, row: { raw_blob: string; size: number }): Promise<ParsedMessage> {
  try {
    return await parseStoredMessage(ctx.blobs, row.raw_blob, row.size);
  } catch (err) {
    if (err instanceof UnparseableMessageError) throw conflict('unparseable_message', `The message cannot be read as an email: ${err.message}`);
    // Both blob backends say ENOENT for a blob they do not hold: a lost file, not a server fault.
    if ((err as { code?: string }).code === 'ENOENT')
      throw notFound('raw_message_missing', `The stored message (blob ${row.raw_blob}) is missing from the blob store.`);
    throw err;
  }
}

/**
 * Attaches a stored message by hand (an admin's decision for unmatched or refused mail):
 * under `emailId` it is filed as a reply and forwarded like any tracked reply; on `recordId`
 * it starts a conversation of its own on that record and is never forwarded.
 */
export async function attachManually(ctx: AppContext, inboundId: string, target: AttachTarget): Promise<Outcome> {
  const row = await findInbound(ctx.store.db, inboundId);
  if (!row) throw notFound('inbound_not_found', `No inbound message ${inboundId}.`);
  if (!REPROCESSABLE.includes(row.state)) throw conflict('inbound_already_filed', `Inbound message ${inboundId} is already ${row.state}.`);
  let place: { original: EmailRow } | { record: { id: string; project_id: string } };
  if ('emailId' in target) {
    const original = await findEmail(ctx.store.db, target.emailId);
    if (!original) throw notFound('email_not_found', `No email ${target.emailId}.`);
    if (original.deleted_at !== null) throw conflict('email_deleted', `Email ${target.emailId} was deleted; attach the message to another email.`);
    place = { original };
  } else {
    const record = await findRecordById(ctx.store.db, target.recordId);
    if (!record) throw notFound('record_not_found', `No record ${target.recordId}.`);
    place = { record: { id: record.id, project_id: record.project_id } };
  }
  const msg = await parseForAdmin(ctx, row);
  try {
    const decision: Decision =
      'original' in place ? { kind: 'reply', msg, original: place.original, via: 'manual' } : { kind: 'on_record', msg, record: place.record };
    return await apply(ctx, row, decision);
  } catch (err) {
    if (err instanceof AlreadyDecided) throw conflict('inbound_changed', 'The message was processed meanwhile; reload and try again.');
    throw err;
  }
}

/** Sets a message aside: it leaves the admin's lists and is never processed again unless asked. */
export async function dismissInbound(ctx: AppContext, inboundId: string): Promise<InboundRow> {
  const row = await findInbound(ctx.store.db, inboundId);
  if (!row) throw notFound('inbound_not_found', `No inbound message ${inboundId}.`);
  if (row.state === 'dismissed') return row;
  if (row.state !== 'unmatched' && row.state !== 'rejected') {
    throw conflict('inbound_already_filed', `Only unmatched or rejected messages can be dismissed; this one is ${row.state}.`);
  }
  await inboundDb(ctx.store.db)
    .updateTable('inbound_messages')
    .set({ state: 'dismissed', processed_at: nowIso() })
    .where('id', '=', row.id)
    .where('state', '=', row.state)
    .execute();
  return (await findInbound(ctx.store.db, inboundId)) ?? row;
}

export interface CreateFromInboundInput {
  projectKey: string;
  type: string;
  /** Default: the subject with tags and Re:/Fwd: stripped. */
  title?: string;
  /** Send the acknowledgement to the sender (default true; never to lists or our own addresses). */
  acknowledge?: boolean;
}

/**
 * "Create record" in the unmatched view: an admin makes a new record from a stored message,
 * whatever the project's "who may create" and rate limit say; the message becomes the record's
 * first inbound email, its sender, To and Cc the participants, as with a record made by import.
 */
export async function createRecordFromInbound(ctx: AppContext, inboundId: string, input: CreateFromInboundInput): Promise<Outcome> {
  const row = await findInbound(ctx.store.db, inboundId);
  if (!row) throw notFound('inbound_not_found', `No inbound message ${inboundId}.`);
  if (!REPROCESSABLE.includes(row.state)) throw conflict('inbound_already_filed', `Inbound message ${inboundId} is already ${row.state}.`);
  const project = await findProjectByKey(ctx.store.db, input.projectKey);
  if (!project) throw notFound('project_not_found', `There is no project "${input.projectKey}".`);
  if (!isRecordType(input.type)) throw badRequest('invalid_record_type', `"${input.type}" is not a record type.`);
  const msg = await parseForAdmin(ctx, row);
  const sender = msg.from?.address.toLowerCase() ?? '';
  if (sender && (await ownAddresses(ctx.store.db)).has(sender))
    throw conflict('import_own_mail', `${sender} is one of our own addresses; no record is made from our own mail.`);
  const title = input.title?.trim();
  const decision: Decision = {
    kind: 'create_record',
    msg,
    route: { projectId: project.id, recordType: input.type as RecordType, defaults: {}, acknowledge: input.acknowledge !== false && sender !== '' },
    ...(title ? { title } : {}),
    manual: true,
  };
  try {
    return await apply(ctx, row, decision);
  } catch (err) {
    if (err instanceof AlreadyDecided) throw conflict('inbound_changed', 'The message was processed meanwhile; reload and try again.');
    throw err;
  }
}
