import type { RecordType } from '../domain/commands.js';
import { badRequest } from '../errors.js';
import type { Executor } from '../store/db.js';
import type { ProjectContext } from '../projects/index.js';
import { getRecordByRef, type PublicRecord } from './records.service.js';

const TYPE_WORDS: Record<RecordType, string> = {
  defect: 'a defect',
  requirement: 'a requirement',
  requirementDocument: 'a requirement document',
  testCase: 'a test case',
  testRun: 'a test run',
};

/**
 * The record behind `ref` (id or tag) if the caller may view it and it is of `type`. A record of
 * another type is a 400 `not_a_<type>` (not_a_test_case, …) saying what it is and what
 * `needed` ("steps belong to test cases"), so a script that sent the wrong id learns which.
 */
export async function recordOfType(db: Executor, ctx: ProjectContext, ref: string, type: RecordType, needed: string): Promise<PublicRecord> {
  const record = await getRecordByRef(db, ctx, ref);
  if (record.type !== type) {
    const code = `not_a_${TYPE_WORDS[type].replace(/^an? /, '').replaceAll(' ', '_')}`;
    throw badRequest(code, `${record.tag} is ${TYPE_WORDS[record.type]}; ${needed}.`, { type: record.type });
  }
  return record;
}
