import { nowIso } from '../clock.js';
import { newId } from '../ids.js';
import { notFound } from '../errors.js';
import type { Address, ParsedMessage } from '../mail/mime/parsedMessage.js';
import { ensureImportUser, type OwnAddresses } from '../emailimport/index.js';
import type { AppContext } from '../core/context.js';
import type { Executor, Tx } from '../store/db.js';
import { insertAttachments, insertEmail, updateEmail } from '../store/emails.repository.js';
import { findProjectById } from '../store/projects.repository.js';
import type { EmailAttachmentRow, EmailRow, EmailsTable, ProjectRow, UserRow } from '../store/schema.js';
import { suppressFromReport } from '../suppression/index.js';
import { sanitizeEmailHtml } from '../mail/sanitizeHtml.js';
import { bounceSummary, type FilingDecision, type SetAsideDecision } from './decision.js';
import { afterReply, createRecordFromMail, planReply } from './importStage.js';
import { inboundDb, type InboundRow } from './inbound.table.js';
import { checkMailAuth, dmarcFailed, type AuthResults } from './mailAuth.js';
import { stateOf, type Outcome } from './outcomes.js';
import { isUnexpectedSender } from './parties.js';
import { attachmentContent } from './rawMessage.js';
import { replyParts, type ReplyParts } from './replyParts.js';

/**
 * The file stage: a decision written down. `prepareFiling` does the slow, fallible work outside
 * any transaction (attachment blobs, HTML sanitising, trimming, SPF/DKIM/DMARC); `fileMessage`
 * then writes inside the pipeline's transaction, whose first statement `claim`s the inbound row:
 * the email row, its attachments, flags, suppression, a record made by import, commands by
 * email. What it leaves for the forward stage is a `ForwardRequest`.
 */
export interface PreparedEmail {
  id: string;
  fields: Pick<
    EmailsTable,
    | 'message_id'
    | 'in_reply_to'
    | 'references'
    | 'from_name'
    | 'from_address'
    | 'to_list'
    | 'cc_list'
    | 'bcc_list'
    | 'subject'
    | 'text_body'
    | 'html_body'
    | 'date'
  >;
  attachments: EmailAttachmentRow[];
  /** SPF/DKIM/DMARC of the message (mailAuth.ts); absent when the check is off or failed. */
  authResults?: AuthResults;
}

const bracket = (id: string) => `<${id}>`;
const party = (a: Address) => (a.name ? { name: a.name, address: a.address.toLowerCase() } : { address: a.address.toLowerCase() });

/** A Date header more than a day in the future, or before 1990, is a broken clock: use arrival time. */
function sensibleDate(date: Date | undefined, receivedAt: string): string {
  if (!date || Number.isNaN(date.getTime())) return receivedAt;
  const t = date.getTime();
  if (t > Date.parse(receivedAt) + 86_400_000 || t < Date.UTC(1990, 0, 1)) return receivedAt;
  return date.toISOString();
}

export function attachmentUrl(emailId: string, attachmentId: string): string {
  return `/api/v1/emails/${emailId}/attachments/${attachmentId}`;
}

export async function prepareInboundEmail(ctx: AppContext, inbound: InboundRow, msg: ParsedMessage): Promise<PreparedEmail> {
  const id = newId();
  const cidUrls = new Map<string, string>();
  const attachments: EmailAttachmentRow[] = [];
  for (const [position, a] of msg.attachments.entries()) {
    // A deferred attachment (a huge one) streams from the stored message into its blob.
    const blob = await ctx.blobs.put(attachmentContent(ctx.blobs, inbound.raw_blob, msg, a));
    const attachmentId = newId();
    if (a.contentId) cidUrls.set(a.contentId, attachmentUrl(id, attachmentId));
    attachments.push({
      id: attachmentId,
      email_id: id,
      filename: a.filename,
      content_type: a.contentType,
      size: blob.size,
      blob: blob.key,
      content_id: a.contentId ?? null,
      inline: a.inline ? 1 : 0,
      position,
    });
  }
  return {
    id,
    fields: {
      message_id: msg.messageId ? bracket(msg.messageId) : null,
      in_reply_to: msg.inReplyTo[0] ? bracket(msg.inReplyTo[0]) : null,
      references: JSON.stringify(msg.references.map(bracket)),
      from_name: msg.from?.name ?? '',
      from_address: msg.from?.address.toLowerCase() ?? '',
      to_list: JSON.stringify(msg.to.map(party)),
      cc_list: JSON.stringify(msg.cc.map(party)),
      bcc_list: '[]',
      subject: msg.subject,
      text_body: msg.text ?? '',
      html_body: msg.html ? sanitizeEmailHtml(msg.html, { cidUrls }) : null,
      date: sensibleDate(msg.date, inbound.received_at),
    },
    attachments,
  };
}

