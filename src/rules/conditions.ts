import type { PublicRecord } from '../domain/record.js';
import { badRequest } from '../errors.js';

/**
 * The condition tree of every kind of rule (notification and escalation): `{all:[…]}` and
 * `{any:[…]}` of leaf predicates, nested. Evaluation is pure: the caller loads the facts
 * (`facts.ts`), so the same tree is tested without a database and runs over many records.
 */
export type Condition = { all: Condition[] } | { any: Condition[] } | Predicate;

/** Fields compared as text (case-insensitive); `fields.KEY` is a custom field. */
export const TEXT_FIELDS = ['type', 'status', 'statusCategory', 'priority', 'severity', 'assignee', 'creator', 'participants'] as const;
/** Durations in minutes, measured on the project clock. */
export const DURATION_FIELDS = ['age', 'sinceLastChange', 'sinceLastInbound'] as const;
export const TEXT_OPS = ['is', 'isNot', 'in', 'notIn', 'isEmpty', 'isNotEmpty', 'contains'] as const;
export const DURATION_OPS = ['moreThan', 'lessThan'] as const;

export type TextField = (typeof TEXT_FIELDS)[number] | `fields.${string}`;
export type DurationField = (typeof DURATION_FIELDS)[number];

export type Predicate =
  | { field: TextField; op: (typeof TEXT_OPS)[number]; value?: string | string[] }
  | { field: DurationField; op: (typeof DURATION_OPS)[number]; minutes: number }
  /** True when the change being handled touched one of these fields (`status`, `fields.KEY`, …); false for anything but a change. */
  | { field: 'changed'; op: 'anyOf'; value: string[] };

/** What a tree is evaluated against: one record as it is now, and what just happened to it. */
export interface Facts {
  record: PublicRecord;
  /** Email participants' addresses, lower case. */
  participants: readonly string[];
  /** When the newest inbound email of the record arrived; null when none did. */
  lastInboundAt: string | null;
  /** The fields the change being handled touched; empty outside a record change. */
  changedFields: readonly string[];
  now: Date;
}

const MAX_DEPTH = 5;
const MAX_NODES = 50;

const norm = (v: string) => v.trim().toLowerCase();

function valuesOf(f: Facts, field: TextField): string[] {
  const r = f.record;
  switch (field) {
    case 'type':
      return [r.type];
    case 'status':
      return [r.status];
    case 'statusCategory':
      return [r.statusCategory];
    case 'priority':
      return r.priority ? [r.priority] : [];
    case 'severity':
      return r.severity ? [r.severity] : [];
    case 'assignee':
      return r.assignee ? [r.assignee] : [];
    case 'creator':
      return [r.creator];
    case 'participants':
      return [...f.participants];
    default: {
      const v = r.fields[field.slice('fields.'.length)];
      if (v === undefined || v === '') return [];
      return Array.isArray(v) ? v : [String(v)];
    }
  }
}

function minutesSince(iso: string | null, now: Date): number | null {
  if (iso === null) return null;
  return (now.getTime() - Date.parse(iso)) / 60_000;
}

function durationOf(f: Facts, field: DurationField): number | null {
  if (field === 'age') return minutesSince(f.record.createdAt, f.now);
  if (field === 'sinceLastChange') return minutesSince(f.record.updatedAt, f.now);
  return minutesSince(f.lastInboundAt, f.now);
}

const asList = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]).map(norm);

function predicateHolds(p: Predicate, f: Facts): boolean {
  if (p.field === 'changed') {
    const wanted = new Set(p.value.map((v) => v.trim()));
    return f.changedFields.some((c) => wanted.has(c));
  }
  if ('minutes' in p) {
    const d = durationOf(f, p.field);
    // "No inbound email for 2 days" holds for a record that never had one; "within 10 minutes" does not.
    if (d === null) return p.op === 'moreThan';
    return p.op === 'moreThan' ? d > p.minutes : d < p.minutes;
  }
  const have = valuesOf(f, p.field).map(norm);
  const want = asList(p.value);
  switch (p.op) {
    case 'isEmpty':
      return have.length === 0;
    case 'isNotEmpty':
      return have.length > 0;
    case 'is':
    case 'in':
    case 'contains':
      return have.some((h) => want.includes(h));
    case 'isNot':
    case 'notIn':
      return !have.some((h) => want.includes(h));
  }
}

export function conditionHolds(c: Condition, f: Facts): boolean {
  if ('all' in c) return c.all.every((x) => conditionHolds(x, f));
  if ('any' in c) return c.any.some((x) => conditionHolds(x, f));
  return predicateHolds(c, f);
}

