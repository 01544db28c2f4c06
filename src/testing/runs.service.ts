import { nowIso } from '../clock.js';
import { canOnRecordType, requireOnRecordType } from '../domain/access.js';
import { recordTag, type RecordType } from '../domain/commands.js';
import { badRequest, notFound } from '../errors.js';
import { newId } from '../ids.js';
import { linkRecordsIn } from '../links/index.js';
import type { ProjectContext } from '../projects/index.js';
import { createRecordIn, getRecord, noteOnRecord, toPublicRecords, updateRecordIn, type FieldChange, type PublicRecord, recordOfType } from '../records/index.js';
import type { RecordEventHandler } from '../core/context.js';
import type { Db, Executor, Tx } from '../store/db.js';
import * as records from '../store/records.repository.js';
import { findUserById } from '../store/users.repository.js';
import { workflowFor } from '../tracker/index.js';
import { RESULT_WORDS, countResults, isStepResult, overallOf, statusPathFor, type OverallResult, type StepResult } from './results.js';
import { testCaseOf } from './steps.service.js';
import * as repo from './testing.repository.js';

export interface PublicRunStep {
  id: string;
  number: number;
  action: string;
  expected: string;
  result: StepResult;
  /** What the tester saw, in their words (empty until written). */
  actual: string;
  updatedBy: string | null;
  updatedAt: string | null;
}

export interface PublicRunResult {
  /** What counts: the override when there is one, else the computed result. */
  value: OverallResult;
  /** From the steps alone. */
  computed: OverallResult;
  override: { result: OverallResult; reason: string; by: string | null; at: string } | null;
  counts: Record<StepResult, number> & { total: number };
}

export interface PublicTestRun {
  /** The test run record's id. */
  id: string;
  tag: string;
  /** The test case it ran; null once that record is gone or hidden from the caller. */
  testCase: { id: string; tag: string; title: string; status: string } | null;
  steps: PublicRunStep[];
  result: PublicRunResult;
  createdAt: string;
}

export interface RunSummary {
  id: string;
  tag: string;
  title: string;
  status: string;
  assignee: string | null;
  creator: string;
  createdAt: string;
  result: OverallResult;
  counts: Record<StepResult, number> & { total: number };
}

const testRunOf = (db: Executor, ctx: ProjectContext, ref: string) => recordOfType(db, ctx, ref, 'testRun', 'step results belong to test runs (run a test case to make one)');

async function username(db: Executor, id: string | null): Promise<string | null> {
  return id ? ((await findUserById(db, id))?.username ?? null) : null;
}

function resultOf(run: repo.TestRunRow, steps: repo.TestRunStepRow[], overrideBy: string | null): PublicRunResult {
  const results = steps.map((s) => (isStepResult(s.result) ? s.result : 'notRun'));
  const computed = overallOf(results);
  const override = run.override_result ? { result: run.override_result as OverallResult, reason: run.override_reason ?? '', by: overrideBy, at: run.override_at ?? run.created_at } : null;
  return { value: override?.result ?? computed, computed, override, counts: countResults(results) };
}

async function runDetail(db: Executor, ctx: ProjectContext, record: PublicRecord): Promise<PublicTestRun> {
  const run = await repo.findRun(db, record.id);
  // A test run made by hand (or before this feature) has no steps: it reads as an empty run.
  const row: repo.TestRunRow = run ?? { record_id: record.id, project_id: ctx.project.id, test_case_id: null, override_result: null, override_reason: null, override_by: null, override_at: null, created_at: record.createdAt };
  const steps = await repo.runStepsOf(db, [record.id]);
  const names = new Map<string, string | null>();
  for (const id of new Set([...steps.map((s) => s.updated_by), row.override_by].filter((x): x is string => !!x))) names.set(id, await username(db, id));
  const tcRow = row.test_case_id ? await records.findRecord(db, ctx.project.id, row.test_case_id) : undefined;
  const testCase =
    tcRow && canOnRecordType(ctx.access, 'testCase', 'view')
      ? { id: tcRow.id, tag: recordTag(ctx.project.key, tcRow.type as RecordType, tcRow.number), title: tcRow.title, status: tcRow.status }
      : null;
  return {
    id: record.id,
    tag: record.tag,
    testCase,
    steps: steps.map((s, i) => ({
      id: s.id,
      number: i + 1,
      action: s.action,
      expected: s.expected,
      result: isStepResult(s.result) ? s.result : 'notRun',
      actual: s.actual,
      updatedBy: s.updated_by ? (names.get(s.updated_by) ?? null) : null,
      updatedAt: s.updated_at,
    })),
    result: resultOf(row, steps, row.override_by ? (names.get(row.override_by) ?? null) : null),
    createdAt: row.created_at,
  };
}