/** Where an inbound email is filed: under an email of a record, or at the top of a record (parentId null). */
export interface Placement {
  projectId: string;
  recordId: string;
  parentId: string | null;
}

export function under(original: EmailRow): Placement {
  return { projectId: original.project_id, recordId: original.record_id, parentId: original.id };
}

export interface InsertInput {
  prepared: PreparedEmail;
  inbound: InboundRow;
  into: Placement;
  /** What the person wrote, what they quoted, and the two in order (replyParts.ts). */
  reply: ReplyParts;
  flags: Record<string, unknown>;
}

export async function insertInboundEmail(tx: Executor, input: InsertInput): Promise<EmailRow> {
  const at = nowIso();
  const row: EmailsTable = {
    id: input.prepared.id,
    project_id: input.into.projectId,
    record_id: input.into.recordId,
    parent_id: input.into.parentId,
    direction: 'inbound',
    source: 'reply',
    status: 'received',
    error: null,
    // Part of a tracked thread; it gets a cookie of its own only when forwarded (outbound/forward.ts).
    tracked: 1,
    cookie: null,
    ...input.prepared.fields,
    reply_text: input.reply.replyText,
    quoted_text: input.reply.quotedText,
    reply_segments: input.reply.segments && input.reply.segments.length > 0 ? JSON.stringify(input.reply.segments) : null,
    sender_user_id: null,
    forward_to: null,
    reply_route: null,
    template: null,
    rule_id: null,
    raw_blob: input.inbound.raw_blob,
    flags: JSON.stringify(input.flags),
    auth_results: input.prepared.authResults ? JSON.stringify(input.prepared.authResults) : null,
    created_at: at,
    updated_at: at,
    deleted_at: null,
  };
  await insertEmail(tx, row);
  await insertAttachments(tx, input.prepared.attachments);
  return row;
}

/** Lost a race: another process decided this message while we were working on it. */
export class AlreadyDecided extends Error {}

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

/** A message set aside (unmatched or refused): only its inbound row changes. */
export async function fileSetAside(tx: Executor, row: InboundRow, d: SetAsideDecision): Promise<Outcome> {
  const outcome: Outcome =
    d.kind === 'unmatched'
      ? { kind: 'unmatched', reason: d.reason, ...(d.detail ? { detail: d.detail } : {}) }
      : { kind: 'rejected', reason: d.reason, ...(d.detail ? { detail: d.detail } : {}), ...(d.targetEmailId ? { targetEmailId: d.targetEmailId } : {}) };
  await claim(tx, row, {
    state: stateOf(outcome),
    reason: d.reason,
    detail: d.detail ?? null,
    email_id: null,
    project_id: null,
    target_email_id: d.kind === 'rejected' ? (d.targetEmailId ?? null) : null,
    ...summaryOf(d.msg),
  });
  return outcome;
}

/** What the file stage works out before its transaction opens. */
export interface Preparation {
  email: PreparedEmail;
  auth?: AuthResults;
  parts: ReplyParts;
  /** The sender, lower-case ('' when there is none). */
  from: string;
  /** For a record made by import: its project and the import user, looked up outside the transaction. */
  creating?: { project: ProjectRow; importUser: UserRow };
}

export async function prepareFiling(ctx: AppContext, row: InboundRow, d: FilingDecision): Promise<Preparation> {
  const email = await prepareInboundEmail(ctx, row, d.msg);
  // A bounce comes from the remote mail system (From: MAILER-DAEMON, empty Return-Path): its
  // authentication says nothing about the person, and VERP already decides whether it is trusted.
  const auth = d.kind === 'bounce' ? undefined : await checkMailAuth(ctx, row.raw_blob, d.msg);
  if (auth) email.authResults = auth;
  const p: Preparation = { email, parts: replyParts(d.msg), from: d.msg.from?.address.toLowerCase() ?? '', ...(auth ? { auth } : {}) };
  if (d.kind === 'create_record') {
    const project = await findProjectById(ctx.store.db, d.route.projectId);
    if (!project) throw notFound('project_not_found', `No project ${d.route.projectId}.`);
    p.creating = { project, importUser: await ensureImportUser(ctx.store.db) };
  }
  return p;
}

/** A filed reply's forwards, for the forward stage. */
export interface ForwardRequest {
  original: EmailRow;
  /** The inbound email just written. */
  inbound: EmailRow;
  from: string;
  own: OwnAddresses;
  /** The project forwards every reply to all the record's participants (email import). */
  toParticipants: boolean;
}