/** The tree that holds always: `{all: []}`. */
export const ALWAYS: Condition = { all: [] };

function invalid(message: string): never {
  throw badRequest('invalid_condition', message);
}

/** Checks a tree from outside (API input, stored JSON): known fields and operators, bounded size. */
export function checkCondition(c: unknown): Condition {
  let nodes = 0;
  const walk = (n: unknown, depth: number): void => {
    if (++nodes > MAX_NODES) invalid(`A condition may have at most ${MAX_NODES} parts.`);
    if (depth > MAX_DEPTH) invalid(`Conditions nest at most ${MAX_DEPTH} deep.`);
    if (typeof n !== 'object' || n === null || Array.isArray(n)) invalid('A condition is {all:[…]}, {any:[…]} or {field, op, …}.');
    const o = n as Record<string, unknown>;
    if ('all' in o || 'any' in o) {
      const list = o.all ?? o.any;
      if (!Array.isArray(list) || Object.keys(o).length !== 1) invalid('{all} and {any} hold one list of conditions.');
      for (const x of list) walk(x, depth + 1);
      return;
    }
    const field = o.field;
    if (typeof field !== 'string') invalid('A condition needs a field.');
    if (field === 'changed') {
      if (o.op !== 'anyOf' || !Array.isArray(o.value) || o.value.length === 0 || !o.value.every((v) => typeof v === 'string'))
        invalid('"changed" takes op "anyOf" and a list of field names.');
      return;
    }
    if ((DURATION_FIELDS as readonly string[]).includes(field)) {
      if (!(DURATION_OPS as readonly string[]).includes(o.op as string)) invalid(`"${field}" takes op ${DURATION_OPS.join(' or ')}.`);
      if (typeof o.minutes !== 'number' || !Number.isFinite(o.minutes) || o.minutes < 0) invalid(`"${field}" needs minutes (a number ≥ 0).`);
      return;
    }
    if (!(TEXT_FIELDS as readonly string[]).includes(field) && !/^fields\.[a-z][a-zA-Z0-9_]{0,39}$/.test(field))
      invalid(`Unknown condition field "${field}"; use ${[...TEXT_FIELDS, ...DURATION_FIELDS, 'changed'].join(', ')} or fields.KEY.`);
    if (!(TEXT_OPS as readonly string[]).includes(o.op as string)) invalid(`"${field}" takes op ${TEXT_OPS.join(', ')}.`);
    if (o.op !== 'isEmpty' && o.op !== 'isNotEmpty') {
      const v = o.value;
      const ok = typeof v === 'string' || (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string'));
      if (!ok) invalid(`"${field}" ${String(o.op)} needs a value (text or a list of texts).`);
    }
  };
  walk(c, 0);
  return c as Condition;
}

/** The conditions of rules before the tree (CONTRACT §5); still accepted by the API. */
export interface LegacyConditions {
  statusEquals?: string;
  assigneeChangedTo?: string;
}

export function fromLegacy(c: LegacyConditions): Condition {
  const parts: Condition[] = [];
  if (c.statusEquals !== undefined) parts.push({ field: 'status', op: 'is', value: c.statusEquals });
  if (c.assigneeChangedTo !== undefined)
    parts.push({
      all: [
        { field: 'changed', op: 'anyOf', value: ['assignee'] },
        { field: 'assignee', op: 'is', value: c.assigneeChangedTo },
      ],
    });
  return { all: parts };
}

/** The old form of a tree that `fromLegacy` could have made, so an old client reads back what it wrote; `{}` otherwise. */
export function toLegacy(c: Condition): LegacyConditions {
  if (!('all' in c)) return {};
  const out: LegacyConditions = {};
  for (const p of c.all) {
    if ('field' in p && p.field === 'status' && p.op === 'is' && typeof p.value === 'string' && out.statusEquals === undefined) out.statusEquals = p.value;
    else if ('all' in p && p.all.length === 2) {
      const [a, b] = p.all;
      if (
        a &&
        b &&
        'field' in a &&
        a.field === 'changed' &&
        a.value.length === 1 &&
        a.value[0] === 'assignee' &&
        'field' in b &&
        b.field === 'assignee' &&
        b.op === 'is' &&
        typeof b.value === 'string'
      )
        out.assigneeChangedTo = b.value;
      else return {};
    } else return {};
  }
  return out;
}

/** A stored `conditions` column: a tree, or the old object (rows written before the tree). */
export function storedCondition(json: string): Condition {
  const v = JSON.parse(json) as unknown;
  if (typeof v === 'object' && v !== null && ('all' in v || 'any' in v || 'field' in v)) return v as Condition;
  return fromLegacy(v as LegacyConditions);
}
