import { nowIso } from '../clock.js';
import { requireOnRecordType } from '../domain/access.js';
import type { RecordCommand, RecordType } from '../domain/commands.js';
import { isEmailAddress } from '../domain/validation.js';
import { badRequest, conflict, notFound } from '../errors.js';
import type { Party } from './message.js';
import { queueEmail } from './queue.js';
import type { Db, Tx } from '../store/db.js';
import { trackingIdentity } from './trackingAddress.js';
import { findEmail, listAttachments, listRecordEmails, updateEmail } from '../store/emails.repository.js';
import { emailDeleters, insertRecordEvent } from '../store/records.repository.js';
import { newId } from '../ids.js';
import { findProjectById, memberCommands } from '../store/projects.repository.js';
import type { EmailAttachmentRow, EmailRow } from '../store/schema.js';
import { findUserById, findUserByUsername } from '../store/users.repository.js';
import type { AppContext, Caller } from '../core/context.js';
import { openProject, type ProjectContext } from '../projects/index.js';
import { getRecord, type PublicRecord } from '../records/index.js';
import type { AuthResults } from '../inbound/index.js';
import { refuseSuppressed, suppressedAmong, type PublicSuppression } from '../suppression/index.js';

export interface PublicAttachment {
  id: string;
  filename: string;
  contentType: string;
  size: number;
}

export interface PublicEmail {
  id: string;
  parentId: string | null;
  recordId: string;
  direction: 'outbound' | 'inbound';
  source: string;
  status: string;
  error?: string;
  tracked: boolean;
  from: string;
  fromName: string;
  to: string[];
  cc: string[];
  /** Our own emails' Bcc recipients (never in the message's headers). */
  bcc?: string[];
  subject: string;
  text: string;
  html?: string;
  replyText: string | null;
  quotedText?: string;
  /** Bottom-posted and interleaved replies: the person's lines and the quotes they answer, in order. */
  replySegments?: { kind: 'reply' | 'quote'; text: string }[];
  messageId: string | null;
  template?: string;
  date: string;
  depth: number;
  flags: Record<string, unknown>;
  attachments: PublicAttachment[];
  /** Set on the trace a deleted email leaves in its thread (its content is gone). */
  deleted?: { at: string; by: string | null };
  /** SPF, DKIM and DMARC of an inbound email, as judged when it was filed. */
  auth?: AuthResults;
}

const MAX_RECIPIENTS = 100;

function addresses(json: string): string[] {
  return (JSON.parse(json) as Party[]).map((p) => p.address);
}

export function toPublicEmail(row: EmailRow, attachments: EmailAttachmentRow[], depth = 0): PublicEmail {
  return {
    id: row.id,
    parentId: row.parent_id,
    recordId: row.record_id,
    direction: row.direction,
    source: row.source,
    status: row.status,
    ...(row.error ? { error: row.error } : {}),
    tracked: row.tracked === 1,
    from: row.from_address,
    fromName: row.from_name,
    to: addresses(row.to_list),
    cc: addresses(row.cc_list),
    ...(row.bcc_list !== '[]' ? { bcc: addresses(row.bcc_list) } : {}),
    subject: row.subject,
    text: row.text_body,
    ...(row.html_body ? { html: row.html_body } : {}),
    replyText: row.direction === 'inbound' ? (row.reply_text ?? row.text_body) : row.text_body,
    ...(row.quoted_text ? { quotedText: row.quoted_text } : {}),
    ...(row.reply_segments ? { replySegments: JSON.parse(row.reply_segments) as { kind: 'reply' | 'quote'; text: string }[] } : {}),
    messageId: row.message_id,
    ...(row.template ? { template: row.template } : {}),
    date: row.date,
    depth,
    flags: JSON.parse(row.flags) as Record<string, unknown>,
    attachments: attachments.map((a) => ({ id: a.id, filename: a.filename, contentType: a.content_type, size: a.size })),
    ...(row.auth_results ? { auth: JSON.parse(row.auth_results) as AuthResults } : {}),
  };
}

