import { nowIso } from '../clock.js';
import { requireCommand } from '../domain/access.js';
import type { RecordType } from '../domain/commands.js';
import { AppError, badRequest, notFound } from '../errors.js';
import { newId } from '../ids.js';
import type { ProjectContext } from '../projects/index.js';
import type { Db, Executor } from '../store/db.js';
import { memberCommands } from '../store/projects.repository.js';
import type { CustomFieldsTable } from '../store/schema.js';
import * as repo from '../store/tracker.repository.js';
import { findUserByUsername } from '../store/users.repository.js';
import { checkDefinition, displayValue, keyFromLabel, readValue, valueOf, type FieldDefinition, type FieldKind, type FieldValue } from '../domain/fields.js';
import { requireType } from './workflows.service.js';

function toDefinition(row: CustomFieldsTable): FieldDefinition {
  return {
    id: row.id,
    recordType: row.record_type,
    key: row.key,
    label: row.label,
    kind: row.kind as FieldKind,
    options: JSON.parse(row.options) as string[],
    required: row.required === 1,
    position: Number(row.position),
  };
}

export async function listFields(db: Executor, projectId: string, type?: RecordType): Promise<FieldDefinition[]> {
  const all = (await repo.listFields(db, projectId)).map(toDefinition);
  return type ? all.filter((f) => f.recordType === type) : all;
}

export interface FieldInput {
  recordType: string;
  key?: string;
  label: string;
  kind: FieldKind;
  options?: string[];
  required?: boolean;
}

export async function createField(db: Db, ctx: ProjectContext, input: FieldInput): Promise<FieldDefinition> {
  requireCommand(ctx.access, 'project.administer');
  const type = requireType(input.recordType);
  const def = { key: input.key ?? keyFromLabel(input.label), label: input.label.trim(), kind: input.kind, options: (input.options ?? []).map((o) => o.trim()) };
  const problem = checkDefinition(def);
  if (problem) throw badRequest(problem.code, problem.message);
  if (['title', 'description', 'status', 'assignee', 'priority', 'severity', 'creator', 'number', 'tag', 'id'].includes(def.key)) {
    throw badRequest('reserved_field_key', `"${def.key}" is a built-in field; pick another key.`);
  }
  const existing = await listFields(db, ctx.project.id, type);
  if (existing.some((f) => f.key === def.key)) throw new AppError('conflict', 'field_exists', `${type} already has a field "${def.key}".`);
  const at = nowIso();
  const row: CustomFieldsTable = {
    id: newId(),
    project_id: ctx.project.id,
    record_type: type,
    key: def.key,
    label: def.label,
    kind: def.kind,
    options: JSON.stringify(def.options),
    required: input.required ? 1 : 0,
    position: existing.length,
    created_at: at,
    updated_at: at,
  };
  await repo.insertField(db, row);
  return toDefinition(row);
}

async function findField(db: Executor, ctx: ProjectContext, id: string): Promise<FieldDefinition> {
  const f = (await listFields(db, ctx.project.id)).find((x) => x.id === id);
  if (!f) throw notFound('field_not_found', 'There is no such field in this project.');
  return f;
}

/** Label, options, required and position change; key and kind stay (values and templates use them). */
export async function updateField(db: Db, ctx: ProjectContext, id: string, input: { label?: string; options?: string[]; required?: boolean; position?: number }): Promise<FieldDefinition> {
  requireCommand(ctx.access, 'project.administer');
  const f = await findField(db, ctx, id);
  const next = { ...f, ...(input.label !== undefined ? { label: input.label.trim() } : {}), ...(input.options ? { options: input.options.map((o) => o.trim()) } : {}) };
  const problem = checkDefinition(next);
  if (problem) throw badRequest(problem.code, problem.message);
  await repo.updateField(db, id, {
    label: next.label,
    options: JSON.stringify(next.options),
    ...(input.required !== undefined ? { required: input.required ? 1 : 0 } : {}),
    ...(input.position !== undefined ? { position: input.position } : {}),
    updated_at: nowIso(),
  });
  return findField(db, ctx, id);
}

export async function deleteField(db: Db, ctx: ProjectContext, id: string): Promise<void> {
  requireCommand(ctx.access, 'project.administer');
  await findField(db, ctx, id);
  await repo.deleteField(db, id);
}

/** Custom field values of records, by record id then field key. */
export async function valuesOf(db: Executor, projectId: string, recordIds: string[]): Promise<Map<string, Record<string, FieldValue>>> {
  const out = new Map<string, Record<string, FieldValue>>();
  if (recordIds.length === 0) return out;
  const defs = new Map((await listFields(db, projectId)).map((f) => [f.id, f]));
  if (defs.size === 0) return out;
  const texts = new Map<string, Map<string, string[]>>();
  for (const v of await repo.fieldValues(db, recordIds)) {
    const byField = texts.get(v.record_id) ?? new Map<string, string[]>();
    byField.set(v.field_id, [...(byField.get(v.field_id) ?? []), v.value_text]);
    texts.set(v.record_id, byField);
  }
  for (const [recordId, byField] of texts) {
    const fields: Record<string, FieldValue> = {};
    for (const [fieldId, t] of byField) {
      const def = defs.get(fieldId);
      const value = def ? valueOf(def, t) : null;
      if (def && value !== null) fields[def.key] = value;
    }
    out.set(recordId, fields);
  }
  return out;
}

/**
 * Applies `input` (field key → value, null clears) to a record: checks each value against its
 * field, and a user field against the project's members. Returns the changes for history.
 */
export async function applyFieldValues(
  db: Executor,
  projectId: string,
  type: string,
  recordId: string,
  before: Record<string, FieldValue>,
  input: Record<string, unknown>,
  opts: { creating: boolean },
): Promise<{ field: string; old: string | null; new: string | null }[]> {
  const defs = await listFields(db, projectId, type as RecordType);
  const changes: { field: string; old: string | null; new: string | null }[] = [];
  for (const key of Object.keys(input)) {
    if (!defs.some((d) => d.key === key)) throw badRequest('unknown_field', `${type} has no field "${key}"${defs.length ? ` (fields: ${defs.map((d) => d.key).join(', ')})` : ''}.`);
  }
  for (const def of defs) {
    const missingRequired = def.required && (opts.creating ? !(def.key in input) : false);
    if (!(def.key in input)) {
      if (missingRequired) throw badRequest('field_required', `${def.label} is required.`);
      continue;
    }
    const read = readValue(def, input[def.key]);
    if ('code' in read) throw badRequest(read.code, read.message);
    if (def.required && read.texts.length === 0) throw badRequest('field_required', `${def.label} is required.`);
    if (def.kind === 'user' && read.texts[0]) {
      const user = await findUserByUsername(db, read.texts[0]);
      if (!user || user.disabled === 1 || (user.is_admin !== 1 && !(await memberCommands(db, projectId, user.id)))) {
        throw badRequest('invalid_field_value', `${def.label}: "${read.texts[0]}" is not a member of this project.`);
      }
    }
    const old = displayValue(before[def.key]);
    const next = displayValue(valueOf(def, read.texts));
    if (old === next) continue;
    await repo.setFieldValue(db, recordId, def.id, read.texts, read.number);
    changes.push({ field: `fields.${def.key}`, old, new: next });
  }
  return changes;
}
