import { nowIso } from '../clock.js';
import { ALL_COMMANDS, type RecordType } from '../domain/commands.js';
import { canOnRecordType } from '../domain/access.js';
import { AppError } from '../errors.js';
import { newId } from '../ids.js';
import { queueEmail, trackingIdentity } from '../outbound/index.js';
import type { AppContext } from '../core/context.js';
import { openProject, type ProjectContext } from '../projects/index.js';
import { getRecord, updateRecordIn, type PublicRecord } from '../records/index.js';
import type { Db, Executor, Tx } from '../store/db.js';
import type { EmailRow, ProjectRow, UserRow } from '../store/schema.js';
import { findUserByUsername, findUsersByEmail } from '../store/users.repository.js';
import { importDb } from './import.table.js';
import type { ImportSettings } from './importSettings.js';
import type { EmailCommand } from './mailText.js';
import { addParticipant, listParticipants, type OwnAddresses } from './participants.js';
import { allowedMoves, canonicalStatus, categoryOf, type Workflow } from '../domain/workflow.js';
import { workflowFor } from '../tracker/index.js';
import { suppressedAmong } from '../suppression/index.js';

/** Whether a record's status means done: its workflow's category, or the import options' list for older statuses. */
function isDone(wf: Workflow, status: string, settings: ImportSettings): boolean {
  return categoryOf(wf, status) === 'done' || settings.doneStatuses.includes(status);
}

/**
 * Where /close takes a record: the first of the import options' done statuses that the workflow
 * allows from here, else the first done status it allows; with none allowed, the first done
 * status, which the update then refuses with the moves that are allowed.
 */
function closingStatus(wf: Workflow, from: string, settings: ImportSettings): string {
  const done = wf.statuses.filter((st) => st.category === 'done').map((st) => st.name);
  const preferred = settings.doneStatuses.map((n) => canonicalStatus(wf, n)).filter((n): n is string => n !== undefined && done.includes(n));
  const allowed = allowedMoves(wf, from).filter((to) => done.includes(to));
  return preferred.find((n) => allowed.includes(n)) ?? allowed[0] ?? preferred[0] ?? done[0] ?? 'Closed';
}

/** Where a reply reopens a done record: the configured status when the workflow has it, else the first open status it may move to. */
function reopeningStatus(wf: Workflow, from: string, configured: string): string {
  const named = canonicalStatus(wf, configured);
  if (named) return named;
  const open = allowedMoves(wf, from).find((to) => categoryOf(wf, to) === 'open');
  return open ?? wf.initial;
}

/**
 * What email import does to records and mail inside the inbound transaction: who creates a
 * record from a stranger's mail, the acknowledgement, commands by email, reopen on reply.
 */

/** The user that creates records from senders who are not users; it cannot sign in. */
export const IMPORT_USERNAME = 'mailtrail-import';

export async function ensureImportUser(db: Executor): Promise<UserRow> {
  const existing = await findUserByUsername(db, IMPORT_USERNAME);
  if (existing) return existing;
  const at = nowIso();
  await db
    .insertInto('users')
    .values({
      id: newId(),
      username: IMPORT_USERNAME,
      full_name: 'Email import',
      email: '',
      // Not an argon2 hash: verify() fails on it, so nobody can sign in as this user.
      password_hash: '!',
      is_admin: 0,
      disabled: 1,
      created_at: at,
      updated_at: at,
    })
    .onConflict((oc) => oc.column('username').doNothing())
    .execute();
  return (await findUserByUsername(db, IMPORT_USERNAME))!;
}

/** Mailtrail acting on its own (creating a record from mail, reopening it): every command, as the import user. */
export function systemContext(project: ProjectRow, importUserId: string): ProjectContext {
  return { project, access: { userId: importUserId, isAdmin: true, commands: new Set(ALL_COMMANDS) } };
}

/** The active user whose account address is `address`, if exactly one has it. */
export async function userByAddress(db: Executor, address: string): Promise<UserRow | undefined> {
  if (!address) return undefined;
  const users = (await findUsersByEmail(db, address.toLowerCase())).filter((u) => u.disabled === 0);
  // Two accounts sharing one address: neither is trusted with commands by mail.
  return users.length === 1 ? users[0] : undefined;
}

export async function importedFromMessageId(db: Executor, messageId: string): Promise<{ record_id: string; project_id: string } | undefined> {
  return importDb(db).selectFrom('email_imports').select(['record_id', 'project_id']).where('message_id', '=', messageId.toLowerCase()).executeTakeFirst();
}

const hourAgo = () => new Date(Date.parse(nowIso()) - 3_600_000).toISOString();

