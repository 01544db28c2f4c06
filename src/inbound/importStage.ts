import { canOnRecordType } from '../domain/access.js';
import { RECORD_TYPES, TAG_LETTER, type RecordType } from '../domain/commands.js';
import { AppError } from '../errors.js';
import {
  loadImportSettings,
  type ImportSettings,
  forwardTarget as forwardIntoTarget,
  splitCommands,
  titleFromSubject,
  type EmailCommand,
  addParticipants,
  ownAddresses,
  type OwnAddresses,
  mayCreate,
  routeMail,
  type ImportRoute,
} from '../emailimport/index.js';
import {
  applyEmailCommands,
  ensureImportUser,
  importedFromMessageId,
  importsInLastHour,
  logImport,
  queueAcknowledgement,
  queueCommandReport,
  reopenOnReply,
  systemContext,
  userByAddress,
  whyNoAcknowledgement,
  type CommandResult,
} from '../emailimport/index.js';
import type { Address, ParsedMessage } from '../mail/mime/parsedMessage.js';
import type { AppContext } from '../core/context.js';
import { openProject } from '../projects/index.js';
import { createRecordIn, getRecord, type PublicRecord } from '../records/index.js';
import type { Executor, Tx } from '../store/db.js';
import { findProjectById, findProjectByKey, memberCommands } from '../store/projects.repository.js';
import { findRecordByNumber } from '../store/records.repository.js';
import type { EmailRow, ProjectRow, UserRow } from '../store/schema.js';
import type { RejectReason, UnmatchedReason } from './outcomes.js';

/**
 * Email import's part of the inbound pipeline. In the match stage, `decideImport`: mail without
 * a cookie that was sent to a project's import address becomes a new record, or — forwarded by
 * a member with a record id — lands on that record. In the file stage, what every filed reply
 * gets from import: participants, commands by email, reopen on reply (`planReply`,
 * `afterReply`), and `createRecordFromMail`. Forwarding to all participants is the forward stage's.
 */

export type ImportDecision =
  | { kind: 'create_record'; msg: ParsedMessage; route: ImportRoute; manual: false }
  | { kind: 'forward_into'; msg: ParsedMessage; record: { id: string; project_id: string }; forwardedBy: string }
  | { kind: 'unmatched'; msg: ParsedMessage; reason: UnmatchedReason; detail?: string }
  | { kind: 'rejected'; msg: ParsedMessage; reason: RejectReason; detail?: string };

const recipientHeaders = ['delivered-to', 'x-original-to'];

/** Every address the message was delivered to, lower-case. */
export function recipientsOf(msg: ParsedMessage): string[] {
  const out = new Set<string>();
  for (const a of [...msg.to, ...msg.cc]) out.add(a.address.toLowerCase());
  for (const h of recipientHeaders)
    for (const v of msg.headers.get(h) ?? [])
      out.add(
        v
          .replace(/^.*<|>.*$/g, '')
          .trim()
          .toLowerCase(),
      );
  return [...out].filter(Boolean);
}

function isMember(access: { isAdmin: boolean; commands: ReadonlySet<string> } | undefined): boolean {
  return access !== undefined;
}

async function recordByRef(
  db: Executor,
  ref: { projectKey: string; letter: string; number: number },
): Promise<{ project: ProjectRow; record: { id: string; project_id: string; type: RecordType } } | undefined> {
  const project = await findProjectByKey(db, ref.projectKey);
  const type = RECORD_TYPES.find((t) => TAG_LETTER[t] === ref.letter);
  if (!project || !type) return undefined;
  const record = await findRecordByNumber(db, project.id, type, ref.number);
  return record ? { project, record: { id: record.id, project_id: record.project_id, type } } : undefined;
}

/**
 * Decides what import does with a normal message that carries no cookie. Undefined: it was not
 * sent to any import address, so it stays "unmatched: no cookie" as before.
 */
