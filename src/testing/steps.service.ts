import { nowIso } from '../clock.js';
import { requireOnRecordType } from '../domain/access.js';
import { inOrder, placeAt, renumber, sameOrder } from '../domain/ordering.js';
import { badRequest, notFound } from '../errors.js';
import { newId } from '../ids.js';
import type { ProjectContext } from '../projects/index.js';
import { recordOfType, noteOnRecord, type FieldChange } from '../records/index.js';
import type { Db, Executor, Tx } from '../store/db.js';
import * as repo from './testing.repository.js';

/** A test case has at most this many steps; a run copies them all. */
export const MAX_STEPS = 300;

export interface PublicStep {
  id: string;
  /** 1 for the first step. */
  number: number;
  action: string;
  expected: string;
  updatedAt: string;
}

export const testCaseOf = (db: Executor, ctx: ProjectContext, ref: string) => recordOfType(db, ctx, ref, 'testCase', 'steps belong to test cases');

const setPosition = (tx: Tx) => (id: string, position: number) => repo.updateStep(tx, id, { position });

const toPublic = (rows: repo.TestStepRow[]): PublicStep[] => rows.map((r, i) => ({ id: r.id, number: i + 1, action: r.action, expected: r.expected, updatedAt: r.updated_at }));

/** How a step reads in history: the action, and the expected result under it. */
export const stepText = (s: { action: string; expected: string }) => (s.expected ? `${s.action}\nExpected: ${s.expected}` : s.action);
const listText = (rows: { action: string }[]) => rows.map((r, i) => `${i + 1}. ${r.action}`).join('\n');

function cleanText(field: 'action' | 'expected', value: string): string {
  const v = value.trim();
  if (field === 'action' && v === '') throw badRequest('empty_action', 'A step needs an action: what the tester does.');
  return v;
}

export async function listSteps(db: Db, ctx: ProjectContext, ref: string): Promise<PublicStep[]> {
  const tc = await testCaseOf(db, ctx, ref);
  return toPublic(await repo.stepsOf(db, tc.id));
}

/** Adds a step at `number` (1 = first; absent or past the end = last). Needs testCases.edit. */
export async function addStep(db: Db, ctx: ProjectContext, ref: string, input: { action: string; expected?: string; number?: number }): Promise<PublicStep> {
  const tc = await testCaseOf(db, ctx, ref);
  requireOnRecordType(ctx.access, 'testCase', 'edit');
  const action = cleanText('action', input.action);
  const expected = cleanText('expected', input.expected ?? '');
  const id = newId();
  const steps = await db.transaction().execute(async (tx) => {
    const rows = await repo.stepsOf(tx, tc.id);
    if (rows.length >= MAX_STEPS) throw badRequest('too_many_steps', `A test case has at most ${MAX_STEPS} steps; split ${tc.tag} into several test cases.`);
    const now = nowIso();
    const row: repo.TestStepRow = { id, project_id: ctx.project.id, record_id: tc.id, position: 0, action, expected, created_at: now, updated_at: now };
    const next = placeAt(rows, row, input.number);
    row.position = next.indexOf(row) + 1;
    await repo.insertStep(tx, row);
    await renumber(next, setPosition(tx));
    await noteOnRecord(tx, { projectId: ctx.project.id, recordId: tc.id, actorId: ctx.access.userId, kind: 'step.added', changes: [{ field: `step ${row.position}`, old: null, new: stepText(row) }] });
    return repo.stepsOf(tx, tc.id);
  });
  return toPublic(steps).find((s) => s.id === id)!;
}

async function stepIn(tx: Tx, recordId: string, stepId: string): Promise<{ rows: repo.TestStepRow[]; row: repo.TestStepRow; index: number }> {
  const rows = await repo.stepsOf(tx, recordId);
  const index = rows.findIndex((r) => r.id === stepId);
  if (index < 0) throw notFound('step_not_found', 'This test case has no such step (it may have been removed meanwhile).');
  return { rows, row: rows[index]!, index };
}

/** Changes a step's action and/or expected result. Needs testCases.edit. */
export async function editStep(db: Db, ctx: ProjectContext, ref: string, stepId: string, input: { action?: string; expected?: string }): Promise<PublicStep> {
  const tc = await testCaseOf(db, ctx, ref);
  requireOnRecordType(ctx.access, 'testCase', 'edit');
  const steps = await db.transaction().execute(async (tx) => {
    const { row, index } = await stepIn(tx, tc.id, stepId);
    const changes: FieldChange[] = [];
    const set: { action?: string; expected?: string; updated_at?: string } = {};
    for (const field of ['action', 'expected'] as const) {
      const value = input[field];
      if (value === undefined) continue;
      const v = cleanText(field, value);
      if (v === row[field]) continue;
      set[field] = v;
      changes.push({ field: `step ${index + 1} ${field === 'action' ? 'action' : 'expected result'}`, old: row[field], new: v });
    }
    if (changes.length > 0) {
      set.updated_at = nowIso();
      await repo.updateStep(tx, row.id, set);
      await noteOnRecord(tx, { projectId: ctx.project.id, recordId: tc.id, actorId: ctx.access.userId, kind: 'step.edited', changes });
    }
    return repo.stepsOf(tx, tc.id);
  });
  return toPublic(steps).find((s) => s.id === stepId)!;
}

/** Removes a step; the ones after it move up. Needs testCases.edit. Runs made earlier keep their copy. */
export async function removeStep(db: Db, ctx: ProjectContext, ref: string, stepId: string): Promise<void> {
  const tc = await testCaseOf(db, ctx, ref);
  requireOnRecordType(ctx.access, 'testCase', 'edit');
  await db.transaction().execute(async (tx) => {
    const { rows, row, index } = await stepIn(tx, tc.id, stepId);
    await repo.deleteStep(tx, row.id);
    await renumber(rows.filter((r) => r.id !== row.id), setPosition(tx));
    await noteOnRecord(tx, { projectId: ctx.project.id, recordId: tc.id, actorId: ctx.access.userId, kind: 'step.removed', changes: [{ field: `step ${index + 1}`, old: stepText(row), new: null }] });
  });
}

/**
 * Puts the steps in the order given: every step id of the test case exactly once, so a list
 * someone reordered while another person added a step is refused (409) instead of losing it.
 */
export async function reorderSteps(db: Db, ctx: ProjectContext, ref: string, order: string[]): Promise<PublicStep[]> {
  const tc = await testCaseOf(db, ctx, ref);
  requireOnRecordType(ctx.access, 'testCase', 'edit');
  const steps = await db.transaction().execute(async (tx) => {
    const rows = await repo.stepsOf(tx, tc.id);
    const next = inOrder(rows, order, { things: 'steps', of: tc.tag });
    if (sameOrder(next, rows)) return rows;
    await renumber(next, setPosition(tx));
    await noteOnRecord(tx, { projectId: ctx.project.id, recordId: tc.id, actorId: ctx.access.userId, kind: 'steps.reordered', changes: [{ field: 'steps', old: listText(rows), new: listText(next) }] });
    return repo.stepsOf(tx, tc.id);
  });
  return toPublic(steps);
}
