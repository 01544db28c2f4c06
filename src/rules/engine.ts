import { notificationSender, queueEmail } from '../outbound/index.js';
import { clock } from '../clock.js';
import type { AppContext, RecordEventHandler, RecordMailHandler, RecordNoteHandler } from '../core/context.js';
import type { FieldChange, PublicRecord } from '../domain/record.js';
import type { Tx } from '../store/db.js';
import { findProjectById } from '../store/projects.repository.js';
import { findRecordById } from '../store/records.repository.js';
import { findUserById, findUserByUsername } from '../store/users.repository.js';
import type { ProjectRow, UserRow } from '../store/schema.js';
import { renderForRecord } from '../templates/index.js';
import { participantAddresses } from '../emailimport/index.js';
import { toPublicRecords } from '../records/index.js';
import { factsOf } from './facts.js';
import { eventsOf, parseRecipient, ruleMatches, type ReplyTo, type RuleEvent } from './rule.js';
import { listRules } from './rules.service.js';
import { suppressedAmong } from '../suppression/index.js';
import { watchersOfRecord } from '../watchers/index.js';

interface Recipient {
  name?: string;
  address: string;
  userId?: string;
}

async function membersOfGroup(tx: Tx, projectId: string, group: string): Promise<UserRow[]> {
  return tx
    .selectFrom('project_members')
    .innerJoin('security_groups', 'security_groups.id', 'project_members.group_id')
    .innerJoin('users', 'users.id', 'project_members.user_id')
    .selectAll('users')
    .where('project_members.project_id', '=', projectId)
    .where('security_groups.name', '=', group)
    .execute();
}

async function memberByUsername(tx: Tx, projectId: string, username: string): Promise<UserRow | undefined> {
  return tx
    .selectFrom('project_members')
    .innerJoin('users', 'users.id', 'project_members.user_id')
    .selectAll('users')
    .where('project_members.project_id', '=', projectId)
    .where('users.username', '=', username)
    .executeTakeFirst();
}

/** Something that happened to a record, as every rule reads it. */
export interface Trigger {
  projectId: string;
  record: PublicRecord;
  events: ReadonlySet<RuleEvent>;
  changes: FieldChange[];
  actorId: string | null;
}

/** Who gets a rule's email: recipient specs, and whether the person whose doing it is hears of it too. */
export interface RecipientChoice {
  recipients: string[];
  notifyActor: boolean;
}

/** Who a rule mails for one change: resolved, active, deduplicated, the actor left out unless asked. */
export async function resolveRecipients(
  tx: Tx,
  rule: RecipientChoice,
  e: { projectId: string; record: PublicRecord; actorId: string | null },
): Promise<Recipient[]> {
  const users: (UserRow | undefined)[] = [];
  const out: Recipient[] = [];
  for (const spec of rule.recipients.map(parseRecipient)) {
    if (spec.kind === 'assignee') users.push(e.record.assignee ? await findUserByUsername(tx, e.record.assignee) : undefined);
    else if (spec.kind === 'creator') users.push(await findUserByUsername(tx, e.record.creator));
    else if (spec.kind === 'watchers') for (const w of await watchersOfRecord(tx, e.record.id)) users.push(await findUserById(tx, w.userId));
    else if (spec.kind === 'participants') for (const a of (await participantAddresses(tx, [e.record.id])).get(e.record.id) ?? []) out.push({ address: a });
    // Only members: a rule must not become a way to mail (and learn of) people outside the project.
    else if (spec.kind === 'user') users.push(await memberByUsername(tx, e.projectId, spec.username));
    else if (spec.kind === 'group') users.push(...(await membersOfGroup(tx, e.projectId, spec.name)));
    else out.push({ address: spec.address });
  }
  for (const u of users) if (u && u.disabled === 0) out.push({ name: u.full_name, address: u.email, userId: u.id });
  const actor = e.actorId ? await findUserById(tx, e.actorId) : undefined;
  const seen = new Set<string>();
  return out.filter((r) => {
    if (seen.has(r.address)) return false;
    seen.add(r.address);
    const isActor = actor !== undefined && (r.userId === actor.id || r.address === actor.email);
    return rule.notifyActor || !isActor;
  });
}

/** One templated email per recipient, on the record, From the notification account. */
export interface RuleEmail extends RecipientChoice {
  /** Goes into emails.rule_id: the notification or escalation rule that sent it. */
  ruleId: string;
  template: string;
  tracked: boolean;
  replyTo: ReplyTo;
}

/**
 * Queues a rule's emails inside the caller's transaction, so they commit with whatever caused
 * them. Returns how many were queued; 0 when the project does not send.
 */
