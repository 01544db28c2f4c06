import { nowIso } from '../clock.js';
import { requireOnRecordType, canOnRecordType } from '../domain/access.js';
import { RECORD_TYPES, isRecordType, parseRecordId, recordTag, type RecordType } from '../domain/commands.js';
import { AppError, badRequest, notFound } from '../errors.js';
import { newId } from '../ids.js';
import type { Db, Executor, Tx } from '../store/db.js';
import * as projects from '../store/projects.repository.js';
import * as history from '../store/history.repository.js';
import * as records from '../store/records.repository.js';
import type { RecordEventRow, RecordRow } from '../store/schema.js';
import { findUserByUsername } from '../store/users.repository.js';
import { PRIORITIES, SEVERITIES, type FieldValue } from '../domain/fields.js';
import { applyFieldValues, listFields, valuesOf, workflowFor } from '../tracker/index.js';
import { allowedMoves, canonicalStatus, categoryOf, type StatusCategory, type Workflow } from '../domain/workflow.js';
import type { ProjectContext } from '../projects/index.js';
import type { RecordEventHandler } from '../core/context.js';
import type { FieldChange, PublicRecord, RecordEvent } from '../domain/record.js';

export const DEFAULT_STATUS = 'Open';

export type { FieldChange, PublicRecord, RecordEvent } from '../domain/record.js';

export function toPublicRecord(
  projectKey: string,
  row: records.RecordWithNames,
  extra: { workflow?: Workflow; fields?: Record<string, FieldValue> } = {},
): PublicRecord {
  const type = row.type as RecordType;
  return {
    id: row.id,
    number: row.number,
    tag: recordTag(projectKey, type, row.number),
    type,
    title: row.title,
    description: row.description,
    // The workflow's spelling: a record read just before its free-text status was adopted.
    status: (extra.workflow && canonicalStatus(extra.workflow, row.status)) ?? row.status,
    assignee: row.assignee_username,
    creator: row.creator_username,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: Number(row.version),
    statusCategory: (extra.workflow && categoryOf(extra.workflow, row.status)) ?? 'open',
    priority: row.priority,
    severity: row.severity,
    fields: extra.fields ?? {},
  };
}

/** Records as the API shows them: with their status category and custom field values. */
export async function toPublicRecords(db: Executor, project: { id: string; key: string }, rows: records.RecordWithNames[]): Promise<PublicRecord[]> {
  const workflows = new Map<string, Workflow>();
  for (const t of new Set(rows.map((r) => r.type))) workflows.set(t, await workflowFor(db, project.id, t as RecordType));
  const values = await valuesOf(db, project.id, rows.map((r) => r.id));
  return rows.map((r) => toPublicRecord(project.key, r, { workflow: workflows.get(r.type)!, fields: values.get(r.id) ?? {} }));
}

async function publicRecord(db: Executor, project: { id: string; key: string }, row: records.RecordWithNames): Promise<PublicRecord> {
  return (await toPublicRecords(db, project, [row]))[0]!;
}

function checkChoice(field: 'priority' | 'severity', value: string | null | undefined): string | null | undefined {
  if (value === undefined || value === null) return value;
  const allowed: readonly string[] = field === 'priority' ? PRIORITIES : SEVERITIES;
  const v = value.trim().toLowerCase();
  if (v === '') return null;
  if (!allowed.includes(v)) throw badRequest(`invalid_${field}`, `${field === 'priority' ? 'Priority' : 'Severity'} must be one of ${allowed.join(', ')} (or null).`);
  return v;
}

/** A status as the workflow spells it, or a 400 that lists the statuses there are. */
function statusIn(wf: Workflow, type: RecordType, status: string): string {
  const name = canonicalStatus(wf, status);
  if (!name) throw badRequest('unknown_status', `"${status.trim()}" is not a status of ${type} in this project; use one of ${wf.statuses.map((s) => s.name).join(', ')}.`);
  return name;
}

function checkType(type: string): RecordType {
  if (!isRecordType(type)) throw badRequest('invalid_record_type', `Record type must be one of ${RECORD_TYPES.join(', ')}.`);
  return type;
}

/** Assignees must be members of the project (or the admin), so mail about a record never goes to an outsider. */
async function resolveAssignee(db: Db | Tx, projectId: string, username: string | null | undefined): Promise<string | null> {
  if (username === null || username === undefined || username === '') return null;
  const user = await findUserByUsername(db, username);
  if (!user || user.disabled === 1) throw badRequest('unknown_assignee', `There is no active user "${username}".`);
  if (user.is_admin !== 1 && !(await projects.memberCommands(db, projectId, user.id))) {
    throw badRequest('assignee_not_member', `"${username}" is not a member of this project.`);
  }
  return user.id;
}

