import { sanitizeOutboundHtml } from '../mail/sanitizeHtml.js';
import { createHash } from 'node:crypto';
import { nowIso } from '../clock.js';
import { newId } from '../ids.js';
import type { AppContext } from '../core/context.js';
import type { PublicRecord } from '../records/index.js';
import { insertAttachments, insertEmail } from '../store/emails.repository.js';
import type { Executor } from '../store/db.js';
import type { EmailRow, EmailsTable, ProjectRow } from '../store/schema.js';
import { bodyLine, createCookie, messageIdFor, plusAddress, stripCookies, subjectTag, subjectToken } from '../tracking/cookie.js';
import { compileRaw, composeOptions, type Party } from './message.js';
import { enqueueOutbox } from './outbox.js';
import { messageIdDomain, trackingIdentity } from './trackingAddress.js';

export interface QueueInput {
  project: ProjectRow;
  record: PublicRecord;
  from: Party;
  senderUserId: string | null;
  /** Where replies to this email are forwarded: the sender, or the notification account. */
  forwardTo: string;
  /**
   * Forward replies to the record's assignee or watchers as they are when the reply arrives
   * (inbound/forward.ts `forwardTargets`); `forwardTo` is the fallback when there is nobody.
   */
  replyRoute?: 'assignee' | 'watchers' | null;
  source: 'user' | 'rule';
  to: Party[];
  cc: Party[];
  /** On the envelope only: never written into the message's headers. */
  bcc?: Party[];
  subject: string;
  text: string;
  html?: string | null;
  parent?: EmailRow;
  template?: string | null;
  ruleId?: string | null;
  attachments?: { filename: string; contentType: string; content: Buffer }[];
  /** false sends without a cookie even when the project tracks email (rules may choose that). */
  tracked?: boolean;
  /** The email's id when it was chosen before (a draft's id, so the subject shown while writing is the one sent). */
  id?: string;
}

/** The loop token identifies this installation in X-Mailtrail-Loop without revealing the secret. */
export function loopToken(secret: string): string {
  return createHash('sha256').update(`loop:${secret}`).digest('hex').slice(0, 16);
}

/** The subject people see: the record tag once, no cookies (a reply's subject may carry its parent's). */
export function withTag(subject: string, tag: string): string {
  const clean = stripCookies(subject);
  return clean.includes(`[${tag}]`) ? clean : `[${tag}] ${clean}`;
}

/**
 * The subject on the wire: the tag grows the short subject token, a fallback for clients that
 * drop References and the body; the full cookie rides in the Message-ID, body and Reply-To.
 */
function wireSubject(subject: string, tag: string, cookie: string | null, secret: string): string {
  return cookie ? subject.replace(`[${tag}]`, subjectTag(tag, subjectToken(cookie, secret))) : subject;
}

/** One line, the record's title when empty, the record tag in front. */
function taggedSubject(subject: string, record: Pick<PublicRecord, 'tag' | 'title'>): string {
  return withTag(subject.replace(/[\r\n]+/g, ' ').trim() || record.title, record.tag);
}

/** Whether an email of this project goes out tracked, and the domain of its Message-ID. */
async function trackingOf(tx: Executor, project: ProjectRow, wanted: boolean | undefined) {
  const identity = await trackingIdentity(tx, project.id);
  return { identity, tracked: wanted !== false && project.tracking_enabled === 1 && identity !== undefined };
}

/**
 * The subject exactly as the recipient will see it, for an email that will get the id `emailId`
 * (a draft's): the record tag with the cookie's short token when tracked, the text cleaned of
 * line breaks, the record's title when empty. queueEmail builds the same.
 */
export async function subjectOnWire(
  ctx: AppContext,
  tx: Executor,
  input: { project: ProjectRow; record: Pick<PublicRecord, 'id' | 'tag' | 'title'>; emailId: string; subject: string },
): Promise<string> {
  const { tracked } = await trackingOf(tx, input.project, undefined);
  const cookie = tracked ? createCookie({ emailId: input.emailId, projectId: input.project.id, recordId: input.record.id }, ctx.config.secret) : null;
  const subject = taggedSubject(input.subject, input.record);
  return wireSubject(subject, input.record.tag, cookie, ctx.config.secret);
}

function referencesOf(parent: EmailRow | undefined): string[] {
  if (!parent) return [];
  const chain = parent.references ? (JSON.parse(parent.references) as string[]) : [];
  return parent.message_id ? [...chain, parent.message_id] : chain;
}

/**
 * Composes a tracked (or, with tracking off, untracked) email, stores its exact raw bytes, and
 * writes the email row, its attachments and its outbox entry through `tx` — the caller's
 * transaction, so the email and its sending commit together.
 */
