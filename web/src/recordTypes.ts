import type { RecordCommand, RecordType } from './api/types';
import { RECORD_TYPES } from './api/types';

/** Names people read, and the command category of each record type (CONTRACT §3). */
export const TYPE_INFO: Record<RecordType, { one: string; many: string; category: string; letter: string }> = {
  defect: { one: 'Defect', many: 'Defects', category: 'defects', letter: 'D' },
  requirement: { one: 'Requirement', many: 'Requirements', category: 'requirements', letter: 'R' },
  requirementDocument: { one: 'Requirement document', many: 'Requirement docs', category: 'requirementDocuments', letter: 'RD' },
  testCase: { one: 'Test case', many: 'Test cases', category: 'testCases', letter: 'TC' },
  testRun: { one: 'Test run', many: 'Test runs', category: 'testRuns', letter: 'TR' },
};

export const COMMAND_LABEL: Record<RecordCommand, string> = {
  view: 'View',
  add: 'Add',
  edit: 'Edit',
  sendTrackedEmail: 'Send tracked email',
  replyTrackedEmail: 'Reply to tracked email',
  viewTrackedEmail: 'View tracked email',
  deleteTrackedEmail: 'Delete tracked email',
  manageWatchers: 'Choose watchers',
};

export function isRecordType(value: string): value is RecordType {
  return (RECORD_TYPES as readonly string[]).includes(value);
}

export function commandFor(type: RecordType, command: RecordCommand): string {
  return `${TYPE_INFO[type].category}.${command}`;
}

/** Whether the caller (by the commands GET /projects/{key} returned) may do `command` on `type`. */
export function can(commands: readonly string[] | undefined, type: RecordType, command: RecordCommand): boolean {
  return !!commands && commands.includes(commandFor(type, command));
}

/** Statuses offered as suggestions; any text is allowed. */
export const COMMON_STATUSES = ['Open', 'In progress', 'Resolved', 'Verified', 'Closed', 'Rejected'];
