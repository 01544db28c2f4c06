import { RECORD_TYPES, type RecordType } from '../domain/commands.js';
import { isEmailAddress } from '../domain/validation.js';
import { badRequest } from '../errors.js';
import type { RecordEvent } from '../domain/record.js';

/** Notification rule events (CONTRACT §5): what happened to a record. */
export const RULE_EVENTS = ['record.created', 'record.updated', 'record.assigned', 'record.statusChanged'] as const;
export type RuleEvent = (typeof RULE_EVENTS)[number];

/**
 * Where replies to a rule's emails are forwarded (issue 16, item 7): the notification account
 * (the original behaviour, the default), the person whose change fired the rule, or the record's
 * assignee or watchers as they are when the reply arrives. The reply is filed on the record in
 * every case.
 */
export const REPLY_TO = ['notificationAccount', 'actor', 'assignee', 'watchers'] as const;
export type ReplyTo = (typeof REPLY_TO)[number];

export interface RuleConditions {
  /** Fire only when the record's status (after the change) equals this. */
  statusEquals?: string;
  /** Fire only when the assignee changed to this username. */
  assigneeChangedTo?: string;
}

export interface Rule {
  id: string;
  name: string;
  enabled: boolean;
  event: RuleEvent;
  recordTypes: RecordType[];
  conditions: RuleConditions;
  recipients: string[];
  template: string;
  tracked: boolean;
  notifyActor: boolean;
  replyTo: ReplyTo;
}

/** The events one record change stands for: an assignment during an update is both. */
export function eventsOf(e: RecordEvent): Set<RuleEvent> {
  const out = new Set<RuleEvent>();
  if (e.kind === 'created') out.add('record.created');
  else out.add('record.updated');
  if (e.changes.some((c) => c.field === 'assignee' && c.new !== null)) out.add('record.assigned');
  if (e.kind === 'updated' && e.changes.some((c) => c.field === 'status')) out.add('record.statusChanged');
  return out;
}

export function ruleMatches(rule: Rule, e: RecordEvent): boolean {
  if (!rule.enabled || !eventsOf(e).has(rule.event)) return false;
  if (rule.recordTypes.length > 0 && !rule.recordTypes.includes(e.record.type)) return false;
  const c = rule.conditions;
  if (c.statusEquals !== undefined && e.record.status.toLowerCase() !== c.statusEquals.toLowerCase()) return false;
  if (c.assigneeChangedTo !== undefined && !e.changes.some((ch) => ch.field === 'assignee' && ch.new === c.assigneeChangedTo)) return false;
  return true;
}

export type RecipientSpec =
  | { kind: 'assignee' }
  | { kind: 'creator' }
  | { kind: 'watchers' }
  | { kind: 'user'; username: string }
  | { kind: 'group'; name: string }
  | { kind: 'address'; address: string };

/** Parses "assignee", "creator", "watchers", "user:NAME", "group:NAME", "address:ADDR". */
export function parseRecipient(spec: string): RecipientSpec {
  if (spec === 'assignee' || spec === 'creator' || spec === 'watchers') return { kind: spec };
  const colon = spec.indexOf(':');
  const kind = spec.slice(0, colon);
  const value = spec.slice(colon + 1).trim();
  if (colon > 0 && value !== '') {
    if (kind === 'user') return { kind: 'user', username: value };
    if (kind === 'group') return { kind: 'group', name: value };
    if (kind === 'address' && isEmailAddress(value)) return { kind: 'address', address: value.toLowerCase() };
  }
  throw badRequest('invalid_recipient', `"${spec}" is not a recipient; use assignee, creator, watchers, user:NAME, group:NAME or address:ADDRESS.`);
}

export function checkRecordTypes(types: string[]): RecordType[] {
  const bad = types.filter((t) => !(RECORD_TYPES as readonly string[]).includes(t));
  if (bad.length > 0) throw badRequest('invalid_record_type', `Unknown record type(s): ${bad.join(', ')}.`);
  return types as RecordType[];
}