async function fireEvent(tx: Tx, event: RecordEvent, handlers: readonly RecordEventHandler[]): Promise<void> {
  const row: RecordEventRow = {
    id: event.id,
    record_id: event.record.id,
    project_id: event.projectId,
    actor_id: event.actorId,
    kind: event.kind,
    changes: JSON.stringify(event.changes),
    at: event.at,
    version: event.record.version,
    email_id: event.emailId ?? null,
  };
  await records.insertRecordEvent(tx, row);
  for (const handle of handlers) await handle(tx, event);
}

/**
 * A history entry for something done on a record that is not a field change (a link, a
 * comment, a file): the record's version does not move, so edits in progress stay valid.
 */
export async function noteOnRecord(
  db: Executor,
  note: { projectId: string; recordId: string; actorId: string | null; kind: RecordEventRow['kind']; changes: FieldChange[] },
): Promise<void> {
  await records.insertRecordEvent(db, {
    id: newId(),
    record_id: note.recordId,
    project_id: note.projectId,
    actor_id: note.actorId,
    kind: note.kind,
    changes: JSON.stringify(note.changes),
    at: nowIso(),
    version: null,
    email_id: null,
  });
}

export interface CreateRecordInput {
  type: string;
  title: string;
  description?: string;
  status?: string;
  assignee?: string | null;
  priority?: string | null;
  severity?: string | null;
  fields?: Record<string, unknown>;
}
export type NewRecordInput = CreateRecordInput;

export async function createRecord(db: Db, ctx: ProjectContext, input: NewRecordInput, handlers: readonly RecordEventHandler[] = []): Promise<PublicRecord> {
  requireOnRecordType(ctx.access, checkType(input.type), 'add');
  return db.transaction().execute((tx) => createRecordIn(tx, ctx, input, handlers));
}

/** createRecord inside the caller's transaction (a record created from an email commits with its filing). */
export async function createRecordIn(
  tx: Tx,
  ctx: ProjectContext,
  input: NewRecordInput,
  handlers: readonly RecordEventHandler[] = [],
  cause: { emailId?: string } = {},
): Promise<PublicRecord> {
  const type = checkType(input.type);
  requireOnRecordType(ctx.access, type, 'add');
  {
    const assigneeId = await resolveAssignee(tx, ctx.project.id, input.assignee);
    const wf = await workflowFor(tx, ctx.project.id, type);
    const status = input.status?.trim() ? statusIn(wf, type, input.status) : wf.initial;
    const priority = checkChoice('priority', input.priority) ?? null;
    const severity = checkChoice('severity', input.severity) ?? null;
    const at = nowIso();
    const row: RecordRow = {
      id: newId(),
      project_id: ctx.project.id,
      type,
      number: await records.nextRecordNumber(tx, ctx.project.id, type),
      title: input.title.trim(),
      description: input.description ?? '',
      status,
      assignee_id: assigneeId,
      creator_id: ctx.access.userId,
      created_at: at,
      updated_at: at,
      version: 1,
      priority,
      severity,
    };
    if (row.title === '') throw badRequest('empty_title', 'A record needs a title.');
    await records.insertRecord(tx, row);
    const fieldChanges = await applyFieldValues(tx, ctx.project.id, type, row.id, {}, input.fields ?? {}, { creating: true });
    const stored = await records.findRecord(tx, ctx.project.id, row.id);
    const record = await publicRecord(tx, ctx.project, stored!);
    const changes: FieldChange[] = [
      { field: 'title', old: null, new: record.title },
      { field: 'status', old: null, new: record.status },
      ...(record.assignee ? [{ field: 'assignee' as const, old: null, new: record.assignee }] : []),
      ...(priority ? [{ field: 'priority', old: null, new: priority }] : []),
      ...(severity ? [{ field: 'severity', old: null, new: severity }] : []),
      ...fieldChanges,
    ];
    await fireEvent(tx, { id: newId(), kind: 'created', at, actorId: ctx.access.userId, projectId: ctx.project.id, record, changes, emailId: cause.emailId ?? null }, handlers);
    return record;
  }
}

