import type { TrackerRecord } from '../api/types';
import { can } from '../recordTypes';
import { InDocuments, RequirementList } from './RequirementList';
import { TestRunSteps } from './TestRunSteps';
import { TestSteps } from './TestSteps';

/**
 * What a record of each type holds beyond its fields, as Helix ALM users expect: a test case's
 * steps, a test run's step-by-step results, a requirement document's requirements.
 */
export function TypeContent({ projectKey, record, commands, onChanged }: { projectKey: string; record: TrackerRecord; commands: readonly string[] | undefined; onChanged: () => void }) {
  switch (record.type) {
    case 'testCase':
      return <TestSteps projectKey={projectKey} record={record} canEdit={can(commands, 'testCase', 'edit')} canRun={can(commands, 'testRun', 'add')} canSeeRuns={can(commands, 'testRun', 'view')} onChanged={onChanged} />;
    case 'testRun':
      return <TestRunSteps projectKey={projectKey} record={record} canEdit={can(commands, 'testRun', 'edit')} onChanged={onChanged} />;
    case 'requirementDocument':
      return can(commands, 'requirement', 'view') ? <RequirementList projectKey={projectKey} record={record} canEdit={can(commands, 'requirementDocument', 'edit')} onChanged={onChanged} /> : null;
    case 'requirement':
      return can(commands, 'requirementDocument', 'view') ? <InDocuments projectKey={projectKey} record={record} /> : null;
    default:
      return null;
  }
}
