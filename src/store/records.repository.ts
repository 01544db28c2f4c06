import { sql } from 'kysely';
import type { Executor } from './db.js';
import type { RecordEventRow, RecordRow, RecordsTable } from './schema.js';

/** Allocates the next per-project, per-type record number atomically (one upsert, both databases). */
export async function nextRecordNumber(db: Executor, projectId: string, type: string): Promise<number> {
  const row = await db
    .insertInto('record_counters')
    .values({ project_id: projectId, type, next_number: 1 })
    .onConflict((oc) => oc.columns(['project_id', 'type']).doUpdateSet({ next_number: sql<number>`record_counters.next_number + 1` }))
    .returning('next_number')
    .executeTakeFirstOrThrow();
  return Number(row.next_number);
}

export async function insertRecord(db: Executor, row: RecordsTable): Promise<void> {
  await db.insertInto('records').values(row).execute();
}

export async function updateRecord(db: Executor, id: string, update: Partial<RecordsTable>): Promise<void> {
  await db.updateTable('records').set(update).where('id', '=', id).execute();
}

/** Applies a change only if the record is still at `version`; bumps the version. False: someone was first. */
export async function updateRecordAtVersion(db: Executor, id: string, version: number, update: Partial<RecordsTable>): Promise<boolean> {
  const res = await db
    .updateTable('records')
    .set({ ...update, version: version + 1 })
    .where('id', '=', id)
    .where('version', '=', version)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/** A record with the usernames of its assignee and creator. */
export type RecordWithNames = RecordRow & { assignee_username: string | null; creator_username: string };

function recordsWithNames(db: Executor) {
  return db
    .selectFrom('records')
    .leftJoin('users as assignee', 'assignee.id', 'records.assignee_id')
    .innerJoin('users as creator', 'creator.id', 'records.creator_id')
    .selectAll('records')
    .select(['assignee.username as assignee_username', 'creator.username as creator_username']);
}

export async function findRecord(db: Executor, projectId: string, id: string): Promise<RecordWithNames | undefined> {
  return recordsWithNames(db).where('records.project_id', '=', projectId).where('records.id', '=', id).executeTakeFirst();
}

export async function findRecordById(db: Executor, id: string): Promise<RecordWithNames | undefined> {
  return recordsWithNames(db).where('records.id', '=', id).executeTakeFirst();
}

export async function findRecordByNumber(db: Executor, projectId: string, type: string, number: number): Promise<RecordWithNames | undefined> {
  return recordsWithNames(db)
    .where('records.project_id', '=', projectId)
    .where('records.type', '=', type)
    .where('records.number', '=', number)
    .executeTakeFirst();
}

export interface RecordFilter {
  types: string[];
  status?: string;
  /** Per type, the statuses that count (a status category filter). */
  statusesByType?: Record<string, string[]>;
  assigneeId?: string | null;
  priority?: string;
  severity?: string;
  /** Custom field filters: a record matches when one of its values of one of these fields equals `value` (any case). */
  fieldFilters?: { fieldIds: string[]; value: string }[];
  search?: string;
  /** Records named by id in the search box (type and number), found besides the text matches. */
  ids?: { type: string | null; number: number }[];
  sort: 'number' | 'title' | 'status' | 'createdAt' | 'updatedAt' | 'priority' | 'severity';
  /** Sort by a custom field instead (its first value; numbers by value). */
  sortField?: { fieldIds: string[]; numeric: boolean };
  order: 'asc' | 'desc';
  limit: number;
  offset: number;
}

const RANK = {
  priority: ['urgent', 'high', 'normal', 'low'],
  severity: ['critical', 'major', 'minor', 'trivial'],
} as const;

/** Most urgent first when ascending; records without a value last either way round. */
function rankOf(column: 'priority' | 'severity') {
  const cases = RANK[column].map((v, i) => sql`when ${sql.lit(v)} then ${sql.lit(i + 1)}`);
  return sql<number>`case records.${sql.raw(column)} ${sql.join(cases, sql` `)} else null end`;
}

const sortColumn = {
  number: 'records.number',
  title: 'records.title',
  status: 'records.status',
  createdAt: 'records.created_at',
  updatedAt: 'records.updated_at',
} as const;

export async function listRecords(db: Executor, projectId: string, f: RecordFilter): Promise<RecordWithNames[]> {
  if (f.types.length === 0) return [];
  let q = recordsWithNames(db).where('records.project_id', '=', projectId).where('records.type', 'in', f.types);
  if (f.status !== undefined) q = q.where('records.status', '=', f.status);
  if (f.assigneeId === null) q = q.where('records.assignee_id', 'is', null);
  else if (f.assigneeId !== undefined) q = q.where('records.assignee_id', '=', f.assigneeId);
  if (f.priority !== undefined) q = q.where('records.priority', '=', f.priority);
  if (f.severity !== undefined) q = q.where('records.severity', '=', f.severity);
  if (f.statusesByType) {
    const byType = f.statusesByType;
    q = q.where((eb) =>
      eb.or(
        Object.entries(byType).map(([type, statuses]) =>
          statuses.length ? eb.and([eb('records.type', '=', type), eb('records.status', 'in', statuses)]) : eb.lit(false),
        ),
      ),
    );
  }
  for (const ff of f.fieldFilters ?? []) {
    q = q.where(({ exists, selectFrom }) =>
      exists(
        selectFrom('record_field_values as v')
          .select('v.record_id')
          .whereRef('v.record_id', '=', 'records.id')
          .where('v.field_id', 'in', ff.fieldIds.length ? ff.fieldIds : ['-'])
          .where(sql`lower(v.value_text)`, '=', ff.value.toLowerCase()),
      ),
    );
  }
  if (f.search || f.ids?.length) {
    // Case-insensitive on both databases: lower() both sides; escape LIKE wildcards.
    const pattern = f.search ? `%${f.search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%` : undefined;
    q = q.where((eb) =>
      eb.or([
        ...(pattern
          ? [eb(sql`lower(records.title)`, 'like', sql`${pattern} escape '\\'`), eb(sql`lower(records.description)`, 'like', sql`${pattern} escape '\\'`)]
          : []),
        ...(f.ids ?? []).map((id) =>
          id.type ? eb.and([eb('records.type', '=', id.type), eb('records.number', '=', id.number)]) : eb('records.number', '=', id.number),
        ),
      ]),
    );
  }
  if (f.sortField) {
    const sf = f.sortField;
    const col = sf.numeric ? 'v.value_number' : 'v.value_text';
    const sub = sql`(select min(${sql.ref(col)}) from record_field_values v where v.record_id = records.id and v.field_id in (${sql.join(sf.fieldIds.length ? sf.fieldIds : ['-'])}))`;
    q = q.orderBy(sql`case when ${sub} is null then 1 else 0 end`).orderBy(sub, f.order);
  } else if (f.sort === 'priority' || f.sort === 'severity') {
    q = q.orderBy(sql`case when records.${sql.raw(f.sort)} is null then 1 else 0 end`).orderBy(rankOf(f.sort), f.order);
  } else q = q.orderBy(sortColumn[f.sort], f.order);
  return q.orderBy('records.id', f.order).limit(f.limit).offset(f.offset).execute();
}

export async function insertRecordEvent(db: Executor, row: RecordEventRow): Promise<void> {
  await db.insertInto('record_events').values(row).execute();
}

export type RecordEventWithActor = RecordEventRow & { actor_username: string | null };

export async function listRecordEvents(db: Executor, recordId: string): Promise<RecordEventWithActor[]> {
  return db
    .selectFrom('record_events')
    .leftJoin('users', 'users.id', 'record_events.actor_id')
    .selectAll('record_events')
    .select('users.username as actor_username')
    .where('record_events.record_id', '=', recordId)
    .orderBy('record_events.at')
    .orderBy('record_events.id')
    .execute();
}

/** Who deleted each deleted email of a record (email id → username). */
export async function emailDeleters(db: Executor, recordId: string): Promise<Map<string, string | null>> {
  const rows = await db
    .selectFrom('record_events')
    .leftJoin('users', 'users.id', 'record_events.actor_id')
    .select(['record_events.changes', 'users.username'])
    .where('record_events.record_id', '=', recordId)
    .where('record_events.kind', '=', 'email.deleted')
    .execute();
  return new Map(rows.map((r) => [(JSON.parse(r.changes) as { emailId: string }).emailId, r.username]));
}