export async function queueEmail(ctx: AppContext, tx: Executor, input: QueueInput): Promise<EmailRow> {
  const { identity, tracked } = await trackingOf(tx, input.project, input.tracked);
  // Every outbound body passes here (compose, reply, forward, rules, commands by email), so this
  // is where member-written HTML is cut to the display policy, before it is stored or sent.
  const html = input.html ? sanitizeOutboundHtml(input.html) : null;
  const domain = messageIdDomain(identity);
  const id = input.id ?? newId();
  const cookie = tracked ? createCookie({ emailId: id, projectId: input.project.id, recordId: input.record.id }, ctx.config.secret) : null;
  const messageId = cookie ? messageIdFor(cookie, domain) : `<${id}@${domain}>`;
  const now = new Date(nowIso());
  const references = referencesOf(input.parent);
  const subject = taggedSubject(input.subject, input.record);

  const attachments = await Promise.all(
    (input.attachments ?? []).map(async (a, position) => ({ ...a, position, blob: await ctx.blobs.put(a.content, { tx }) })),
  );
  const options = composeOptions({
    from: input.from,
    to: input.to,
    cc: input.cc,
    ...(identity ? { replyTo: { address: cookie && identity.plusAddressing ? plusAddress(identity.address, cookie) : identity.address } } : {}),
    subject: wireSubject(subject, input.record.tag, cookie, ctx.config.secret),
    text: input.text,
    html,
    messageId,
    inReplyTo: input.parent?.message_id ?? null,
    references,
    date: now,
    ...(cookie ? { trackingLine: bodyLine(cookie) } : {}),
    threadRoot: { messageId: references[0] ?? messageId, date: now, path: references.slice(1).concat(references.length ? [messageId] : []) },
    automatic: input.source === 'rule',
    loopToken: loopToken(ctx.config.secret),
    attachments: input.attachments ?? [],
  });
  const raw = await compileRaw(options);
  const rawBlob = await ctx.blobs.put(raw, { tx });

  const at = now.toISOString();
  const row: EmailsTable = {
    id,
    project_id: input.project.id,
    record_id: input.record.id,
    parent_id: input.parent?.id ?? null,
    direction: 'outbound',
    source: input.source,
    status: 'queued',
    error: null,
    tracked: tracked ? 1 : 0,
    cookie,
    message_id: messageId,
    in_reply_to: input.parent?.message_id ?? null,
    references: JSON.stringify(references),
    from_name: input.from.name ?? '',
    from_address: input.from.address,
    to_list: JSON.stringify(input.to),
    cc_list: JSON.stringify(input.cc),
    bcc_list: JSON.stringify(input.bcc ?? []),
    subject,
    text_body: input.text,
    html_body: html,
    reply_text: null,
    quoted_text: null,
    reply_segments: null,
    sender_user_id: input.senderUserId,
    forward_to: input.forwardTo,
    reply_route: input.replyRoute ?? null,
    template: input.template ?? null,
    rule_id: input.ruleId ?? null,
    raw_blob: rawBlob.key,
    flags: '{}',
    auth_results: null,
    date: at,
    created_at: at,
    updated_at: at,
    deleted_at: null,
  };
  await insertEmail(tx, row);
  await insertAttachments(
    tx,
    attachments.map((a) => ({
      id: newId(),
      email_id: id,
      filename: a.filename,
      content_type: a.contentType,
      size: a.blob.size,
      blob: a.blob.key,
      content_id: null,
      inline: 0,
      position: a.position,
    })),
  );
  await enqueueOutbox(tx, { kind: 'send', emailId: id });
  return row;
}

export interface FiledSection {
  row: EmailRow;
  /** The subject with the record tag and this email's subject token: what a reply's subject should carry. */
  wireSubject: string;
  /** Where a reply about it goes: the tracking address, plus-addressed with the cookie when the account does that. */
  replyAddress: string;
}

/**
 * Files a tracked email on a record that is never sent by itself: one record's section of a
 * digest that goes out as one message. It has a cookie of its own (the "Reply about" link of the
 * section carries it), so a reply about it is matched, filed and forwarded like a reply to any
 * tracked email of that record. No raw message and no outbox entry; undefined when the project
 * does not track email (nothing could come back to it).
 */
export async function fileUnsentSection(
  ctx: AppContext,
  tx: Executor,
  input: Pick<QueueInput, 'project' | 'record' | 'from' | 'forwardTo' | 'replyRoute' | 'to' | 'subject' | 'text'>,
): Promise<FiledSection | undefined> {
  const { identity, tracked } = await trackingOf(tx, input.project, undefined);
  if (!tracked || !identity) return undefined;
  const id = newId();
  const cookie = createCookie({ emailId: id, projectId: input.project.id, recordId: input.record.id }, ctx.config.secret);
  const subject = taggedSubject(input.subject, input.record);
  const at = nowIso();
  const row: EmailsTable = {
    id,
    project_id: input.project.id,
    record_id: input.record.id,
    parent_id: null,
    direction: 'outbound',
    source: 'rule',
    // Sent inside the digest; there is nothing left for the sender to do with it.
    status: 'sent',
    error: null,
    tracked: 1,
    cookie,
    message_id: messageIdFor(cookie, messageIdDomain(identity)),
    in_reply_to: null,
    references: '[]',
    from_name: input.from.name ?? '',
    from_address: input.from.address,
    to_list: JSON.stringify(input.to),
    cc_list: '[]',
    bcc_list: '[]',
    subject,
    text_body: input.text,
    html_body: null,
    reply_text: null,
    quoted_text: null,
    reply_segments: null,
    sender_user_id: null,
    forward_to: input.forwardTo,
    reply_route: input.replyRoute ?? null,
    template: 'digest-section',
    rule_id: null,
    raw_blob: null,
    flags: '{}',
    auth_results: null,
    date: at,
    created_at: at,
    updated_at: at,
    deleted_at: null,
  };
  await insertEmail(tx, row);
  return {
    row,
    wireSubject: wireSubject(subject, input.record.tag, cookie, ctx.config.secret),
    replyAddress: identity.plusAddressing ? plusAddress(identity.address, cookie) : identity.address,
  };
}
