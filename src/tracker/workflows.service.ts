import { nowIso } from '../clock.js';
import { RECORD_TYPES, isRecordType, type RecordType } from '../domain/commands.js';
import { requireCommand } from '../domain/access.js';
import { AppError, badRequest } from '../errors.js';
import type { ProjectContext } from '../projects/index.js';
import type { Db, Executor } from '../store/db.js';
import * as repo from '../store/tracker.repository.js';
import { DEFAULT_WORKFLOWS, canonicalStatus, checkWorkflow, guessCategory, type Workflow } from '../domain/workflow.js';

export function requireType(type: string): RecordType {
  if (!isRecordType(type)) throw badRequest('invalid_record_type', `Record type must be one of ${RECORD_TYPES.join(', ')}.`);
  return type;
}

/**
 * The default workflow plus every status the type's records already use (free text from before
 * workflows): spellings that differ only in case become one status, in the default's spelling
 * or, for a status of their own, the spelling most records use.
 */
export function adoptStatuses(base: Workflow, used: { status: string; count: number }[]): { workflow: Workflow; renames: [string, string][] } {
  const wf: Workflow = { statuses: [...base.statuses], transitions: { ...base.transitions }, initial: base.initial };
  const renames: [string, string][] = [];
  const groups = new Map<string, { status: string; count: number }[]>();
  for (const u of used) {
    const k = u.status.trim().toLowerCase();
    if (k === '') continue;
    groups.set(k, [...(groups.get(k) ?? []), u]);
  }
  const extras: string[] = [];
  for (const variants of groups.values()) {
    const name = canonicalStatus(wf, variants[0]!.status) ?? [...variants].sort((a, b) => b.count - a.count || (a.status < b.status ? -1 : 1))[0]!.status.trim();
    if (!wf.statuses.some((s) => s.name === name)) {
      wf.statuses.push({ name, category: guessCategory(name) });
      extras.push(name);
    }
    for (const v of variants) if (v.status !== name) renames.push([v.status, name]);
  }
  // A status of its own had no rules before: it may go anywhere, and anything may come back to it.
  const names = wf.statuses.map((s) => s.name);
  for (const x of extras) {
    wf.transitions[x] = names.filter((n) => n !== x);
    for (const n of names) if (n !== x && !extras.includes(n)) wf.transitions[n] = [...(wf.transitions[n] ?? []), x];
  }
  return { workflow: wf, renames };
}

/** A project's workflow for a type; the first read adopts the statuses its records already use. */
export async function workflowFor(db: Executor, projectId: string, type: RecordType): Promise<Workflow> {
  const stored = await repo.findWorkflow(db, projectId, type);
  if (stored) return JSON.parse(stored) as Workflow;
  const { workflow, renames } = adoptStatuses(DEFAULT_WORKFLOWS[type], await repo.statusCounts(db, projectId, type));
  for (const [from, to] of renames) await repo.renameStatus(db, projectId, type, from, to);
  await repo.insertWorkflowIfMissing(db, projectId, type, JSON.stringify(workflow), nowIso());
  const now = await repo.findWorkflow(db, projectId, type);
  return JSON.parse(now!) as Workflow;
}

export async function allWorkflows(db: Executor, projectId: string): Promise<{ type: RecordType; workflow: Workflow }[]> {
  const out: { type: RecordType; workflow: Workflow }[] = [];
  for (const type of RECORD_TYPES) out.push({ type, workflow: await workflowFor(db, projectId, type) });
  return out;
}

/**
 * Replaces a type's workflow. `renames` ({old: new}) moves records along with a renamed
 * status; removing a status that records still use is refused, with their number.
 */
export async function putWorkflow(db: Db, ctx: ProjectContext, type: RecordType, wf: Workflow, renames: Record<string, string> = {}): Promise<Workflow> {
  requireCommand(ctx.access, 'project.administer');
  const projectId = ctx.project.id;
  const problem = checkWorkflow(wf);
  if (problem) throw badRequest(problem.code, problem.message);
  const names = new Set(wf.statuses.map((s) => s.name));
  for (const [from, to] of Object.entries(renames)) {
    if (!names.has(to)) throw badRequest('unknown_rename_target', `"${from}" is renamed to "${to}", which is not a status of the new workflow.`);
  }
  return db.transaction().execute(async (tx) => {
    await workflowFor(tx, projectId, type);
    // All renames at once, as people mean them: swapping two names (A → B, B → A) must not fold
    // both statuses into one. Each goes through a name no status can have (statuses never start
    // with a space).
    const moves = Object.entries(renames).filter(([from, to]) => from !== to);
    for (const [i, [from]] of moves.entries()) await repo.renameStatus(tx, projectId, type, from, ` renaming ${i}`);
    for (const [i, [, to]] of moves.entries()) await repo.renameStatus(tx, projectId, type, ` renaming ${i}`, to);
    for (const u of await repo.statusCounts(tx, projectId, type)) {
      if (!names.has(u.status)) {
        throw new AppError('conflict', 'status_in_use', `${u.count} ${u.count === 1 ? 'record is' : 'records are'} in "${u.status}", which the new workflow drops; rename it instead (renames) or move them first.`, { status: u.status, count: u.count });
      }
    }
    const clean: Workflow = {
      statuses: wf.statuses.map((s) => ({ name: s.name, category: s.category })),
      transitions: Object.fromEntries(wf.statuses.map((s) => [s.name, [...new Set(wf.transitions[s.name] ?? [])].filter((t) => t !== s.name)])),
      initial: wf.initial,
    };
    await repo.upsertWorkflow(tx, projectId, type, JSON.stringify(clean), nowIso());
    return clean;
  });
}