/** Orders emails as threads: each root by date, then its replies depth-first under it. */
export function threadOrder(rows: EmailRow[]): { row: EmailRow; depth: number }[] {
  const ids = new Set(rows.map((r) => r.id));
  const children = new Map<string | null, EmailRow[]>();
  for (const r of rows) {
    const parent = r.parent_id && ids.has(r.parent_id) ? r.parent_id : null;
    const siblings = children.get(parent);
    if (siblings) siblings.push(r);
    else children.set(parent, [r]);
  }
  const out: { row: EmailRow; depth: number }[] = [];
  const visit = (parent: string | null, depth: number) => {
    for (const r of children.get(parent) ?? []) {
      out.push({ row: r, depth });
      visit(r.id, depth + 1);
    }
  };
  visit(null, 0);
  return out;
}

/**
 * Usernames resolve only to members of the project (and the admin): otherwise anyone who may
 * send could learn any user's address by mailing their username and reading the thread.
 */
async function resolveRecipients(db: Db, projectId: string, entries: string[]): Promise<Party[]> {
  if (entries.length > MAX_RECIPIENTS) throw badRequest('too_many_recipients', `At most ${MAX_RECIPIENTS} recipients per email.`);
  const out: Party[] = [];
  for (const entry of entries) {
    const value = entry.trim();
    if (value.includes('@')) {
      if (!isEmailAddress(value)) throw badRequest('invalid_recipient', `"${value}" is not a valid email address.`);
      out.push({ address: value.toLowerCase() });
    } else {
      const user = await findUserByUsername(db, value);
      const visible = user && user.disabled === 0 && (user.is_admin === 1 || (await memberCommands(db, projectId, user.id)) !== undefined);
      if (!user || !visible) throw badRequest('unknown_recipient', `There is no member "${value}" in this project; use an email address instead.`);
      out.push({ name: user.full_name, address: user.email });
    }
  }
  const seen = new Set<string>();
  return out.filter((p) => (seen.has(p.address) ? false : (seen.add(p.address), true)));
}

export interface SendInput {
  to: string[];
  cc?: string[];
  /** Envelope-only recipients: they get the email, nobody sees that they did. */
  bcc?: string[];
  subject?: string;
  text?: string;
  html?: string;
  template?: string;
  attachments?: { filename: string; contentType: string; content: Buffer }[];
  /** Send even to suppressed addresses (a person who checked that the address works again). */
  force?: boolean;
  /** The email's id chosen in advance (a draft's), so the subject shown while writing is the one sent. */
  id?: string;
  /** Writes that must commit with the email, or not at all (a sent draft is deleted). */
  alsoInTransaction?: (tx: Tx) => Promise<void>;
}

/** Renders a template for a record; provided by the templates module. */
export type TemplateRenderer = (args: {
  ctx: AppContext;
  projectCtx: ProjectContext;
  record: PublicRecord;
  senderUserId: string;
  template: string;
  recipient: Party;
  emailText: string;
}) => Promise<{ subject: string; text: string; html?: string }>;

export interface EmailsDeps {
  renderTemplate?: TemplateRenderer;
  /** Wakes the sender in this process after a commit. */
  onQueued?: () => void;
}