/** A test run's steps, results and the test case it ran. Needs testRuns.view. */
export async function getRun(db: Db, ctx: ProjectContext, ref: string): Promise<PublicTestRun> {
  return runDetail(db, ctx, await testRunOf(db, ctx, ref));
}

/**
 * Runs a test case: a new test run record (needs testRuns.add) whose steps are a copy of the
 * test case's, each not run yet, linked back to the test case ("was created from"), all in one
 * transaction. A test case without steps cannot be run: there would be nothing to record.
 */
export async function createRun(
  db: Db,
  ctx: ProjectContext,
  ref: string,
  input: { title?: string; assignee?: string | null },
  handlers: readonly RecordEventHandler[] = [],
): Promise<{ record: PublicRecord; run: PublicTestRun }> {
  const tc = await testCaseOf(db, ctx, ref);
  requireOnRecordType(ctx.access, 'testRun', 'add');
  const record = await db.transaction().execute(async (tx) => {
    const steps = await repo.stepsOf(tx, tc.id);
    if (steps.length === 0) throw badRequest('no_steps', `${tc.tag} has no steps yet: add its steps (what to do, what to expect) before running it.`);
    const created = await createRecordIn(
      tx,
      ctx,
      { type: 'testRun', title: input.title?.trim() || tc.title, description: tc.description, // Whoever runs the test is its assignee unless they name someone.
        assignee: input.assignee !== undefined ? input.assignee : await username(tx, ctx.access.userId) },
      handlers,
    );
    const now = nowIso();
    await repo.insertRun(tx, { record_id: created.id, project_id: ctx.project.id, test_case_id: tc.id, override_result: null, override_reason: null, override_by: null, override_at: null, created_at: now });
    await repo.insertRunSteps(
      tx,
      steps.map((s, i) => ({ id: newId(), project_id: ctx.project.id, run_id: created.id, position: i + 1, source_step_id: s.id, action: s.action, expected: s.expected, result: 'notRun', actual: '', updated_by: null, updated_at: null })),
    );
    await linkRecordsIn(tx, ctx, { from: created, to: tc, kind: 'createdFrom' });
    return created;
  });
  return { record, run: await runDetail(db, ctx, record) };
}

/** Runs made from a test case, newest first, with their results. Needs testCases.view and testRuns.view. */
export async function listRunsOfCase(db: Db, ctx: ProjectContext, ref: string): Promise<RunSummary[]> {
  const tc = await testCaseOf(db, ctx, ref);
  requireOnRecordType(ctx.access, 'testRun', 'view');
  const runs = await repo.runsOfCase(db, tc.id);
  const rows = (await Promise.all(runs.map((r) => records.findRecord(db, ctx.project.id, r.record_id)))).filter((r): r is records.RecordWithNames => !!r);
  const publicRows = new Map((await toPublicRecords(db, ctx.project, rows)).map((r) => [r.id, r]));
  const steps = await repo.runStepsOf(db, runs.map((r) => r.record_id));
  const out: RunSummary[] = [];
  for (const run of runs) {
    const r = publicRows.get(run.record_id);
    if (!r) continue;
    const result = resultOf(run, steps.filter((s) => s.run_id === run.record_id), null);
    out.push({ id: r.id, tag: r.tag, title: r.title, status: r.status, assignee: r.assignee, creator: r.creator, createdAt: r.createdAt, result: result.value, counts: result.counts });
  }
  return out.reverse();
}

/**
 * Moves the run's status to the one named like its result (Passed, Failed, …) where its
 * workflow has it and allows the way there, as the tester's own change: the status people filter
 * by says what the run found. A workflow without such a status leaves the status alone.
 */
async function followResult(tx: Tx, ctx: ProjectContext, runId: string, result: OverallResult, handlers: readonly RecordEventHandler[]): Promise<void> {
  const record = await getRecord(tx, ctx, runId);
  const wf = await workflowFor(tx, ctx.project.id, 'testRun');
  for (const status of statusPathFor(wf, record.status, result)) await updateRecordIn(tx, ctx, runId, { status }, handlers);
}

