import type { Workflow } from '../domain/workflow.js';
import { allowedMoves, canonicalStatus } from '../domain/workflow.js';

/**
 * Results of a test run, as Helix ALM testers record them: each step passed, failed, blocked
 * or not run yet, and an overall result that follows from the steps unless someone sets it.
 * Pure rules; storage and HTTP live elsewhere.
 */
export const STEP_RESULTS = ['notRun', 'passed', 'failed', 'blocked'] as const;
export type StepResult = (typeof STEP_RESULTS)[number];

export const OVERALL_RESULTS = ['notRun', 'inProgress', 'passed', 'failed', 'blocked'] as const;
export type OverallResult = (typeof OVERALL_RESULTS)[number];

/** Words people read (history, messages), and the test run status of the same name. */
export const RESULT_WORDS: Record<OverallResult, string> = {
  notRun: 'Not run',
  inProgress: 'In progress',
  passed: 'Passed',
  failed: 'Failed',
  blocked: 'Blocked',
};

export function isStepResult(v: string): v is StepResult {
  return (STEP_RESULTS as readonly string[]).includes(v);
}

export function isOverallResult(v: string): v is OverallResult {
  return (OVERALL_RESULTS as readonly string[]).includes(v);
}

/**
 * The overall result of a run from its steps: one failed step fails the run, else one blocked
 * step blocks it; it passes when every step passed; some steps done and none bad is in progress.
 */
export function overallOf(results: readonly StepResult[]): OverallResult {
  if (results.includes('failed')) return 'failed';
  if (results.includes('blocked')) return 'blocked';
  if (results.length > 0 && results.every((r) => r === 'passed')) return 'passed';
  if (results.includes('passed')) return 'inProgress';
  return 'notRun';
}

export function countResults(results: readonly StepResult[]): Record<StepResult, number> & { total: number } {
  const counts = { notRun: 0, passed: 0, failed: 0, blocked: 0, total: results.length };
  for (const r of results) counts[r]++;
  return counts;
}

/**
 * The moves that take a test run from `from` to the status named like `result` in its
 * workflow, shortest first (Passed → In progress → Failed where Passed → Failed is not
 * allowed); empty when already there, when the workflow has no such status, or no path leads there.
 */
export function statusPathFor(wf: Workflow, from: string, result: OverallResult): string[] {
  const target = canonicalStatus(wf, RESULT_WORDS[result]);
  const start = canonicalStatus(wf, from);
  if (!target || !start || target === start) return [];
  const previous = new Map<string, string>([[start, '']]);
  const queue = [start];
  while (queue.length > 0) {
    const at = queue.shift()!;
    for (const next of allowedMoves(wf, at)) {
      if (previous.has(next)) continue;
      previous.set(next, at);
      if (next === target) {
        const path = [target];
        for (let p = at; p !== start; p = previous.get(p)!) path.unshift(p);
        return path;
      }
      queue.push(next);
    }
  }
  return [];
}
