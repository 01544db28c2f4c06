import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PublicRecord } from '../domain/record.js';
import { checkCondition, conditionHolds, fromLegacy, storedCondition, toLegacy, type Condition, type Facts } from './conditions.js';

const now = new Date('2026-12-05T12:00:00.000Z');
const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000).toISOString();

function facts(over: Partial<PublicRecord> = {}, extra: Partial<Facts> = {}): Facts {
  const record: PublicRecord = {
    id: 'r1',
    number: 1,
    tag: 'ACC-D1',
    type: 'defect',
    title: 'Crash',
    description: '',
    status: 'Open',
    assignee: 'ann',
    creator: 'dev',
    createdAt: minutesAgo(3 * 24 * 60),
    updatedAt: minutesAgo(2 * 24 * 60 + 5),
    version: 1,
    statusCategory: 'open',
    priority: 'high',
    severity: null,
    fields: { component: 'Billing', tags: ['ui', 'regression'], points: 3 },
    ...over,
  };
  return { record, participants: ['customer@example.test'], lastInboundAt: null, changedFields: [], now, ...extra };
}

const holds = (c: Condition, f: Facts = facts()) => conditionHolds(c, f);

describe('condition tree', () => {
  test('text fields: is / isNot / in / notIn / isEmpty / isNotEmpty / contains, case-insensitive', () => {
    assert.equal(holds({ field: 'type', op: 'is', value: 'defect' }), true);
    assert.equal(holds({ field: 'type', op: 'is', value: 'requirement' }), false);
    assert.equal(holds({ field: 'status', op: 'is', value: 'OPEN' }), true);
    assert.equal(holds({ field: 'status', op: 'isNot', value: 'open' }), false);
    assert.equal(holds({ field: 'statusCategory', op: 'in', value: ['open', 'inProgress'] }), true);
    assert.equal(holds({ field: 'statusCategory', op: 'notIn', value: ['open', 'inProgress'] }), false);
    assert.equal(holds({ field: 'priority', op: 'in', value: ['urgent', 'high'] }), true);
    assert.equal(holds({ field: 'severity', op: 'isEmpty' }), true);
    assert.equal(holds({ field: 'severity', op: 'isNotEmpty' }), false);
    assert.equal(holds({ field: 'severity', op: 'isNot', value: 'critical' }), true, 'an empty field is not "critical"');
    assert.equal(holds({ field: 'assignee', op: 'is', value: 'ann' }), true);
    assert.equal(holds({ field: 'assignee', op: 'isEmpty' }, facts({ assignee: null })), true);
    assert.equal(holds({ field: 'creator', op: 'is', value: 'dev' }), true);
    assert.equal(holds({ field: 'participants', op: 'contains', value: 'Customer@example.test' }), true);
    assert.equal(holds({ field: 'participants', op: 'contains', value: 'other@example.test' }), false);
    assert.equal(holds({ field: 'participants', op: 'isEmpty' }, facts({}, { participants: [] })), true);
  });

  test('custom fields: text, multi-choice and numbers as text; a missing one is empty', () => {
    assert.equal(holds({ field: 'fields.component', op: 'is', value: 'billing' }), true);
    assert.equal(holds({ field: 'fields.tags', op: 'contains', value: 'regression' }), true);
    assert.equal(holds({ field: 'fields.tags', op: 'notIn', value: ['ui'] }), false);
    assert.equal(holds({ field: 'fields.points', op: 'is', value: '3' }), true);
    assert.equal(holds({ field: 'fields.nothing', op: 'isEmpty' }), true);
  });

  test('durations: age, time since the last change and since the last inbound email', () => {
    assert.equal(holds({ field: 'age', op: 'moreThan', minutes: 2 * 24 * 60 }), true);
    assert.equal(holds({ field: 'age', op: 'lessThan', minutes: 60 }), false);
    assert.equal(holds({ field: 'sinceLastChange', op: 'moreThan', minutes: 2 * 24 * 60 }), true);
    assert.equal(holds({ field: 'sinceLastChange', op: 'moreThan', minutes: 3 * 24 * 60 }), false);
    // Never an inbound email: "none for 2 days" holds, "one within the hour" does not.
    assert.equal(holds({ field: 'sinceLastInbound', op: 'moreThan', minutes: 2880 }), true);
    assert.equal(holds({ field: 'sinceLastInbound', op: 'lessThan', minutes: 60 }), false);
    const recent = facts({}, { lastInboundAt: minutesAgo(10) });
    assert.equal(holds({ field: 'sinceLastInbound', op: 'lessThan', minutes: 60 }, recent), true);
    assert.equal(holds({ field: 'sinceLastInbound', op: 'moreThan', minutes: 60 }, recent), false);
  });

  test('changed: which fields the change touched', () => {
    const f = facts({}, { changedFields: ['status', 'fields.component'] });
    assert.equal(holds({ field: 'changed', op: 'anyOf', value: ['priority', 'status'] }, f), true);
    assert.equal(holds({ field: 'changed', op: 'anyOf', value: ['fields.component'] }, f), true);
    assert.equal(holds({ field: 'changed', op: 'anyOf', value: ['assignee'] }, f), false);
    assert.equal(holds({ field: 'changed', op: 'anyOf', value: ['status'] }), false, 'nothing changed outside a change');
  });

  test('all / any nest; the empty all holds, the empty any does not', () => {
    const high = { field: 'priority', op: 'is', value: 'high' } as const;
    const closed = { field: 'statusCategory', op: 'is', value: 'done' } as const;
    assert.equal(holds({ all: [high, closed] }), false);
    assert.equal(holds({ any: [high, closed] }), true);
    assert.equal(holds({ all: [high, { any: [closed, { field: 'assignee', op: 'is', value: 'ann' }] }] }), true);
    assert.equal(holds({ all: [high, { any: [closed, { field: 'assignee', op: 'is', value: 'bob' }] }] }), false);
    assert.equal(holds({ all: [] }), true);
    assert.equal(holds({ any: [] }), false);
  });

  test('checkCondition refuses unknown fields, wrong operators, missing values and huge trees', () => {
    const bad = (c: unknown) => assert.throws(() => checkCondition(c), { code: 'invalid_condition' });
    bad({ field: 'colour', op: 'is', value: 'red' });
    bad({ field: 'status', op: 'moreThan', value: 'x' });
    bad({ field: 'status', op: 'is' });
    bad({ field: 'age', op: 'is', minutes: 3 });
    bad({ field: 'age', op: 'moreThan', minutes: -1 });
    bad({ field: 'changed', op: 'anyOf', value: [] });
    bad({ all: [{ field: 'status', op: 'is', value: 'x' }], any: [] });
    bad({ all: Array.from({ length: 60 }, () => ({ field: 'status', op: 'is', value: 'x' })) });
    bad({ all: [{ all: [{ all: [{ all: [{ all: [{ all: [{ all: [] }] }] }] }] }] }] });
    assert.doesNotThrow(() =>
      checkCondition({
        any: [
          { field: 'fields.component', op: 'in', value: ['a', 'b'] },
          { field: 'age', op: 'lessThan', minutes: 5 },
        ],
      }),
    );
  });

  test('the old conditions translate into the tree and back, and stored rows of either form are read', () => {
    const tree = fromLegacy({ statusEquals: 'Fixed', assigneeChangedTo: 'ann' });
    const f = facts({ status: 'fixed', assignee: 'ann' }, { changedFields: ['assignee'] });
    assert.equal(holds(tree, f), true);
    assert.equal(holds(tree, { ...f, changedFields: ['status'] }), false, 'assigneeChangedTo needs an assignee change');
    assert.deepEqual(toLegacy(tree), { statusEquals: 'Fixed', assigneeChangedTo: 'ann' });
    assert.deepEqual(toLegacy({ any: [] }), {});
    assert.deepEqual(storedCondition('{"statusEquals":"Fixed"}'), { all: [{ field: 'status', op: 'is', value: 'Fixed' }] });
    assert.deepEqual(storedCondition('{"any":[]}'), { any: [] });
    assert.deepEqual(storedCondition('{}'), { all: [] });
  });
});