async function composeAndQueue(
  ctx: AppContext,
  projectCtx: ProjectContext,
  record: PublicRecord,
  caller: Caller,
  input: SendInput,
  deps: EmailsDeps,
  parent?: EmailRow,
): Promise<EmailRow> {
  const db = ctx.store.db;
  if (projectCtx.project.sending_enabled !== 1) {
    throw conflict('email_sending_disabled', 'Sending email is turned off for this project (Project options → Email).');
  }
  const to = await resolveRecipients(db, projectCtx.project.id, input.to);
  const cc = await resolveRecipients(db, projectCtx.project.id, input.cc ?? []);
  const bcc = await resolveRecipients(db, projectCtx.project.id, input.bcc ?? []);
  if (to.length === 0) throw badRequest('no_recipients', 'An email needs at least one recipient in "to".');
  if (to.length + cc.length + bcc.length > MAX_RECIPIENTS) throw badRequest('too_many_recipients', `At most ${MAX_RECIPIENTS} recipients per email.`);
  await refuseSuppressed(db, [...to, ...cc, ...bcc].map((p) => p.address), input.force);
  const sender = await findUserById(db, caller.userId);
  if (!sender) throw notFound('user_not_found', 'Your user no longer exists.');
  let subject = input.subject ?? (parent ? `Re: ${parent.subject.replace(/^(re:\s*)+/i, '')}` : record.title);
  let text = input.text ?? '';
  let html = input.html ?? null;
  if (input.template) {
    if (!deps.renderTemplate) throw badRequest('templates_unavailable', 'Templates are not available on this server.');
    const rendered = await deps.renderTemplate({
      ctx,
      projectCtx,
      record,
      senderUserId: sender.id,
      template: input.template,
      recipient: to[0]!,
      emailText: input.text ?? '',
    });
    subject = input.subject ?? rendered.subject;
    text = rendered.text;
    html = input.html ?? rendered.html ?? null;
  }
  if (text.trim() === '' && !html) throw badRequest('empty_email', 'An email needs text, html or a template.');
  const row = await db.transaction().execute(async (tx) => {
    const queued = await queueEmail(ctx, tx, {
      ...(input.id ? { id: input.id } : {}),
      project: projectCtx.project,
      record,
      from: { name: sender.full_name, address: sender.email },
      senderUserId: sender.id,
      forwardTo: sender.email,
      source: 'user',
      to,
      cc,
      bcc,
      subject,
      text,
      html,
      template: input.template ?? null,
      ...(parent ? { parent } : {}),
      ...(input.attachments ? { attachments: input.attachments } : {}),
    });
    await input.alsoInTransaction?.(tx);
    return queued;
  });
  deps.onQueued?.();
  return row;
}

export async function sendRecordEmail(
  ctx: AppContext,
  caller: Caller,
  projectKey: string,
  recordId: string,
  input: SendInput,
  deps: EmailsDeps,
): Promise<EmailRow> {
  const projectCtx = await openProject(ctx.store.db, caller, projectKey);
  const record = await getRecord(ctx.store.db, projectCtx, recordId);
  requireOnRecordType(projectCtx.access, record.type, 'sendTrackedEmail');
  return composeAndQueue(ctx, projectCtx, record, caller, input, deps);
}

/**
 * A deleted email that still has replies stays in the list as a trace without its content, so
 * its thread does not fall apart into orphans; a deleted email without replies is left out.
 */
function keepTraces(rows: EmailRow[]): EmailRow[] {
  const live = rows.filter((r) => r.deleted_at === null);
  const byId = new Map(rows.map((r) => [r.id, r]));
  const needed = new Set<string>();
  for (const r of live) {
    for (let p = r.parent_id ? byId.get(r.parent_id) : undefined; p && !needed.has(p.id); p = p.parent_id ? byId.get(p.parent_id) : undefined) {
      if (p.deleted_at !== null) needed.add(p.id);
    }
  }
  return rows.filter((r) => r.deleted_at === null || needed.has(r.id));
}

function traceOf(email: PublicEmail, deletedAt: string, by: string | null): PublicEmail {
  const { html: _html, quotedText: _quoted, ...rest } = email;
  const { auth: _auth, ...bare } = rest;
  return { ...bare, subject: '', text: '', replyText: null, attachments: [], flags: {}, deleted: { at: deletedAt, by } };
}

export async function listEmails(ctx: AppContext, caller: Caller, projectKey: string, recordId: string): Promise<PublicEmail[]> {
  const db = ctx.store.db;
  const projectCtx = await openProject(db, caller, projectKey);
  const record = await getRecord(db, projectCtx, recordId);
  requireOnRecordType(projectCtx.access, record.type, 'viewTrackedEmail');
  const rows = keepTraces(await listRecordEmails(db, record.id, { withDeleted: true }));
  const ordered = threadOrder(rows);
  const byEmail = new Map<string, EmailAttachmentRow[]>();
  const liveIds = ordered.filter((o) => o.row.deleted_at === null).map((o) => o.row.id);
  for (const a of await listAttachments(db, liveIds)) {
    const list = byEmail.get(a.email_id);
    if (list) list.push(a);
    else byEmail.set(a.email_id, [a]);
  }
  const deleters = rows.some((r) => r.deleted_at !== null) ? await emailDeleters(db, record.id) : new Map<string, string | null>();
  return ordered.map(({ row, depth }) => {
    const email = toPublicEmail(row, byEmail.get(row.id) ?? [], depth);
    return row.deleted_at === null ? email : traceOf(email, row.deleted_at, deleters.get(row.id) ?? null);
  });
}