async function effective(tx: Tx, ctx: ProjectContext, runId: string): Promise<{ run: repo.TestRunRow; steps: repo.TestRunStepRow[]; result: PublicRunResult }> {
  const run = await repo.findRun(tx, runId);
  if (!run) throw badRequest('not_a_run_of_a_test_case', 'This test run was not made from a test case, so it has no steps to record; run a test case to make one.');
  const steps = await repo.runStepsOf(tx, [runId]);
  return { run, steps, result: resultOf(run, steps, null) };
}

/**
 * Records one step's result and/or what actually happened (needs testRuns.edit). The history
 * notes the step, and the overall result when it moves; the status follows the result.
 */
export async function recordStep(
  db: Db,
  ctx: ProjectContext,
  ref: string,
  stepId: string,
  input: { result?: StepResult; actual?: string },
  handlers: readonly RecordEventHandler[] = [],
): Promise<PublicTestRun> {
  const record = await testRunOf(db, ctx, ref);
  requireOnRecordType(ctx.access, 'testRun', 'edit');
  await db.transaction().execute(async (tx) => {
    const before = await effective(tx, ctx, record.id);
    const index = before.steps.findIndex((s) => s.id === stepId);
    if (index < 0) throw notFound('step_not_found', `${record.tag} has no such step.`);
    const step = before.steps[index]!;
    const result = input.result ?? (isStepResult(step.result) ? step.result : 'notRun');
    const actual = input.actual === undefined ? step.actual : input.actual.trim();
    const changes: FieldChange[] = [];
    if (result !== step.result) changes.push({ field: `step ${index + 1}`, old: RESULT_WORDS[step.result as StepResult] ?? step.result, new: RESULT_WORDS[result] });
    if (actual !== step.actual) changes.push({ field: `step ${index + 1} actual result`, old: step.actual, new: actual });
    if (changes.length === 0) return;
    await repo.updateRunStep(tx, step.id, { result, actual, updated_by: ctx.access.userId, updated_at: nowIso() });
    const after = await effective(tx, ctx, record.id);
    if (after.result.value !== before.result.value) changes.push({ field: 'result', old: RESULT_WORDS[before.result.value], new: RESULT_WORDS[after.result.value] });
    await noteOnRecord(tx, { projectId: ctx.project.id, recordId: record.id, actorId: ctx.access.userId, kind: 'testRun.step', changes });
    if (after.result.value !== before.result.value) await followResult(tx, ctx, record.id, after.result.value, handlers);
  });
  return getRun(db, ctx, record.id);
}

/**
 * Sets the overall result by hand (a run passed although a step was blocked by something known,
 * say) with a reason, or gives it back to the steps (`result` null). Needs testRuns.edit.
 */
export async function setRunResult(
  db: Db,
  ctx: ProjectContext,
  ref: string,
  input: { result: OverallResult | null; reason?: string },
  handlers: readonly RecordEventHandler[] = [],
): Promise<PublicTestRun> {
  const record = await testRunOf(db, ctx, ref);
  requireOnRecordType(ctx.access, 'testRun', 'edit');
  const reason = input.reason?.trim() ?? '';
  if (input.result !== null && reason === '') throw badRequest('reason_required', 'Say why the overall result differs from the steps (the reason is kept with it).');
  await db.transaction().execute(async (tx) => {
    const before = await effective(tx, ctx, record.id);
    const same = input.result === null ? before.run.override_result === null : before.run.override_result === input.result && (before.run.override_reason ?? '') === reason;
    if (same) return;
    await repo.setOverride(tx, record.id, input.result === null ? { override_result: null, override_reason: null, override_by: null, override_at: null } : { override_result: input.result, override_reason: reason, override_by: ctx.access.userId, override_at: nowIso() });
    const after = await effective(tx, ctx, record.id);
    const words = (r: PublicRunResult) => (r.override ? `${RESULT_WORDS[r.value]} (set by hand: ${r.override.reason})` : `${RESULT_WORDS[r.value]} (from the steps)`);
    await noteOnRecord(tx, { projectId: ctx.project.id, recordId: record.id, actorId: ctx.access.userId, kind: 'testRun.result', changes: [{ field: 'result', old: words(before.result), new: words(after.result) }] });
    if (after.result.value !== before.result.value) await followResult(tx, ctx, record.id, after.result.value, handlers);
  });
  return getRun(db, ctx, record.id);
}