export async function decideImport(ctx: AppContext, msg: ParsedMessage): Promise<ImportDecision | undefined> {
  const db = ctx.store.db;
  const sender = msg.from?.address.toLowerCase() ?? '';
  const route = await routeMail(db, { recipients: recipientsOf(msg), sender, subject: msg.subject });
  if (!route) return undefined;
  const own = await ownAddresses(db);
  if (!sender) return { kind: 'unmatched', msg, reason: 'import_not_allowed', detail: 'the message has no sender address' };
  if (own.has(sender)) return { kind: 'rejected', msg, reason: 'import_own_mail', detail: `from ${sender}` };

  // A member forwarding mail into a record: /record DEMO-D4 at the top, or [DEMO-D4] in the subject.
  const { commands } = splitCommands(msg.text ?? '');
  const ref = forwardIntoTarget(msg.subject, commands);
  if (ref) {
    const tag = `${ref.projectKey}-${ref.letter}${ref.number}`;
    const target = await recordByRef(db, ref);
    const user = await userByAddress(db, sender);
    if (!target) return { kind: 'unmatched', msg, reason: 'forward_refused', detail: `there is no record ${tag}` };
    if (!user) return { kind: 'unmatched', msg, reason: 'forward_refused', detail: `${sender} is not the address of any user` };
    const commandsOfUser = user.is_admin === 1 ? undefined : await memberCommands(db, target.project.id, user.id);
    const access =
      user.is_admin === 1
        ? { userId: user.id, isAdmin: true, commands: new Set<string>() }
        : commandsOfUser
          ? { userId: user.id, isAdmin: false, commands: new Set(commandsOfUser) }
          : undefined;
    if (!isMember(access) || !canOnRecordType(access!, target.record.type, 'edit')) {
      return { kind: 'unmatched', msg, reason: 'forward_refused', detail: `${user.username} may not add to ${tag}` };
    }
    return { kind: 'forward_into', msg, record: target.record, forwardedBy: user.username };
  }

  if (msg.messageId) {
    const earlier = await importedFromMessageId(db, msg.messageId);
    if (earlier) return { kind: 'rejected', msg, reason: 'import_duplicate', detail: `record ${earlier.record_id} was created from <${msg.messageId}>` };
  }
  const allowed = mayCreate(route.settings, sender, (await userByAddress(db, sender)) !== undefined);
  if (!allowed.ok) return { kind: 'unmatched', msg, reason: 'import_not_allowed', detail: allowed.why };
  const recent = await importsInLastHour(db, sender);
  if (recent >= route.settings.maxPerHour) {
    return {
      kind: 'unmatched',
      msg,
      reason: 'import_held',
      detail: `${sender} created ${recent} record(s) by email in the last hour; the limit is ${route.settings.maxPerHour}`,
    };
  }
  return { kind: 'create_record', msg, route, manual: false };
}

export interface CreateInput {
  inboundId: string;
  msg: ParsedMessage;
  prepared: { id: string };
  project: ProjectRow;
  recordType: RecordType;
  title?: string;
  description: string;
  defaults: ImportRoute['defaults'];
  acknowledge: boolean;
  importUser: UserRow;
  /** Inserts the inbound email on the new record (the pipeline's file stage). */
  file: (recordId: string) => Promise<EmailRow>;
}

export interface Created {
  record: PublicRecord;
  inbound: EmailRow;
  acknowledged: boolean;
  note?: string;
}

/**
 * Creates the record and files the message as its first inbound email, inside the caller's
 * transaction (with the inbound row's claim): the participants, the import log and the
 * acknowledgement commit with it, or nothing does.
 */
export async function createRecordFromMail(ctx: AppContext, tx: Tx, input: CreateInput): Promise<Created> {
  const sender = input.msg.from?.address.toLowerCase() ?? '';
  const senderUser = await userByAddress(tx, sender);
  const senderIsMember = senderUser !== undefined && (senderUser.is_admin === 1 || (await memberCommands(tx, input.project.id, senderUser.id)) !== undefined);
  const pctx = systemContext(input.project, senderIsMember ? senderUser.id : input.importUser.id);
  const title = (input.title ?? titleFromSubject(input.msg.subject)) || `Email from ${sender}`;
  const bare = { type: input.recordType, title, description: input.description };
  const d = input.defaults;
  const withDefaults = {
    ...bare,
    ...(d.status ? { status: d.status } : {}),
    ...(d.assignee ? { assignee: d.assignee } : {}),
    ...(d.priority ? { priority: d.priority.toLowerCase() } : {}),
    ...(d.fields && Object.keys(d.fields).length > 0 ? { fields: d.fields } : {}),
  };
  const handlers = ctx.recordEventHandlers ?? [];
  let record: PublicRecord;
  let note: string | undefined;
  try {
    record = await createRecordIn(tx, pctx, withDefaults, handlers, { emailId: input.prepared.id });
  } catch (err) {
    // A default that no longer fits (the assignee left the project, the workflow lost the
    // status, a field was removed since the rule was saved): validation refuses before anything
    // is written, so the record is still created, with the type's own defaults, and noted.
    if (!(err instanceof AppError) || err.kind !== 'bad_request') throw err;
    note = `rule defaults not used: ${err.message}`;
    record = await createRecordIn(tx, pctx, bare, handlers, { emailId: input.prepared.id });
  }
  const inbound = await input.file(record.id);
  const own = await ownAddresses(tx);
  await addParticipants(tx, record.id, peopleOf(input.msg), 'import', own);
  let acknowledged = false;
  if (input.acknowledge) {
    const why = await whyNoAcknowledgement(tx, { sender, headers: input.msg.headers, own });
    if (why === undefined) acknowledged = (await queueAcknowledgement(ctx, tx, { project: input.project, record, to: input.msg.from!, inbound })) !== undefined;
    else note = [note, `no acknowledgement: ${why}`].filter(Boolean).join('; ');
  }
  await logImport(tx, {
    projectId: input.project.id,
    recordId: record.id,
    inboundId: input.inboundId,
    sender,
    ...(input.msg.messageId ? { messageId: input.msg.messageId } : {}),
    acknowledged,
  });
  return { record, inbound, acknowledged, ...(note ? { note } : {}) };
}