export async function queueRuleEmails(ctx: AppContext, tx: Tx, project: ProjectRow, t: Omit<Trigger, 'events'>, rule: RuleEmail): Promise<number> {
  if (project.sending_enabled !== 1) return 0;
  const from = await notificationSender(tx, project);
  if (!from) {
    ctx.log.warn({ project: project.key }, 'a rule matched but the project has no notification account address');
    return 0;
  }
  const actor = t.actorId ? await findUserById(tx, t.actorId) : undefined;
  const recipients = await resolveRecipients(tx, rule, t);
  // Replies reach whoever the rule names; the notification account when that is nobody
  // (a change made by the system, an actor since disabled, a record nobody watches).
  const forwardTo = rule.replyTo === 'actor' && actor && actor.disabled === 0 ? actor.email : from.address;
  const replyRoute = rule.replyTo === 'assignee' || rule.replyTo === 'watchers' ? rule.replyTo : null;
  // An automatic email has no person to ask "send anyway?": suppressed addresses are skipped.
  const suppressed = new Set(
    (
      await suppressedAmong(
        tx,
        recipients.map((r) => r.address),
      )
    ).map((s) => s.address),
  );
  let queued = 0;
  for (const recipient of recipients) {
    if (suppressed.has(recipient.address.toLowerCase())) {
      ctx.log.info({ rule: rule.ruleId, record: t.record.id, address: recipient.address }, 'rule skipped a suppressed address');
      continue;
    }
    try {
      // A broken template is logged, never allowed to undo the record change itself.
      const rendered = await renderForRecord(tx, {
        projectRow: project,
        recordId: t.record.id,
        senderUserId: null,
        recipient: { ...(recipient.name ? { name: recipient.name } : {}), email: recipient.address },
        changes: t.changes,
        actorUserId: t.actorId,
        templateName: rule.template,
      });
      await queueEmail(ctx, tx, {
        project,
        record: t.record,
        from,
        senderUserId: null,
        forwardTo,
        replyRoute,
        source: 'rule',
        to: [{ ...(recipient.name ? { name: recipient.name } : {}), address: recipient.address }],
        cc: [],
        subject: rendered.subject,
        text: rendered.text,
        html: rendered.html ?? null,
        template: rule.template,
        ruleId: rule.ruleId,
        tracked: rule.tracked,
      });
      queued++;
    } catch (err) {
      ctx.log.error({ err, rule: rule.ruleId, record: t.record.id }, 'rule could not compose its email');
    }
  }
  return queued;
}

/** The notification rules for one thing that happened, inside its transaction. */
export async function runRules(ctx: AppContext, tx: Tx, t: Trigger): Promise<void> {
  const all = (await listRules(tx, t.projectId)).filter((r) => r.enabled && t.events.has(r.event));
  if (all.length === 0) return;
  const [facts] = await factsOf(
    tx,
    [t.record],
    clock().now(),
    t.changes.map((c) => c.field),
  );
  const rules = all.filter((r) => ruleMatches(r, t.events, facts!));
  if (rules.length === 0) return;
  const project = await findProjectById(tx, t.projectId);
  if (!project) return;
  for (const rule of rules) await queueRuleEmails(ctx, tx, project, t, { ...rule, ruleId: rule.id });
}

async function recordFor(tx: Tx, projectId: string, recordId: string): Promise<PublicRecord | undefined> {
  const project = await findProjectById(tx, projectId);
  const row = await findRecordById(tx, recordId);
  if (!project || !row) return undefined;
  return (await toPublicRecords(tx, project, [row]))[0];
}

/**
 * The notification rules as a record-change handler. It runs inside the transaction that
 * changed the record, so the emails it queues commit with the change: a change never mails
 * twice, and never not at all — also with several processes.
 */
export function rulesHandler(ctx: AppContext): RecordEventHandler {
  return (tx, e) => runRules(ctx, tx, { projectId: e.projectId, record: e.record, events: eventsOf(e), changes: e.changes, actorId: e.actorId });
}

/** `comment.added`, and `record.mentioned` when the new comment @mentions someone. */
export function rulesNoteHandler(ctx: AppContext): RecordNoteHandler {
  return async (tx, note) => {
    if (note.kind !== 'comment.added') return;
    const record = await recordFor(tx, note.projectId, note.recordId);
    if (!record) return;
    const events = new Set<RuleEvent>(['comment.added']);
    if (note.comment.mentions.length > 0) events.add('record.mentioned');
    await runRules(ctx, tx, { projectId: note.projectId, record, events, changes: [], actorId: note.actorId });
  };
}

/** `email.received` and `email.bounced`, from the transaction that filed the message. */
export function rulesMailHandler(ctx: AppContext): RecordMailHandler {
  return async (tx, mail) => {
    const record = await recordFor(tx, mail.projectId, mail.recordId);
    if (!record) return;
    await runRules(ctx, tx, { projectId: mail.projectId, record, events: new Set([mail.kind]), changes: [], actorId: null });
  };
}
