import { RECORD_TYPES, type RecordType } from '../domain/commands.js';
import { isEmailAddress } from '../domain/validation.js';
import { badRequest } from '../errors.js';
import type { RecordEvent } from '../domain/record.js';
import { conditionHolds, type Condition, type Facts, type LegacyConditions } from './conditions.js';

/**
 * Notification rule events: what happened to a record. The first four are CONTRACT §5;
 * `record.updated` is any change (the `changed` predicate says which fields).
 */
export const RULE_EVENTS = [
  'record.created',
  'record.updated',
  'record.assigned',
  'record.statusChanged',
  'comment.added',
  'record.mentioned',
  'email.received',
  'email.bounced',
] as const;
export type RuleEvent = (typeof RULE_EVENTS)[number];

/**
 * Where replies to a rule's emails are forwarded (issue 16, item 7): the notification account
 * (the original behaviour, the default), the person whose change fired the rule, or the record's
 * assignee or watchers as they are when the reply arrives. The reply is filed on the record in
 * every case.
 */
export const REPLY_TO = ['notificationAccount', 'actor', 'assignee', 'watchers'] as const;
export type ReplyTo = (typeof REPLY_TO)[number];

/** The conditions of the first rules; translated into the tree (`fromLegacy`), still accepted. */
export type RuleConditions = LegacyConditions;

export interface Rule {
  id: string;
  name: string;
  enabled: boolean;
  event: RuleEvent;
  recordTypes: RecordType[];
  /** The old form of `condition` when it has one (`{}` otherwise), for clients written before the tree. */
  conditions: RuleConditions;
  condition: Condition;
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

/** A rule fires for something that happened (`events`) to the record the facts describe. */
export function ruleMatches(rule: Rule, events: ReadonlySet<RuleEvent>, facts: Facts): boolean {
  if (!rule.enabled || !events.has(rule.event)) return false;
  if (rule.recordTypes.length > 0 && !rule.recordTypes.includes(facts.record.type)) return false;
  return conditionHolds(rule.condition, facts);
}

export type RecipientSpec =
  | { kind: 'assignee' }
  | { kind: 'participants' }
  | { kind: 'creator' }
  | { kind: 'watchers' }
  | { kind: 'user'; username: string }
  | { kind: 'group'; name: string }
  | { kind: 'address'; address: string };

/** Parses "assignee", "creator", "watchers", "participants", "user:NAME", "group:NAME", "address:ADDR". */
export function parseRecipient(spec: string): RecipientSpec {
  if (spec === 'assignee' || spec === 'creator' || spec === 'watchers' || spec === 'participants') return { kind: spec };
  const colon = spec.indexOf(':');
  const kind = spec.slice(0, colon);
  const value = spec.slice(colon + 1).trim();
  if (colon > 0 && value !== '') {
    if (kind === 'user') return { kind: 'user', username: value };
    if (kind === 'group') return { kind: 'group', name: value };
    if (kind === 'address' && isEmailAddress(value)) return { kind: 'address', address: value.toLowerCase() };
  }
  throw badRequest(
    'invalid_recipient',
    `"${spec}" is not a recipient; use assignee, creator, watchers, participants, user:NAME, group:NAME or address:ADDRESS.`,
  );
}

export function checkRecordTypes(types: string[]): RecordType[] {
  const bad = types.filter((t) => !(RECORD_TYPES as readonly string[]).includes(t));
  if (bad.length > 0) throw badRequest('invalid_record_type', `Unknown record type(s): ${bad.join(', ')}.`);
  return types as RecordType[];
}