/**
 * The suppressed addresses among the people of these emails (recipients of ours, senders of
 * replies), so the Email tab can say "this address bounced on …" next to them.
 */
export async function suppressedInThread(ctx: AppContext, emails: readonly PublicEmail[]): Promise<PublicSuppression[]> {
  const addresses = emails.flatMap((e) => (e.direction === 'outbound' ? [...e.to, ...e.cc] : [e.from]));
  return suppressedAmong(ctx.store.db, addresses);
}

/**
 * Opens an email for a command: the caller must be a project member holding the command for the
 * record's type. Anything else looks like a missing email (404), so ids cannot be probed.
 */
export async function openEmail(ctx: AppContext, caller: Caller, emailId: string, command: RecordCommand) {
  const db = ctx.store.db;
  const missing = () => notFound('email_not_found', 'There is no such email.');
  const email = await findEmail(db, emailId);
  if (!email || email.deleted_at) throw missing();
  const project = await findProjectById(db, email.project_id);
  if (!project) throw missing();
  let projectCtx: ProjectContext;
  try {
    projectCtx = await openProject(db, caller, project.key);
  } catch {
    throw missing();
  }
  const record = await getRecord(db, projectCtx, email.record_id).catch(() => {
    throw missing();
  });
  requireOnRecordType(projectCtx.access, record.type as RecordType, command);
  return { email, record, projectCtx };
}

export async function getEmail(ctx: AppContext, caller: Caller, emailId: string): Promise<PublicEmail> {
  const { email } = await openEmail(ctx, caller, emailId, 'viewTrackedEmail');
  return toPublicEmail(email, await listAttachments(ctx.store.db, [email.id]));
}

function baseAddress(address: string): string {
  const lower = address.toLowerCase();
  const at = lower.lastIndexOf('@');
  return at < 0 ? lower : `${lower.slice(0, at).split('+')[0]}${lower.slice(at)}`;
}

/** Addresses a reply-all must not write to: the tracking and notification accounts (plus-addresses too), and the person replying. */
async function ownAddresses(db: Db, projectId: string, callerId: string): Promise<Set<string>> {
  const project = await findProjectById(db, projectId);
  const caller = await findUserById(db, callerId);
  const tracking = await trackingIdentity(db, projectId);
  return new Set([tracking?.address, project?.notification_address, caller?.email].filter((a): a is string => !!a).map(baseAddress));
}

export interface ReplyRecipients {
  to: string[];
  cc: string[];
}

/**
 * Who a reply goes to. Reply: the sender of an inbound email, the recipients of our own. Reply
 * all: the same in To, and everyone else the email named (To and Cc) in Cc, without our own
 * addresses (the tracking account the customer wrote to, the notification account, yourself).
 */
export async function replyRecipients(db: Db, email: EmailRow, callerId: string, all: boolean): Promise<ReplyRecipients> {
  const own = await ownAddresses(db, email.project_id, callerId);
  const notOurs = (a: string) => !own.has(baseAddress(a));
  const named = [...addresses(email.to_list), ...addresses(email.cc_list)];
  const to = email.direction === 'inbound' ? [email.from_address] : addresses(email.to_list).filter(notOurs);
  if (!all) return { to: to.length > 0 ? to : addresses(email.to_list), cc: [] };
  const taken = new Set(to.map((a) => a.toLowerCase()));
  const cc: string[] = [];
  for (const a of named) {
    if (!notOurs(a) || taken.has(a.toLowerCase())) continue;
    taken.add(a.toLowerCase());
    cc.push(a);
  }
  return { to, cc };
}

export async function replyRecipientsOf(ctx: AppContext, caller: Caller, emailId: string, all: boolean): Promise<ReplyRecipients> {
  const { email } = await openEmail(ctx, caller, emailId, 'replyTrackedEmail');
  return replyRecipients(ctx.store.db, email, caller.userId, all);
}

