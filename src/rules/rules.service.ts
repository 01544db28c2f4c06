import { nowIso } from '../clock.js';
import { badRequest, notFound } from '../errors.js';
import { newId } from '../ids.js';
import type { Executor } from '../store/db.js';
import type { NotificationRuleRow } from '../store/schema.js';
import { checkCondition, fromLegacy, storedCondition, toLegacy, type Condition } from './conditions.js';
import { checkRecordTypes, parseRecipient, REPLY_TO, RULE_EVENTS, type ReplyTo, type Rule, type RuleConditions, type RuleEvent } from './rule.js';

export interface RuleInput {
  name: string;
  enabled?: boolean;
  event: RuleEvent;
  recordTypes?: string[];
  /** The old conditions; combined with `condition` (both must hold) when both are given. */
  conditions?: RuleConditions;
  condition?: Condition;
  recipients: string[];
  template: string;
  tracked?: boolean;
  notifyActor?: boolean;
  replyTo?: ReplyTo;
}

export function toRule(row: NotificationRuleRow): Rule {
  const condition = storedCondition(row.conditions);
  return {
    id: row.id,
    name: row.name,
    enabled: row.enabled === 1,
    event: row.event as RuleEvent,
    recordTypes: JSON.parse(row.record_types) as Rule['recordTypes'],
    conditions: toLegacy(condition),
    condition,
    recipients: JSON.parse(row.recipients) as string[],
    template: row.template,
    tracked: row.tracked === 1,
    notifyActor: row.notify_actor === 1,
    replyTo: (REPLY_TO as readonly string[]).includes(row.reply_to) ? (row.reply_to as ReplyTo) : 'notificationAccount',
  };
}

async function checkTemplate(db: Executor, projectId: string, name: string): Promise<void> {
  const row = await db.selectFrom('email_templates').select('id').where('project_id', '=', projectId).where('name', '=', name).executeTakeFirst();
  if (!row) throw badRequest('unknown_template', `There is no email template "${name}" in this project.`);
}

/** One tree from the old conditions and the new one: both hold. */
export function conditionOf(input: { conditions?: RuleConditions; condition?: Condition }): Condition {
  const legacy = fromLegacy(input.conditions ?? {});
  const tree = input.condition === undefined ? undefined : checkCondition(input.condition);
  if (!tree) return legacy;
  if ('all' in legacy && legacy.all.length === 0) return tree;
  return { all: [...('all' in legacy ? legacy.all : [legacy]), tree] };
}

function ruleColumns(input: RuleInput) {
  return {
    name: input.name,
    enabled: input.enabled === false ? 0 : 1,
    event: input.event,
    record_types: JSON.stringify(input.recordTypes ?? []),
    // The column holds the tree; rows written before it hold the old object (storedCondition reads both).
    conditions: JSON.stringify(conditionOf(input)),
    recipients: JSON.stringify(input.recipients),
    template: input.template,
    tracked: input.tracked === false ? 0 : 1,
    notify_actor: input.notifyActor ? 1 : 0,
    reply_to: input.replyTo ?? 'notificationAccount',
  };
}

function validate(input: RuleInput): void {
  if (!(RULE_EVENTS as readonly string[]).includes(input.event)) throw badRequest('invalid_event', `Event must be one of ${RULE_EVENTS.join(', ')}.`);
  if (input.recipients.length === 0) throw badRequest('no_recipients', 'A rule needs at least one recipient.');
  input.recipients.forEach(parseRecipient);
  if (input.replyTo !== undefined && !(REPLY_TO as readonly string[]).includes(input.replyTo))
    throw badRequest('invalid_reply_to', `replyTo must be one of ${REPLY_TO.join(', ')}.`);
  checkRecordTypes(input.recordTypes ?? []);
  if (input.condition !== undefined) checkCondition(input.condition);
}

export async function listRules(db: Executor, projectId: string): Promise<Rule[]> {
  const rows = await db.selectFrom('notification_rules').selectAll().where('project_id', '=', projectId).orderBy('name').orderBy('id').execute();
  return rows.map(toRule);
}

export async function getRule(db: Executor, projectId: string, id: string): Promise<Rule> {
  const row = await db.selectFrom('notification_rules').selectAll().where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('rule_not_found', 'There is no such notification rule in this project.');
  return toRule(row);
}

export async function createRule(db: Executor, projectId: string, input: RuleInput): Promise<Rule> {
  validate(input);
  await checkTemplate(db, projectId, input.template);
  const at = nowIso();
  const row: NotificationRuleRow = { id: newId(), project_id: projectId, ...ruleColumns(input), created_at: at, updated_at: at };
  await db.insertInto('notification_rules').values(row).execute();
  return toRule(row);
}

export async function updateRule(db: Executor, projectId: string, id: string, input: RuleInput): Promise<Rule> {
  await getRule(db, projectId, id);
  validate(input);
  await checkTemplate(db, projectId, input.template);
  await db
    .updateTable('notification_rules')
    .set({ ...ruleColumns(input), updated_at: nowIso() })
    .where('id', '=', id)
    .execute();
  return getRule(db, projectId, id);
}

export async function deleteRule(db: Executor, projectId: string, id: string): Promise<void> {
  await getRule(db, projectId, id);
  await db.deleteFrom('notification_rules').where('id', '=', id).execute();
}