/** Loads a record the caller may view; otherwise 404 (no existence leak) or 403 for a visible project. */
export async function getRecord(db: Db | Tx, ctx: ProjectContext, id: string): Promise<PublicRecord> {
  const row = await records.findRecord(db, ctx.project.id, id);
  if (!row) throw notFound('record_not_found', 'There is no such record in this project.');
  requireOnRecordType(ctx.access, row.type as RecordType, 'view');
  return publicRecord(db, ctx.project, row);
}

/**
 * A record by its id or by its readable tag (`DEMO-D4`, `D4`: a type letter is needed, `#4` is
 * ambiguous across types), for addresses people read and share (/projects/DEMO/records/DEMO-D4).
 */
export async function getRecordByRef(db: Db | Tx, ctx: ProjectContext, ref: string): Promise<PublicRecord> {
  if (await records.findRecord(db, ctx.project.id, ref)) return getRecord(db, ctx, ref);
  const id = parseRecordId(ref, ctx.project.key);
  const row = id?.type ? await records.findRecordByNumber(db, ctx.project.id, id.type, id.number) : undefined;
  return getRecord(db, ctx, row?.id ?? ref);
}

export interface UpdateRecordInput {
  title?: string;
  description?: string;
  status?: string;
  assignee?: string | null;
  priority?: string | null;
  severity?: string | null;
  /** Custom field values by key; null clears one; keys left out stay as they are. */
  fields?: Record<string, unknown>;
  /** The version the editor started from; a newer stored version refuses the edit (409). */
  version?: number;
}

/** Thrown inside the edit's transaction so it rolls back when another edit got in first. */
class LostRace extends Error {
  constructor(readonly version: number) {
    super('lost the race for the record version');
  }
}

/** One field's change since a given version, for the person whose edit was refused. */
export interface ConcurrentChange extends FieldChange {
  by: string[];
}

/** The 409 of a stale edit: what the record is now and what others changed since `version`. */
async function editConflict(db: Db | Tx, ctx: ProjectContext, id: string, version: number): Promise<AppError> {
  const current = await getRecord(db, ctx, id);
  const since = (await records.listRecordEvents(db, id)).filter((e) => e.version !== null && Number(e.version) > version);
  const byField = new Map<string, ConcurrentChange>();
  for (const e of since) {
    for (const c of JSON.parse(e.changes) as FieldChange[]) {
      const seen = byField.get(c.field);
      const who = e.actor_username ?? 'Mailtrail';
      if (seen) {
        seen.new = c.new;
        if (!seen.by.includes(who)) seen.by.push(who);
      } else byField.set(c.field, { field: c.field, old: c.old, new: c.new, by: [who] });
    }
  }
  const changes = [...byField.values()];
  const people = [...new Set(changes.flatMap((c) => c.by))];
  return new AppError(
    'conflict',
    'edit_conflict',
    `${current.tag} was changed by ${people.join(', ') || 'someone else'} after you opened it (version ${version}, now ${current.version}); nothing was saved. Merge their change into yours and save again.`,
    { yourVersion: version, current, changes },
  );
}

export async function updateRecord(
  db: Db,
  ctx: ProjectContext,
  id: string,
  input: UpdateRecordInput,
  handlers: readonly RecordEventHandler[] = [],
): Promise<PublicRecord> {
  const conflictAt = await db
    .transaction()
    .execute((tx) => updateInTx(tx, ctx, id, input, handlers, {}))
    .catch((err: unknown) => {
      // A lost race rolls back what was written (custom field values) before it was noticed.
      if (err instanceof LostRace) return err.version;
      throw err;
    });
  if (typeof conflictAt === 'number') throw await editConflict(db, ctx, id, conflictAt);
  return conflictAt.record;
}

/**
 * updateRecord inside the caller's transaction, with the same permission checks (commands by
 * email, reopen on reply). `cause.actorId` null records a change nobody made by hand;
 * `cause.emailId` names the email that caused it.
 */
export async function updateRecordIn(
  tx: Tx,
  ctx: ProjectContext,
  id: string,
  input: UpdateRecordInput,
  handlers: readonly RecordEventHandler[] = [],
  cause: { emailId?: string; actorId?: string | null } = {},
): Promise<PublicRecord> {
  const result = await updateInTx(tx, ctx, id, input, handlers, cause).catch((err: unknown) => {
    if (err instanceof LostRace) return err.version;
    throw err;
  });
  if (typeof result === 'number') throw await editConflict(tx, ctx, id, result);
  return result.record;
}