function peopleOf(msg: ParsedMessage): Address[] {
  return [...(msg.from ? [msg.from] : []), ...msg.to, ...msg.cc];
}

/** What the reply stage decides before the email is written: commands to apply, text without them. */
export interface ReplyPlan {
  settings: ImportSettings;
  own: OwnAddresses;
  project: ProjectRow;
  user?: UserRow;
  commands: EmailCommand[];
  replyText: string;
  textBody: string;
  htmlBody: string | null;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * Commands by email are taken only from a verified member (an active user whose account
 * address is the From, and who is a member of the record's project) whose reply matched by a
 * cookie in its headers, address or body — never by the subject alone, which anyone can copy.
 * Anyone else's command lines stay in the text, untouched and unanswered.
 */
export async function planReply(
  tx: Executor,
  a: { original: EmailRow; via: string; from: string; replyText: string; textBody: string; htmlBody: string | null },
): Promise<ReplyPlan> {
  const project = (await findProjectById(tx, a.original.project_id))!;
  const settings = await loadImportSettings(tx, project.id);
  const own = await ownAddresses(tx);
  const plan: ReplyPlan = { settings, own, project, commands: [], replyText: a.replyText, textBody: a.textBody, htmlBody: a.htmlBody };
  // 'subject' and 'subject-token': anything carried only by the subject line.
  if (a.via.startsWith('subject') || a.via === 'manual') return plan;
  const { commands, rest } = splitCommands(a.replyText);
  if (commands.length === 0) return plan;
  const user = await userByAddress(tx, a.from);
  if (!user) return plan;
  if (user.is_admin !== 1 && !(await memberCommands(tx, project.id, user.id))) return plan;
  let html = a.htmlBody;
  if (html) for (const c of commands) html = html.replace(escapeHtml(c.line), '');
  return { ...plan, user, commands, replyText: rest, textBody: splitCommands(a.textBody).rest, htmlBody: html };
}

export interface ReplyExtras {
  commands?: CommandResult[];
  reopened: boolean;
}

/** After the reply is written: participants, commands and their report, reopen (forwarding to all is the forward stage's). */
export async function afterReply(ctx: AppContext, tx: Tx, a: { plan: ReplyPlan; msg: ParsedMessage; inbound: EmailRow }): Promise<ReplyExtras> {
  const { plan, inbound } = a;
  await addParticipants(tx, inbound.record_id, peopleOf(a.msg), 'reply', plan.own);
  let results: CommandResult[] | undefined;
  if (plan.user && plan.commands.length > 0) {
    results = await applyEmailCommands(ctx, tx, {
      project: plan.project,
      user: plan.user,
      recordId: inbound.record_id,
      commands: plan.commands,
      settings: plan.settings,
      emailId: inbound.id,
    });
    const pctx = await openProject(tx, { userId: plan.user.id, username: plan.user.username, isAdmin: plan.user.is_admin === 1 }, plan.project.key).catch(
      () => undefined,
    );
    const record = await getRecord(tx, pctx ?? systemContext(plan.project, plan.user.id), inbound.record_id);
    await queueCommandReport(ctx, tx, { project: plan.project, record, user: plan.user, inbound, results });
  }
  let reopened = false;
  const statusByCommand = results?.some((r) => r.ok && /^\/(status|close)\b/i.test(r.line)) ?? false;
  if (!statusByCommand && plan.settings.reopenStatus) {
    const importUser = await ensureImportUser(tx);
    reopened =
      (await reopenOnReply(ctx, tx, {
        project: plan.project,
        recordId: inbound.record_id,
        settings: plan.settings,
        emailId: inbound.id,
        importUserId: importUser.id,
      })) !== undefined;
  }
  return { ...(results ? { commands: results } : {}), reopened };
}