export type Filed = { outcome: Outcome; forward?: undefined } | { outcome: Extract<Outcome, { kind: 'attached' }>; forward: ForwardRequest };

const attachedClaim = (d: FilingDecision, emailId: string, projectId: string, targetEmailId: string | null) =>
  ({ state: 'attached', reason: null, detail: null, target_email_id: targetEmailId, email_id: emailId, project_id: projectId, ...summaryOf(d.msg) }) as const;

function withProblems(flags: Record<string, unknown>, msg: ParsedMessage): Record<string, unknown> {
  if (msg.problems.length > 0) flags.parseProblems = msg.problems.slice(0, 10);
  return flags;
}

/** Writes a decision that files the message; runs inside the pipeline's transaction. */
export async function fileMessage(ctx: AppContext, tx: Tx, row: InboundRow, d: FilingDecision, p: Preparation): Promise<Filed> {
  switch (d.kind) {
    case 'on_record':
      return { outcome: await fileOnRecord(tx, row, d, p) };
    case 'create_record':
      return { outcome: await fileNewRecord(ctx, tx, row, d, p) };
    case 'bounce':
      return { outcome: await fileBounce(tx, row, d, p) };
    case 'auto_reply':
      return { outcome: await fileAutoReply(tx, row, d, p) };
    case 'reply':
      return fileReply(ctx, tx, row, d, p);
  }
}

async function fileOnRecord(tx: Tx, row: InboundRow, d: Extract<FilingDecision, { kind: 'on_record' }>, p: Preparation): Promise<Outcome> {
  const { record } = d;
  // target_email_id means "filed under" once attached; there is no email here.
  await claim(tx, row, attachedClaim(d, p.email.id, record.project_id, null));
  const flags = withProblems(d.forwardedBy ? { forwardedInBy: d.forwardedBy } : { attachedByHand: true }, d.msg);
  const unexpectedSender = (await isUnexpectedSender(tx, { record_id: record.id, project_id: record.project_id }, p.from)) || dmarcFailed(p.auth);
  if (unexpectedSender) flags.unexpectedSender = true;
  if (dmarcFailed(p.auth)) flags.dmarcFailed = true;
  await insertInboundEmail(tx, {
    prepared: p.email,
    inbound: row,
    into: { projectId: record.project_id, recordId: record.id, parentId: null },
    reply: p.parts,
    flags,
  });
  // Never forwarded: no tracked email was sent, so nobody is waiting for this answer in
  // their mailbox, and pushing unsolicited mail at the record's people is how spam
  // spreads. Whoever should read it sees it on the record and can reply from there.
  return {
    kind: 'attached',
    inboundEmailId: p.email.id,
    originalId: null,
    projectId: record.project_id,
    forwarded: false,
    unexpectedSender,
    via: d.forwardedBy ? 'forward' : 'manual',
  };
}