async function updateInTx(
  tx: Tx,
  ctx: ProjectContext,
  id: string,
  input: UpdateRecordInput,
  handlers: readonly RecordEventHandler[],
  cause: { emailId?: string; actorId?: string | null },
): Promise<number | { record: PublicRecord }> {
  {
    const before = await getRecord(tx, ctx, id);
    requireOnRecordType(ctx.access, before.type, 'edit');
    if (input.version !== undefined && input.version !== before.version) return input.version;
    const update: Partial<RecordRow> = {};
    const changes: FieldChange[] = [];
    if (input.title !== undefined && input.title.trim() !== before.title) {
      if (input.title.trim() === '') throw badRequest('empty_title', 'A record needs a title.');
      update.title = input.title.trim();
      changes.push({ field: 'title', old: before.title, new: update.title });
    }
    if (input.description !== undefined && input.description !== before.description) {
      update.description = input.description;
      changes.push({ field: 'description', old: before.description, new: input.description });
    }
    if (input.status !== undefined) {
      if (input.status.trim() === '') throw badRequest('empty_status', 'Status cannot be empty.');
      const wf = await workflowFor(tx, ctx.project.id, before.type);
      const next = statusIn(wf, before.type, input.status);
      if (next !== before.status) {
        const moves = allowedMoves(wf, before.status);
        // A record whose status left the workflow may go anywhere in it, or it would be stuck.
        if (canonicalStatus(wf, before.status) && !moves.includes(next)) {
          throw new AppError(
            'conflict',
            'transition_not_allowed',
            `A ${before.type} in "${before.status}" cannot move to "${next}"; ${moves.length ? `it can move to ${moves.join(', ')}` : 'no move is allowed from there'}.`,
            { from: before.status, to: next, allowed: moves },
          );
        }
        update.status = next;
        changes.push({ field: 'status', old: before.status, new: next });
      }
    }
    for (const f of ['priority', 'severity'] as const) {
      const v = checkChoice(f, input[f]);
      if (v !== undefined && v !== before[f]) {
        update[f] = v;
        changes.push({ field: f, old: before[f], new: v });
      }
    }
    if (input.fields && Object.keys(input.fields).length > 0) {
      changes.push(...(await applyFieldValues(tx, ctx.project.id, before.type, id, before.fields, input.fields, { creating: false })));
    }
    if (input.assignee !== undefined && (input.assignee || null) !== before.assignee) {
      update.assignee_id = await resolveAssignee(tx, ctx.project.id, input.assignee);
      changes.push({ field: 'assignee', old: before.assignee, new: input.assignee || null });
    }
    if (changes.length === 0) return { record: before };
    const at = nowIso();
    update.updated_at = at;
    // Conditional on the version read above: of two concurrent edits from the same version, the
    // database lets exactly one through, on both SQLite and PostgreSQL.
    if (!(await records.updateRecordAtVersion(tx, id, before.version, update))) {
      // The field values written above roll back with the transaction.
      throw new LostRace(before.version);
    }
    const record = await publicRecord(tx, ctx.project, (await records.findRecord(tx, ctx.project.id, id))!);
    const actorId = cause.actorId === undefined ? ctx.access.userId : cause.actorId;
    await fireEvent(tx, { id: newId(), kind: 'updated', at, actorId, projectId: ctx.project.id, record, changes, emailId: cause.emailId ?? null }, handlers);
    return { record };
  }
}

export interface ListRecordsInput {
  type?: string;
  status?: string;
  assignee?: string;
  q?: string;
  category?: StatusCategory | 'notDone';
  priority?: string;
  severity?: string;
  /** key:value filters on custom fields. */
  field?: string | string[];
  sort?: string;
  order?: 'asc' | 'desc';
  limit?: number;
  offset?: number;
}

