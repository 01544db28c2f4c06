import { notificationSender, queueEmail } from '../outbound/index.js';
import type { AppContext, RecordEventHandler } from '../core/context.js';
import type { RecordEvent } from '../domain/record.js';
import type { Tx } from '../store/db.js';
import { findProjectById } from '../store/projects.repository.js';
import { findUserById, findUserByUsername } from '../store/users.repository.js';
import type { UserRow } from '../store/schema.js';
import { renderForRecord } from '../templates/index.js';
import { parseRecipient, ruleMatches, type Rule } from './rule.js';
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

/** Who a rule mails for one change: resolved, active, deduplicated, the actor left out unless asked. */
export async function resolveRecipients(tx: Tx, rule: Rule, e: RecordEvent): Promise<Recipient[]> {
  const users: (UserRow | undefined)[] = [];
  const out: Recipient[] = [];
  for (const spec of rule.recipients.map(parseRecipient)) {
    if (spec.kind === 'assignee') users.push(e.record.assignee ? await findUserByUsername(tx, e.record.assignee) : undefined);
    else if (spec.kind === 'creator') users.push(await findUserByUsername(tx, e.record.creator));
    else if (spec.kind === 'watchers') for (const w of await watchersOfRecord(tx, e.record.id)) users.push(await findUserById(tx, w.userId));
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

/**
 * The notification rules as a record-change handler. It runs inside the transaction that
 * changed the record, so the emails it queues commit with the change: a change never mails
 * twice, and never not at all — also with several processes.
 */
export function rulesHandler(ctx: AppContext): RecordEventHandler {
  return async (tx, e) => {
    const rules = (await listRules(tx, e.projectId)).filter((r) => ruleMatches(r, e));
    if (rules.length === 0) return;
    const project = await findProjectById(tx, e.projectId);
    if (!project || project.sending_enabled !== 1) return;
    const from = await notificationSender(tx, project);
    if (!from) {
      ctx.log.warn({ project: project.key }, 'notification rules matched but the project has no notification account address');
      return;
    }
    const fromAddress = from.address;
    const actor = e.actorId ? await findUserById(tx, e.actorId) : undefined;
    for (const rule of rules) {
      const recipients = await resolveRecipients(tx, rule, e);
      // Replies reach whoever the rule names; the notification account when that is nobody
      // (a change made by the system, an actor since disabled, a record nobody watches).
      const forwardTo = rule.replyTo === 'actor' && actor && actor.disabled === 0 ? actor.email : fromAddress;
      const replyRoute = rule.replyTo === 'assignee' || rule.replyTo === 'watchers' ? rule.replyTo : null;
      // An automatic email has no person to ask "send anyway?": suppressed addresses are skipped.
      const suppressed = new Set((await suppressedAmong(tx, recipients.map((r) => r.address))).map((s) => s.address));
      for (const recipient of recipients) {
        if (suppressed.has(recipient.address.toLowerCase())) {
          ctx.log.info({ rule: rule.id, record: e.record.id, address: recipient.address }, 'notification rule skipped a suppressed address');
          continue;
        }
        try {
          // A broken template is logged, never allowed to undo the record change itself.
          const rendered = await renderForRecord(tx, {
            projectRow: project,
            recordId: e.record.id,
            senderUserId: null,
            recipient: { ...(recipient.name ? { name: recipient.name } : {}), email: recipient.address },
            changes: e.changes,
            actorUserId: e.actorId,
            templateName: rule.template,
          });
          await queueEmail(ctx, tx, {
            project,
            record: e.record,
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
            ruleId: rule.id,
            tracked: rule.tracked,
          });
        } catch (err) {
          ctx.log.error({ err, rule: rule.id, record: e.record.id }, 'notification rule could not compose its email');
        }
      }
    }
  };
}