async function fileNewRecord(
  ctx: AppContext,
  tx: Tx,
  row: InboundRow,
  d: Extract<FilingDecision, { kind: 'create_record' }>,
  p: Preparation,
): Promise<Outcome> {
  const { route } = d;
  const { project, importUser } = p.creating!;
  await claim(tx, row, attachedClaim(d, p.email.id, project.id, null));
  const flags = withProblems({ importedBy: d.manual ? 'hand' : 'email', ...(route.rule ? { importRule: route.rule.name } : {}) }, d.msg);
  const created = await createRecordFromMail(ctx, tx, {
    inboundId: row.id,
    msg: d.msg,
    prepared: p.email,
    project,
    recordType: route.recordType,
    ...(d.title ? { title: d.title } : {}),
    description: p.parts.replyText,
    defaults: route.defaults,
    acknowledge: route.acknowledge,
    importUser,
    // The record's first email: its reply text is the record's description, shown without segments.
    file: (recordId) =>
      insertInboundEmail(tx, {
        prepared: p.email,
        inbound: row,
        into: { projectId: project.id, recordId, parentId: null },
        reply: { replyText: p.parts.replyText, quotedText: p.parts.quotedText },
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
    inboundEmailId: p.email.id,
    originalId: null,
    projectId: project.id,
    forwarded: false,
    unexpectedSender: false,
    via: 'import',
    createdRecordId: created.record.id,
  };
}

type UnderOriginal = Extract<FilingDecision, { kind: 'reply' | 'bounce' | 'auto_reply' }>;

/** The claim and flags of a message filed under the tracked email it answers. */
async function claimUnder(tx: Tx, row: InboundRow, d: UnderOriginal, p: Preparation): Promise<Record<string, unknown>> {
  const state = d.kind === 'reply' ? 'attached' : d.kind;
  await claim(tx, row, { ...attachedClaim(d, p.email.id, d.original.project_id, d.original.id), state });
  return withProblems(d.via === 'manual' ? { attachedByHand: true } : { matchedVia: d.via }, d.msg);
}

async function fileBounce(tx: Tx, row: InboundRow, d: Extract<FilingDecision, { kind: 'bounce' }>, p: Preparation): Promise<Outcome> {
  const flags = await claimUnder(tx, row, d, p);
  const { kind: _kind, verpCookie: _cookie, ...bounce } = d.bounce;
  flags.bounce = bounce;
  // Only a bounce addressed to the VERP envelope sender is trusted to change the email's
  // status: the cookie in the Subject, body and Message-ID is in every recipient's copy, so
  // anyone who got the email could otherwise forge a "hard bounce" with words of their own.
  const verified = d.via === 'verp';
  if (!verified) flags.bounceUnverified = true;
  await insertInboundEmail(tx, { prepared: p.email, inbound: row, into: under(d.original), reply: p.parts, flags });
  let suppressed: string | undefined;
  if (verified && d.bounce.hard && d.original.direction === 'outbound') {
    await updateEmail(tx, d.original.id, { status: 'failed', error: `Bounced: ${bounceSummary(d.bounce)}`, updated_at: nowIso() });
    // The address is dead: the next send to it is refused (src/suppression) until an admin lifts it.
    const detail = [d.bounce.status, d.bounce.diagnostic].filter(Boolean).join(' ') || 'permanent failure';
    suppressed = await suppressFromReport(tx, { original: d.original, reason: 'bounce', recipient: d.bounce.recipient, detail, inboundEmailId: p.email.id });
  }
  return {
    kind: 'bounce',
    inboundEmailId: p.email.id,
    originalId: d.original.id,
    projectId: d.original.project_id,
    hard: d.bounce.hard,
    ...(suppressed ? { suppressed } : {}),
  };
}

async function fileAutoReply(tx: Tx, row: InboundRow, d: Extract<FilingDecision, { kind: 'auto_reply' }>, p: Preparation): Promise<Outcome> {
  const flags = await claimUnder(tx, row, d, p);
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
        inboundEmailId: p.email.id,
      });
    } else flags.complaintUnverified = true;
  }
  await insertInboundEmail(tx, { prepared: p.email, inbound: row, into: under(d.original), reply: p.parts, flags });
  return { kind: 'auto_reply', inboundEmailId: p.email.id, originalId: d.original.id, projectId: d.original.project_id, ...(suppressed ? { suppressed } : {}) };
}

async function fileReply(ctx: AppContext, tx: Tx, row: InboundRow, d: Extract<FilingDecision, { kind: 'reply' }>, p: Preparation): Promise<Filed> {
  const flags = await claimUnder(tx, row, d, p);
  // A known party's address with a failed DMARC is someone else using it (a forged From).
  const unexpectedSender = (await isUnexpectedSender(tx, d.original, p.from)) || dmarcFailed(p.auth);
  if (unexpectedSender) flags.unexpectedSender = true;
  if (dmarcFailed(p.auth)) flags.dmarcFailed = true;
  const { fields } = p.email;
  const plan = await planReply(tx, {
    original: d.original,
    via: d.via,
    from: p.from,
    replyText: p.parts.replyText,
    textBody: fields.text_body,
    htmlBody: fields.html_body,
  });
  if (plan.commands.length > 0) flags.commands = plan.commands.map((c) => c.line);
  const inbound = await insertInboundEmail(tx, {
    prepared: { ...p.email, fields: { ...fields, text_body: plan.textBody, html_body: plan.htmlBody } },
    inbound: row,
    into: under(d.original),
    // Commands taken out of the reply change its text; the segments would show them again.
    reply: plan.replyText === p.parts.replyText ? p.parts : { replyText: plan.replyText, quotedText: p.parts.quotedText },
    flags,
  });
  // Commands run before the forward stage, so a reply routed to the assignee reaches the one it
  // just named (`/assign`), and a command's report is queued before the forwards.
  const extras = await afterReply(ctx, tx, { plan, msg: d.msg, inbound });
  return {
    outcome: {
      kind: 'attached',
      inboundEmailId: p.email.id,
      originalId: d.original.id,
      projectId: d.original.project_id,
      forwarded: false,
      unexpectedSender,
      via: d.via,
      ...(extras.commands ? { commands: extras.commands } : {}),
    },
    forward: { original: d.original, inbound, from: p.from, own: plan.own, toParticipants: plan.settings.forwardToParticipants },
  };
}