export async function listRecords(db: Db, ctx: ProjectContext, input: ListRecordsInput): Promise<PublicRecord[]> {
  let types: RecordType[];
  if (input.type !== undefined) {
    const type = checkType(input.type);
    requireOnRecordType(ctx.access, type, 'view');
    types = [type];
  } else {
    types = RECORD_TYPES.filter((t) => canOnRecordType(ctx.access, t, 'view'));
  }
  let assigneeId: string | null | undefined;
  if (input.assignee === 'none') assigneeId = null;
  else if (input.assignee !== undefined) {
    const user = await findUserByUsername(db, input.assignee);
    if (!user) return [];
    assigneeId = user.id;
  }
  // Reading the workflows first adopts old free-text statuses, so status filters see them folded.
  const workflows = new Map<RecordType, Workflow>();
  for (const t of types) workflows.set(t, await workflowFor(db, ctx.project.id, t));
  let statusesByType: Record<string, string[]> | undefined;
  if (input.category) {
    const wanted: StatusCategory[] = input.category === 'notDone' ? ['open', 'inProgress'] : [input.category];
    statusesByType = {};
    for (const t of types) statusesByType[t] = workflows.get(t)!.statuses.filter((s) => wanted.includes(s.category)).map((s) => s.name);
  }
  const defs = (await listFields(db, ctx.project.id)).filter((f) => (types as string[]).includes(f.recordType));
  const fieldFilters = [input.field ?? []].flat().map((spec) => {
    const at = spec.indexOf(':');
    if (at < 1) throw badRequest('invalid_field_filter', `A field filter is key:value ("${spec}").`);
    const key = spec.slice(0, at);
    const matching = defs.filter((d) => d.key === key);
    if (matching.length === 0) throw badRequest('unknown_field', `No record type listed here has a field "${key}".`);
    let value = spec.slice(at + 1);
    if (matching[0]!.kind === 'number' && Number.isFinite(Number(value))) value = String(Number(value));
    return { fieldIds: matching.map((d) => d.id), value };
  });
  let sortField: records.RecordFilter['sortField'];
  let sort: records.RecordFilter['sort'] = 'number';
  if (input.sort?.startsWith('field:')) {
    const matching = defs.filter((d) => d.key === input.sort!.slice(6));
    if (matching.length === 0) throw badRequest('unknown_field', `No record type listed here has a field "${input.sort.slice(6)}".`);
    sortField = { fieldIds: matching.map((d) => d.id), numeric: matching[0]!.kind === 'number' };
  } else if (input.sort) sort = input.sort as records.RecordFilter['sort'];
  const id = input.q ? parseRecordId(input.q, ctx.project.key) : undefined;
  const rows = await records.listRecords(db, ctx.project.id, {
    types,
    ...(input.status !== undefined ? { status: input.status } : {}),
    ...(assigneeId !== undefined ? { assigneeId } : {}),
    ...(input.priority !== undefined ? { priority: input.priority } : {}),
    ...(input.severity !== undefined ? { severity: input.severity } : {}),
    ...(statusesByType ? { statusesByType } : {}),
    ...(fieldFilters.length ? { fieldFilters } : {}),
    ...(input.q ? { search: input.q } : {}),
    ...(id ? { ids: [id] } : {}),
    sort,
    ...(sortField ? { sortField } : {}),
    order: input.order ?? 'desc',
    limit: Math.min(input.limit ?? 100, 500),
    offset: input.offset ?? 0,
  });
  return toPublicRecords(db, ctx.project, rows);
}

export interface PublicRecordEvent {
  id: string;
  kind: string;
  at: string;
  actor: string | null;
  changes: FieldChange[];
  /** The record version this change produced (changes only). */
  version?: number;
  /** For email events: which email, and who it was from or to. */
  email?: { id: string; subject: string; from: string; to: string[]; forwardedTo?: string; error?: string };
  /** The email that caused a change (reopened by a reply, a command by email). */
  emailId?: string | null;
}

/**
 * Everything that happened to a record, oldest first: field changes (with the full old and new
 * text, so a description edit can be shown as a diff) and its email's life — sent, failed,
 * received, forwarded, deleted — read from the emails and the outbox themselves, so the history
 * can never disagree with the thread.
 */
export async function recordHistory(db: Db, ctx: ProjectContext, id: string): Promise<PublicRecordEvent[]> {
  await getRecord(db, ctx, id);
  const rows = await records.listRecordEvents(db, id);
  const events: PublicRecordEvent[] = [];
  const emailEvents = await history.emailEvents(db, id);
  const subjects = new Map(emailEvents.map((e) => [e.email.id, e.email]));
  for (const r of rows) {
    if (r.kind === 'email.deleted') {
      const ref = JSON.parse(r.changes) as { emailId: string; subject: string };
      const known = subjects.get(ref.emailId);
      events.push({ id: r.id, kind: r.kind, at: r.at, actor: r.actor_username, changes: [], email: known ?? { id: ref.emailId, subject: ref.subject, from: '', to: [] } });
      continue;
    }
    events.push({
      id: r.id,
      kind: r.kind,
      at: r.at,
      actor: r.actor_username,
      changes: JSON.parse(r.changes) as FieldChange[],
      ...(r.version !== null && r.version !== undefined ? { version: Number(r.version) } : {}),
      emailId: r.email_id ?? null,
    });
  }
  events.push(...emailEvents);
  return events.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.id < b.id ? -1 : 1));
}