export async function importsInLastHour(db: Executor, sender: string, acknowledgedOnly = false): Promise<number> {
  const row = await importDb(db)
    .selectFrom('email_imports')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('sender', '=', sender.toLowerCase())
    .where('created_at', '>', hourAgo())
    .$if(acknowledgedOnly, (q) => q.where('acknowledged', '=', 1))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function logImport(tx: Tx, entry: { projectId: string; recordId: string; inboundId: string; sender: string; messageId?: string; acknowledged: boolean }): Promise<void> {
  await importDb(tx)
    .insertInto('email_imports')
    .values({
      id: newId(),
      project_id: entry.projectId,
      record_id: entry.recordId,
      inbound_id: entry.inboundId,
      sender: entry.sender.toLowerCase(),
      message_id: entry.messageId?.toLowerCase() ?? null,
      acknowledged: entry.acknowledged ? 1 : 0,
      created_at: nowIso(),
    })
    .execute();
}

/** At most this many acknowledgements to one sender per hour, whatever the import rate limit. */
export const ACK_PER_SENDER_PER_HOUR = 5;

/** From the project's notification account (the tracking address when it has none). */
async function notificationSender(tx: Executor, project: ProjectRow): Promise<{ name: string; address: string } | undefined> {
  const address = project.notification_address || (await trackingIdentity(tx, project.id))?.address;
  return address ? { name: project.notification_name || `${project.name} notifications`, address } : undefined;
}

/**
 * Why no acknowledgement goes to this sender, or undefined to send one. Never to machines
 * (auto-replies and bounces never create records in the first place), mailing lists, our own
 * addresses, or a sender already acknowledged often this hour: answering those is how loops start.
 */
export async function whyNoAcknowledgement(tx: Executor, m: { sender: string; headers: Map<string, string[]>; own: OwnAddresses }): Promise<string | undefined> {
  if (!m.sender) return 'no sender address';
  if (m.own.has(m.sender)) return 'the sender is one of our own addresses';
  if (m.headers.has('list-id') || m.headers.has('list-unsubscribe')) return 'mail from a mailing list';
  const precedence = m.headers.get('precedence')?.[0]?.toLowerCase() ?? '';
  if (/^(bulk|list|junk)/.test(precedence)) return `Precedence: ${precedence}`;
  if ((await suppressedAmong(tx, [m.sender])).length > 0) return 'the sender is on the suppression list (it bounced or complained)';
  if ((await importsInLastHour(tx, m.sender, true)) >= ACK_PER_SENDER_PER_HOUR) return `already ${ACK_PER_SENDER_PER_HOUR} acknowledgements to this sender in the last hour`;
  return undefined;
}

export async function queueAcknowledgement(ctx: AppContext, tx: Tx, a: { project: ProjectRow; record: PublicRecord; to: { name?: string; address: string }; inbound: EmailRow }): Promise<EmailRow | undefined> {
  const from = await notificationSender(tx, a.project);
  if (!from) return undefined;
  const text = [
    'Hello,',
    '',
    `thank you for your email. It was recorded as ${a.record.tag}: "${a.record.title}".`,
    `Reply to this email to add to it; your reply is filed on ${a.record.tag}.`,
    '',
    `— ${from.name}`,
  ].join('\n');
  return queueAnswer(ctx, tx, { ...a, from, to: a.to, subject: `Received: ${a.record.title}`, text, template: 'acknowledgement' });
}

/**
 * An answer of ours to an email in (acknowledgement, command report): from the project's
 * notification sender, threaded under that email, no user behind it, replies to it forwarded
 * to the sender address.
 */
function queueAnswer(
  ctx: AppContext,
  tx: Tx,
  a: { project: ProjectRow; record: PublicRecord; inbound: EmailRow; from: { name: string; address: string }; to: { name?: string; address: string }; subject: string; text: string; template: string },
): ReturnType<typeof queueEmail> {
  return queueEmail(ctx, tx, {
    project: a.project,
    record: a.record,
    from: a.from,
    senderUserId: null,
    forwardTo: a.from.address,
    source: 'rule',
    to: [a.to],
    cc: [],
    subject: a.subject,
    text: a.text,
    parent: a.inbound,
    template: a.template,
  });
}

export interface CommandResult {
  line: string;
  ok: boolean;
  message: string;
}

/** The command a user's reply asked for, applied with that user's own permissions in the project. */
async function applyOne(ctx: AppContext, tx: Tx, pctx: ProjectContext, recordId: string, c: EmailCommand, settings: ImportSettings, emailId: string): Promise<string> {
  const handlers = ctx.recordEventHandlers ?? [];
  const update = (input: Parameters<typeof updateRecordIn>[3]) => updateRecordIn(tx, pctx, recordId, input, handlers, { emailId });
  switch (c.name) {
    case 'status': {
      if (!c.argument) throw new AppError('bad_request', 'missing_argument', '/status needs a status, e.g. "/status In progress".');
      const r = await update({ status: c.argument });
      return `status is ${r.status}`;
    }
    case 'close': {
      const record = await getRecord(tx, pctx, recordId);
      const wf = await workflowFor(tx, pctx.project.id, record.type as RecordType);
      if (isDone(wf, record.status, settings)) return `status is ${record.status} already`;
      const r = await update({ status: closingStatus(wf, record.status, settings) });
      return `status is ${r.status}`;
    }
    case 'assign': {
      if (!c.argument) throw new AppError('bad_request', 'missing_argument', '/assign needs a username, or "nobody".');
      let username: string | null = c.argument.replace(/^@/, '');
      if (/^(nobody|none|-)$/i.test(username)) username = null;
      else if (username.includes('@')) username = (await userByAddress(tx, username))?.username ?? username;
      const r = await update({ assignee: username });
      return r.assignee ? `assigned to ${r.assignee}` : 'unassigned';
    }
    case 'add-participant': {
      const record = await getRecord(tx, pctx, recordId);
      if (!canOnRecordType(pctx.access, record.type as RecordType, 'edit')) throw new AppError('forbidden', 'missing_command', 'Adding participants needs the right to edit this record.');
      const p = await addParticipant(tx, recordId, { address: c.argument }, 'command');
      return `${p.address} is a participant`;
    }
    case 'priority': {
      if (!c.argument) throw new AppError('bad_request', 'missing_argument', '/priority needs a priority, e.g. "/priority high".');
      const r = await update({ priority: /^(none|-)$/i.test(c.argument) ? null : c.argument.toLowerCase() });
      return r.priority ? `priority is ${r.priority}` : 'no priority';
    }
    case 'record':
      throw new AppError('bad_request', 'not_a_forward', '/record only works in mail forwarded to the import address.');
    default:
      throw new AppError('bad_request', 'unknown_command', `Unknown command /${c.name}. Known: /status, /assign, /priority, /close, /add-participant.`);
  }
}

/**
 * Applies a verified member's commands one by one, each with the member's permissions (the same
 * checks as the web: a Viewer's /status is refused). A refused command does not stop the others.
 */
export async function applyEmailCommands(
  ctx: AppContext,
  tx: Tx,
  a: { project: ProjectRow; user: UserRow; recordId: string; commands: readonly EmailCommand[]; settings: ImportSettings; emailId: string },
): Promise<CommandResult[]> {
  let pctx: ProjectContext;
  try {
    pctx = await openProject(tx, { userId: a.user.id, username: a.user.username, isAdmin: a.user.is_admin === 1 }, a.project.key);
  } catch {
    return a.commands.map((c) => ({ line: c.line, ok: false, message: 'you are not a member of this project' }));
  }
  const results: CommandResult[] = [];
  for (const c of a.commands) {
    try {
      results.push({ line: c.line, ok: true, message: await applyOne(ctx, tx, pctx, a.recordId, c, a.settings, a.emailId) });
    } catch (err) {
      // Permission and validation errors are thrown before any statement fails, so the
      // transaction is still good; anything else is a real failure of the whole message.
      if (!(err instanceof AppError)) throw err;
      results.push({ line: c.line, ok: false, message: err.message });
    }
  }
  return results;
}

export async function queueCommandReport(ctx: AppContext, tx: Tx, a: { project: ProjectRow; record: PublicRecord; user: UserRow; inbound: EmailRow; results: readonly CommandResult[] }): Promise<void> {
  const from = await notificationSender(tx, a.project);
  if (!from || !a.user.email) return;
  const lines = a.results.map((r) => `${r.ok ? 'Done' : 'Refused'}: ${r.line} — ${r.message}`);
  const text = [`Your commands on ${a.record.tag} ("${a.record.title}"):`, '', ...lines, '', `— ${from.name}`].join('\n');
  const subject = `Commands ${a.results.every((r) => r.ok) ? 'applied' : 'refused'}: ${a.record.title}`;
  await queueAnswer(ctx, tx, { ...a, from, to: { name: a.user.full_name, address: a.user.email }, subject, text, template: 'command-report' });
}

/**
 * Reopen on reply: a reply on a record in a done status moves it to the project's reopen
 * status, as a change nobody made by hand, caused by that email.
 */
export async function reopenOnReply(ctx: AppContext, tx: Tx, a: { project: ProjectRow; recordId: string; settings: ImportSettings; emailId: string; importUserId: string }): Promise<PublicRecord | undefined> {
  if (!a.settings.reopenStatus) return undefined;
  const pctx = systemContext(a.project, a.importUserId);
  const record = await getRecord(tx, pctx, a.recordId);
  const wf = await workflowFor(tx, a.project.id, record.type as RecordType);
  if (!isDone(wf, record.status, a.settings)) return undefined;
  const status = reopeningStatus(wf, record.status, a.settings.reopenStatus);
  return updateRecordIn(tx, pctx, a.recordId, { status }, ctx.recordEventHandlers ?? [], { emailId: a.emailId, actorId: null });
}

/** Forward-to-all: every participant but the sender, the one already forwarded to, and our own addresses. */
export async function participantForwardTargets(tx: Executor, recordId: string, exclude: readonly string[], own: OwnAddresses): Promise<string[]> {
  const skip = new Set(exclude.map((e) => e.toLowerCase()));
  return (await listParticipants(tx, recordId)).map((p) => p.address).filter((a) => !skip.has(a) && !own.has(a));
}

export type { Db };
