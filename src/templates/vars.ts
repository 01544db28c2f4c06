import { recordTag, type RecordType } from '../domain/commands.js';
import type { ChangeVars, PersonVars, TemplateVars } from './render.js';

/** How record types read in a sentence's first word ("Defect ACC-D42 was assigned to you"). */
export const RECORD_TYPE_LABEL: Record<RecordType, string> = {
  defect: 'Defect',
  requirement: 'Requirement',
  requirementDocument: 'Requirement document',
  testCase: 'Test case',
  testRun: 'Test run',
};

const FIELD_LABEL: Record<string, string> = {
  title: 'Title',
  description: 'Description',
  status: 'Status',
  assignee: 'Assigned to',
  priority: 'Priority',
  severity: 'Severity',
};

/** The record's page in the web client, by its readable id (/projects/ACC/records/ACC-D42). */
export function recordUrl(projectKey: string, tag: string): string {
  return `/projects/${encodeURIComponent(projectKey)}/records/${encodeURIComponent(tag)}`;
}

export function changeVars(changes: readonly { field: string; old: string | null; new: string | null }[]): ChangeVars[] {
  return changes.map((c) => ({ field: c.field, label: FIELD_LABEL[c.field] ?? c.field, old: c.old, new: c.new }));
}

const sampleUsers = {
  sender: { username: 'ssmith', fullName: 'Sam Smith', email: 'sam.smith@example.com' },
  assignee: { username: 'jlee', fullName: 'Jordan Lee', email: 'jordan.lee@example.com' },
  creator: { username: 'pkhan', fullName: 'Priya Khan', email: 'priya.khan@example.com' },
} satisfies Record<string, PersonVars>;

const sampleTitles: Record<RecordType, string> = {
  defect: 'Invoice totals are off by one cent when a discount applies',
  requirement: 'Export the general ledger as CSV',
  requirementDocument: 'Accounts payable: functional specification',
  testCase: 'Discounted invoice totals round half up',
  testRun: 'Release 4.2 regression: invoicing',
};

/**
 * Realistic variables for a record of the given type: used to try a template out when it is
 * saved (so render-time limits surface as a 400 there, not when mail goes out) and in tests.
 */
export function sampleVars(
  type: RecordType = 'defect',
  opts: { assignee?: boolean; description?: string; emailText?: string; changes?: boolean } = {},
): TemplateVars {
  const number = 42;
  const tag = recordTag('ACC', type, number);
  return {
    record: {
      id: '01jdexample0000000000000000',
      tag,
      number,
      type,
      typeLabel: RECORD_TYPE_LABEL[type],
      title: sampleTitles[type],
      description: opts.description ?? 'Steps:\n1. Create an invoice of 3 items at 9.99.\n2. Apply a 10% discount.\n\nExpected 26.97, got 26.96.',
      status: 'Open',
      assignee: opts.assignee === false ? null : sampleUsers.assignee,
      creator: sampleUsers.creator,
      url: recordUrl('ACC', tag),
      createdAt: '2026-11-20T09:30:00.000Z',
      updatedAt: '2026-11-27T14:05:00.000Z',
      priority: 'high',
      severity: 'major',
      fields: { customer: 'Northwind Traders', platform: 'iOS, Android' },
    },
    project: { key: 'ACC', name: 'Accounting' },
    sender: sampleUsers.sender,
    actor: sampleUsers.sender,
    recipient: { name: 'Alex Morgan', email: 'alex.morgan@example.org' },
    email: { subject: '', text: opts.emailText ?? 'Could you confirm which build you saw this in?' },
    changes:
      opts.changes === false
        ? []
        : changeVars([
            { field: 'status', old: 'Open', new: 'Fixed' },
            { field: 'assignee', old: 'pkhan', new: 'jlee' },
            { field: 'description', old: 'Totals are wrong.', new: 'Totals are off by one cent.' },
          ]),
  };
}
