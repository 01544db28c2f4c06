import type { Executor } from './db.js';
import type { CustomFieldsTable, RecordFieldValuesTable } from './schema.js';

export async function findWorkflow(db: Executor, projectId: string, type: string): Promise<string | undefined> {
  const row = await db.selectFrom('workflows').select('definition').where('project_id', '=', projectId).where('record_type', '=', type).executeTakeFirst();
  return row?.definition;
}

/** Stores a workflow only if none is there yet (two processes adopting at once agree on the first). */
export async function insertWorkflowIfMissing(db: Executor, projectId: string, type: string, definition: string, at: string): Promise<void> {
  await db
    .insertInto('workflows')
    .values({ project_id: projectId, record_type: type, definition, updated_at: at })
    .onConflict((oc) => oc.columns(['project_id', 'record_type']).doNothing())
    .execute();
}

export async function upsertWorkflow(db: Executor, projectId: string, type: string, definition: string, at: string): Promise<void> {
  await db
    .insertInto('workflows')
    .values({ project_id: projectId, record_type: type, definition, updated_at: at })
    .onConflict((oc) => oc.columns(['project_id', 'record_type']).doUpdateSet({ definition, updated_at: at }))
    .execute();
}

/** Each status used by a type's records, as spelled, with how many records use it. */
export async function statusCounts(db: Executor, projectId: string, type: string): Promise<{ status: string; count: number }[]> {
  const rows = await db
    .selectFrom('records')
    .select(['status', (eb) => eb.fn.countAll<number>().as('count')])
    .where('project_id', '=', projectId)
    .where('type', '=', type)
    .groupBy('status')
    .execute();
  return rows.map((r) => ({ status: r.status, count: Number(r.count) }));
}

export async function renameStatus(db: Executor, projectId: string, type: string, from: string, to: string): Promise<void> {
  await db.updateTable('records').set({ status: to }).where('project_id', '=', projectId).where('type', '=', type).where('status', '=', from).execute();
}

export async function listFields(db: Executor, projectId: string): Promise<CustomFieldsTable[]> {
  return db.selectFrom('custom_fields').selectAll().where('project_id', '=', projectId).orderBy('record_type').orderBy('position').orderBy('id').execute();
}

export async function insertField(db: Executor, row: CustomFieldsTable): Promise<void> {
  await db.insertInto('custom_fields').values(row).execute();
}

export async function updateField(db: Executor, id: string, update: Partial<CustomFieldsTable>): Promise<void> {
  await db.updateTable('custom_fields').set(update).where('id', '=', id).execute();
}

export async function deleteField(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('record_field_values').where('field_id', '=', id).execute();
  await db.deleteFrom('custom_fields').where('id', '=', id).execute();
}

export async function fieldValues(db: Executor, recordIds: string[]): Promise<RecordFieldValuesTable[]> {
  const out: RecordFieldValuesTable[] = [];
  for (let i = 0; i < recordIds.length; i += 1000) {
    const rows = await db
      .selectFrom('record_field_values')
      .selectAll()
      .where('record_id', 'in', recordIds.slice(i, i + 1000))
      .orderBy('record_id')
      .orderBy('field_id')
      .orderBy('position')
      .execute();
    out.push(...rows);
  }
  return out;
}

export async function setFieldValue(db: Executor, recordId: string, fieldId: string, texts: string[], number: number | null): Promise<void> {
  await db.deleteFrom('record_field_values').where('record_id', '=', recordId).where('field_id', '=', fieldId).execute();
  if (texts.length === 0) return;
  await db
    .insertInto('record_field_values')
    .values(texts.map((t, position) => ({ record_id: recordId, field_id: fieldId, position, value_text: t, value_number: number })))
    .execute();
}

export async function countFieldValues(db: Executor, fieldId: string): Promise<number> {
  const row = await db
    .selectFrom('record_field_values')
    .select((eb) => eb.fn.count<number>('record_id').distinct().as('n'))
    .where('field_id', '=', fieldId)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}
