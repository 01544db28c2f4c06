import type { RecordType } from './commands.js';

/**
 * Workflows: each record type of a project has its statuses, each with a category that says
 * what it means for reports and filters (open, in progress, done), the moves allowed between
 * them, and the status new records start in. Pure rules; storage and HTTP live elsewhere.
 */
export const STATUS_CATEGORIES = ['open', 'inProgress', 'done'] as const;
export type StatusCategory = (typeof STATUS_CATEGORIES)[number];

export interface WorkflowStatus {
  name: string;
  category: StatusCategory;
}

export interface Workflow {
  statuses: WorkflowStatus[];
  /** Status name → the statuses a record may move to from it. */
  transitions: Record<string, string[]>;
  initial: string;
}

const s = (name: string, category: StatusCategory): WorkflowStatus => ({ name, category });

/** What every project starts with; a project administrator can change each type's workflow. */
export const DEFAULT_WORKFLOWS: Record<RecordType, Workflow> = {
  defect: {
    statuses: [s('Open', 'open'), s('In progress', 'inProgress'), s('Fixed', 'inProgress'), s('Verified', 'done'), s('Closed', 'done'), s('Rejected', 'done')],
    transitions: {
      Open: ['In progress', 'Fixed', 'Rejected'],
      'In progress': ['Open', 'Fixed', 'Rejected'],
      Fixed: ['Verified', 'In progress', 'Open'],
      Verified: ['Closed', 'Open'],
      Closed: ['Open'],
      Rejected: ['Open'],
    },
    initial: 'Open',
  },
  requirement: {
    statuses: [s('Open', 'open'), s('In progress', 'inProgress'), s('Implemented', 'inProgress'), s('Verified', 'done'), s('Rejected', 'done')],
    transitions: {
      Open: ['In progress', 'Rejected'],
      'In progress': ['Open', 'Implemented', 'Rejected'],
      Implemented: ['Verified', 'In progress'],
      Verified: ['In progress'],
      Rejected: ['Open'],
    },
    initial: 'Open',
  },
  requirementDocument: {
    statuses: [s('Draft', 'open'), s('In review', 'inProgress'), s('Approved', 'done'), s('Obsolete', 'done')],
    transitions: { Draft: ['In review', 'Obsolete'], 'In review': ['Draft', 'Approved'], Approved: ['Draft', 'Obsolete'], Obsolete: ['Draft'] },
    initial: 'Draft',
  },
  testCase: {
    statuses: [s('Draft', 'open'), s('In review', 'inProgress'), s('Ready', 'done'), s('Obsolete', 'done')],
    transitions: { Draft: ['In review', 'Ready', 'Obsolete'], 'In review': ['Draft', 'Ready'], Ready: ['Draft', 'Obsolete'], Obsolete: ['Draft'] },
    initial: 'Draft',
  },
  testRun: {
    statuses: [s('Not run', 'open'), s('In progress', 'inProgress'), s('Blocked', 'inProgress'), s('Passed', 'done'), s('Failed', 'done')],
    transitions: {
      'Not run': ['In progress', 'Passed', 'Failed', 'Blocked'],
      'In progress': ['Passed', 'Failed', 'Blocked', 'Not run'],
      Blocked: ['In progress', 'Not run'],
      Passed: ['In progress'],
      Failed: ['In progress'],
    },
    initial: 'Not run',
  },
};

export type WorkflowProblem = { code: string; message: string };

const norm = (name: string) => name.trim().toLowerCase();

/** The workflow's own spelling of a status typed in any case ("in PROGRESS" → "In progress"). */
export function canonicalStatus(wf: Workflow, name: string): string | undefined {
  return wf.statuses.find((st) => norm(st.name) === norm(name))?.name;
}

export function categoryOf(wf: Workflow, status: string): StatusCategory | undefined {
  return wf.statuses.find((st) => st.name === status)?.category;
}

/** Where a record in `from` may go next (never to itself). */
export function allowedMoves(wf: Workflow, from: string): string[] {
  return (wf.transitions[from] ?? []).filter((to) => to !== from);
}

/** Checks a workflow a person wrote; the first problem, in words, or undefined when it is sound. */
export function checkWorkflow(wf: Workflow): WorkflowProblem | undefined {
  if (wf.statuses.length === 0) return { code: 'workflow_without_statuses', message: 'A workflow needs at least one status.' };
  const seen = new Set<string>();
  for (const st of wf.statuses) {
    if (st.name.trim() === '' || st.name !== st.name.trim())
      return { code: 'invalid_status_name', message: `Status names cannot be empty or start or end with spaces ("${st.name}").` };
    if (seen.has(norm(st.name))) return { code: 'duplicate_status', message: `"${st.name}" is in the workflow twice (names are compared without case).` };
    seen.add(norm(st.name));
  }
  const names = new Set(wf.statuses.map((st) => st.name));
  if (!names.has(wf.initial)) return { code: 'unknown_initial_status', message: `The initial status "${wf.initial}" is not one of the workflow's statuses.` };
  for (const [from, tos] of Object.entries(wf.transitions)) {
    if (!names.has(from)) return { code: 'unknown_transition_status', message: `A transition starts at "${from}", which is not a status of this workflow.` };
    for (const to of tos)
      if (!names.has(to))
        return { code: 'unknown_transition_status', message: `A transition from "${from}" goes to "${to}", which is not a status of this workflow.` };
  }
  return undefined;
}

/** A guess at what a free-text status means, for statuses older than workflows. */
export function guessCategory(name: string): StatusCategory {
  const n = norm(name);
  if (/(done|closed|resolved|fixed|verified|rejected|passed|failed|approved|complete|obsolete|won'?t|duplicate|cancel)/.test(n)) return 'done';
  if (/(progress|review|testing|doing|active|started|assigned|blocked|implement|ready)/.test(n)) return 'inProgress';
  return 'open';
}
