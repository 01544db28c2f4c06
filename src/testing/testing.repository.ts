import type { Selectable } from 'kysely';
import type { Executor } from '../store/db.js';

/** Tables of migration 2026_12_04_z_i16_testing_reqdocs: a test case's steps, in order. */
export type TestStepsTable = {
  id: string;
  project_id: string;
  record_id: string;
  position: number;
  action: string;
  expected: string;
  created_at: string;
  updated_at: string;
};

/** What a test run record adds to the record itself. */
export type TestRunsTable = {
  record_id: string;
  project_id: string;
  /** The test case it ran; null once that record is gone. */
  test_case_id: string | null;
  /** The overall result someone set by hand; null = computed from the steps. */
  override_result: string | null;
  override_reason: string | null;
  override_by: string | null;
  override_at: string | null;
  created_at: string;
};

/** A step of a run: a copy of the test case's step when the run was made, with its result. */
export type TestRunStepsTable = {
  id: string;
  project_id: string;
  run_id: string;
  position: number;
  source_step_id: string | null;
  action: string;
  expected: string;
  result: string;
  actual: string;
  updated_by: string | null;
  updated_at: string | null;
};

export type TestStepRow = Selectable<TestStepsTable>;
export type TestRunRow = Selectable<TestRunsTable>;
export type TestRunStepRow = Selectable<TestRunStepsTable>;

const testingDb = (db: Executor) => db.withTables<{ test_steps: TestStepsTable; test_runs: TestRunsTable; test_run_steps: TestRunStepsTable }>();

export async function stepsOf(db: Executor, recordId: string): Promise<TestStepRow[]> {
  return testingDb(db).selectFrom('test_steps').selectAll().where('record_id', '=', recordId).orderBy('position').orderBy('id').execute();
}

export async function insertStep(db: Executor, row: TestStepsTable): Promise<void> {
  await testingDb(db).insertInto('test_steps').values(row).execute();
}

export async function updateStep(
  db: Executor,
  id: string,
  set: Partial<Pick<TestStepsTable, 'action' | 'expected' | 'position' | 'updated_at'>>,
): Promise<void> {
  await testingDb(db).updateTable('test_steps').set(set).where('id', '=', id).execute();
}

export async function deleteStep(db: Executor, id: string): Promise<void> {
  await testingDb(db).deleteFrom('test_steps').where('id', '=', id).execute();
}

export async function insertRun(db: Executor, row: TestRunsTable): Promise<void> {
  await testingDb(db).insertInto('test_runs').values(row).execute();
}

export async function findRun(db: Executor, recordId: string): Promise<TestRunRow | undefined> {
  return testingDb(db).selectFrom('test_runs').selectAll().where('record_id', '=', recordId).executeTakeFirst();
}

export async function setOverride(
  db: Executor,
  recordId: string,
  set: Pick<TestRunsTable, 'override_result' | 'override_reason' | 'override_by' | 'override_at'>,
): Promise<void> {
  await testingDb(db).updateTable('test_runs').set(set).where('record_id', '=', recordId).execute();
}

/** Runs made from a test case, oldest first. */
export async function runsOfCase(db: Executor, testCaseId: string): Promise<TestRunRow[]> {
  return testingDb(db).selectFrom('test_runs').selectAll().where('test_case_id', '=', testCaseId).orderBy('created_at').orderBy('record_id').execute();
}

export async function insertRunSteps(db: Executor, rows: TestRunStepsTable[]): Promise<void> {
  if (rows.length > 0) await testingDb(db).insertInto('test_run_steps').values(rows).execute();
}

export async function runStepsOf(db: Executor, runIds: string[]): Promise<TestRunStepRow[]> {
  if (runIds.length === 0) return [];
  return testingDb(db).selectFrom('test_run_steps').selectAll().where('run_id', 'in', runIds).orderBy('run_id').orderBy('position').orderBy('id').execute();
}

export async function updateRunStep(db: Executor, id: string, set: Pick<TestRunStepsTable, 'result' | 'actual' | 'updated_by' | 'updated_at'>): Promise<void> {
  await testingDb(db).updateTable('test_run_steps').set(set).where('id', '=', id).execute();
}