export async function replyToEmail(ctx: AppContext, caller: Caller, emailId: string, input: Partial<SendInput> & { replyAll?: boolean }, deps: EmailsDeps): Promise<EmailRow> {
  const { email, record, projectCtx } = await openEmail(ctx, caller, emailId, 'replyTrackedEmail');
  const { replyAll, ...rest } = input;
  const defaults = input.to && (input.cc || !replyAll) ? undefined : await replyRecipients(ctx.store.db, email, caller.userId, replyAll === true);
  const to = input.to ?? defaults!.to;
  const cc = input.cc ?? defaults?.cc ?? [];
  return composeAndQueue(ctx, projectCtx, record, caller, { ...rest, to, cc }, deps, email);
}

/** The quoted original under a forward's own words, as mail programs write it. */
export function forwardedText(email: EmailRow, note: string): string {
  const who = email.from_name ? `${email.from_name} <${email.from_address}>` : email.from_address;
  const head = [
    '---------- Forwarded message ----------',
    `From: ${who}`,
    `Date: ${email.date}`,
    `Subject: ${email.subject}`,
    `To: ${addresses(email.to_list).join(', ')}`,
    ...(email.cc_list !== '[]' ? [`Cc: ${addresses(email.cc_list).join(', ')}`] : []),
  ];
  const body = email.direction === 'inbound' ? (email.text_body || email.reply_text || '') : email.text_body;
  return `${note.trimEnd()}${note.trim() ? '\n\n' : ''}${head.join('\n')}\n\n${body}`;
}

export const forwardSubject = (subject: string) => `Fwd: ${subject.replace(/^((re|fwd?):\s*)+/i, '')}`;

/** The attachments of an email, with their bytes, for a forward that carries them. */
export async function attachmentsOf(ctx: AppContext, emailId: string): Promise<{ filename: string; contentType: string; content: Buffer }[]> {
  const rows = (await listAttachments(ctx.store.db, [emailId])).filter((a) => a.inline === 0);
  return Promise.all(rows.map(async (a) => ({ filename: a.filename, contentType: a.content_type, content: await ctx.blobs.get(a.blob) })));
}

/**
 * Forwards an email of the record (ours or a reply) to new recipients, with its attachments and
 * the original quoted under the caller's words. It is a tracked email like any other: it sits
 * under the forwarded one, and answers to it come back to the record and to the caller.
 * `attachments`, when given, replaces the original's (a draft where some were removed).
 */
export async function forwardEmail(ctx: AppContext, caller: Caller, emailId: string, input: SendInput, deps: EmailsDeps): Promise<EmailRow> {
  const { email, record, projectCtx } = await openEmail(ctx, caller, emailId, 'sendTrackedEmail');
  const attachments = input.attachments ?? (await attachmentsOf(ctx, email.id));
  return composeAndQueue(
    ctx,
    projectCtx,
    record,
    caller,
    { ...input, subject: input.subject ?? forwardSubject(email.subject), text: forwardedText(email, input.text ?? ''), attachments },
    deps,
    email,
  );
}

/**
 * Deleting hides the email; the row stays so replies to it are recognised and not misfiled, and
 * the record's history keeps who deleted it and when.
 */
export async function deleteEmail(ctx: AppContext, caller: Caller, emailId: string): Promise<void> {
  const { email } = await openEmail(ctx, caller, emailId, 'deleteTrackedEmail');
  const at = nowIso();
  await ctx.store.db.transaction().execute(async (tx) => {
    await updateEmail(tx, email.id, { deleted_at: at, updated_at: at });
    await insertRecordEvent(tx, {
      id: newId(),
      record_id: email.record_id,
      project_id: email.project_id,
      actor_id: caller.userId,
      kind: 'email.deleted',
      changes: JSON.stringify({ emailId: email.id, subject: email.subject }),
      at,
      version: null,
      email_id: null,
    });
    // An email still waiting in the outbox is not sent once deleted.
    await tx.updateTable('outbox').set({ state: 'failed', last_error: 'deleted before sending', done_at: at }).where('email_id', '=', email.id).where('state', '=', 'pending').execute();
  });
}
