import { nowIso } from '../clock.js';
import { requireOnRecordType, canOnRecordType } from '../domain/access.js';
import { RECORD_TYPES, isRecordType, recordTag, type RecordType } from '../domain/commands.js';
import { AppError, badRequest, notFound } from '../errors.js';
import { newId } from '../ids.js';
import type { Db, Tx } from '../store/db.js';
import * as projects from '../store/projects.repository.js';
import * as history from '../store/history.repository.js';
import * as records from '../store/records.repository.js';
import type { RecordEventRow, RecordRow } from '../store/schema.js';
import { findUserByUsername } from '../store/users.repository.js';
import type { ProjectContext } from './projects.service.js';

export const DEFAULT_STATUS = 'Open';

export interface PublicRecord {
  id: string;
  number: number;
  tag: string;
  type: RecordType;
  title: string;
  description: string;
  status: string;
  assignee: string | null;
  creator: string;
  createdAt: string;
  updatedAt: string;
  /** Goes up with every change; send it back (`If-Match` or `version`) to edit safely. */
  version: number;
}

export interface FieldChange {
  field: string;
  old: string | null;
  new: string | null;
}

/** What happened to a record, as notification rules and history read it. */
export interface RecordEvent {
  id: string;
  kind: 'created' | 'updated';
  at: string;
  actorId: string | null;
  projectId: string;
  record: PublicRecord;
  changes: FieldChange[];
  /** The email that caused the change (reopen on reply, a command by email); history shows it. */
  emailId?: string | null;
}

/** Runs inside the transaction that changed the record, so its own writes commit with the change. */
export type RecordEventHandler = (tx: Tx, event: RecordEvent) => Promise<void>;

export function toPublicRecord(projectKey: string, row: records.RecordWithNames): PublicRecord {
  const type = row.type as RecordType;
  return {
    id: row.id,
    number: row.number,
    tag: recordTag(projectKey, type, row.number),
    type,
    title: row.title,
    description: row.description,
    status: row.status,
    assignee: row.assignee_username,
    creator: row.creator_username,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: Number(row.version),
  };
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

export type NewRecordInput = { type: string; title: string; description?: string; status?: string; assignee?: string | null };

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
    const at = nowIso();
    const row: RecordRow = {
      id: newId(),
      project_id: ctx.project.id,
      type,
      number: await records.nextRecordNumber(tx, ctx.project.id, type),
      title: input.title.trim(),
      description: input.description ?? '',
      status: input.status?.trim() || DEFAULT_STATUS,
      assignee_id: assigneeId,
      creator_id: ctx.access.userId,
      created_at: at,
      updated_at: at,
      version: 1,
    };
    if (row.title === '') throw badRequest('empty_title', 'A record needs a title.');
    await records.insertRecord(tx, row);
    const stored = await records.findRecord(tx, ctx.project.id, row.id);
    const record = toPublicRecord(ctx.project.key, stored!);
    const changes: FieldChange[] = [
      { field: 'title', old: null, new: record.title },
      { field: 'status', old: null, new: record.status },
      ...(record.assignee ? [{ field: 'assignee' as const, old: null, new: record.assignee }] : []),
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
  return toPublicRecord(ctx.project.key, row);
}

export interface UpdateRecordInput {
  title?: string;
  description?: string;
  status?: string;
  assignee?: string | null;
  /** The version the editor started from; a newer stored version refuses the edit (409). */
  version?: number;
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
  const conflictAt = await db.transaction().execute((tx) => updateInTx(tx, ctx, id, input, handlers, {}));
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
  const result = await updateInTx(tx, ctx, id, input, handlers, cause);
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
    if (input.status !== undefined && input.status.trim() !== before.status) {
      if (input.status.trim() === '') throw badRequest('empty_status', 'Status cannot be empty.');
      update.status = input.status.trim();
      changes.push({ field: 'status', old: before.status, new: update.status });
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
    if (!(await records.updateRecordAtVersion(tx, id, before.version, update))) return before.version;
    const record = toPublicRecord(ctx.project.key, (await records.findRecord(tx, ctx.project.id, id))!);
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
  sort?: records.RecordFilter['sort'];
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
  const rows = await records.listRecords(db, ctx.project.id, {
    types,
    ...(input.status !== undefined ? { status: input.status } : {}),
    ...(assigneeId !== undefined ? { assigneeId } : {}),
    ...(input.q ? { search: input.q } : {}),
    sort: input.sort ?? 'number',
    order: input.order ?? 'desc',
    limit: Math.min(input.limit ?? 100, 500),
    offset: input.offset ?? 0,
  });
  return rows.map((r) => toPublicRecord(ctx.project.key, r));
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
