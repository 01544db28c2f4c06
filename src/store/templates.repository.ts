import type { Executor } from './db.js';
import type { EmailTemplateRow, EmailTemplatesTable } from './schema.js';

export async function listTemplates(db: Executor, projectId: string): Promise<EmailTemplateRow[]> {
  return db.selectFrom('email_templates').selectAll().where('project_id', '=', projectId).orderBy('name').execute();
}

export async function findTemplate(db: Executor, projectId: string, name: string): Promise<EmailTemplateRow | undefined> {
  return db.selectFrom('email_templates').selectAll().where('project_id', '=', projectId).where('name', '=', name).executeTakeFirst();
}

/** Inserts unless the project has a template of that name; false when the name is taken (also under a race). */
export async function insertTemplate(db: Executor, row: EmailTemplatesTable): Promise<boolean> {
  const inserted = await db
    .insertInto('email_templates')
    .values(row)
    .onConflict((oc) => oc.columns(['project_id', 'name']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}

/** Inserts the rows whose names the project does not have yet; idempotent and safe to run concurrently. */
export async function insertMissingTemplates(db: Executor, rows: EmailTemplatesTable[]): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insertInto('email_templates')
    .values(rows)
    .onConflict((oc) => oc.columns(['project_id', 'name']).doNothing())
    .execute();
}

export async function updateTemplate(db: Executor, id: string, update: Partial<EmailTemplatesTable>): Promise<void> {
  await db.updateTable('email_templates').set(update).where('id', '=', id).execute();
}

export async function deleteTemplate(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('email_templates').where('id', '=', id).execute();
}

export async function countStandardTemplates(db: Executor, projectId: string): Promise<number> {
  const row = await db
    .selectFrom('email_templates')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('project_id', '=', projectId)
    .where('is_standard', '=', 1)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Ids of projects holding fewer than `count` standard templates (new projects, or a new standard template shipped). */
export async function projectsMissingStandardTemplates(db: Executor, count: number): Promise<string[]> {
  const rows = await db
    .selectFrom('projects')
    .select('projects.id')
    .where((eb) =>
      eb(
        eb
          .selectFrom('email_templates')
          .select((sub) => sub.fn.countAll<number>().as('n'))
          .whereRef('email_templates.project_id', '=', 'projects.id')
          .where('email_templates.is_standard', '=', 1),
        '<',
        count,
      ),
    )
    .execute();
  return rows.map((r) => r.id);
}
