import { nowIso } from '../clock.js';
import { newId } from '../ids.js';
import type { Executor } from '../store/db.js';
import type { EmailTemplatesTable } from '../store/schema.js';
import * as repo from '../store/templates.repository.js';
import { STANDARD_TEMPLATES, type StandardTemplate } from './standard.js';

/** The stored form of a shipped template (also what "reset" writes back). */
export function standardColumns(t: StandardTemplate): Pick<EmailTemplatesTable, 'subject' | 'text_body' | 'html_body' | 'record_types'> {
  return { subject: t.subject, text_body: t.text, html_body: t.html, record_types: JSON.stringify(t.recordTypes) };
}

/**
 * Gives the project every standard template it lacks. Idempotent and safe when several
 * processes do it at once (insert … on conflict do nothing). A project template that already
 * uses a standard name keeps it.
 */
export async function seedStandardTemplates(db: Executor, projectId: string): Promise<void> {
  const at = nowIso();
  await repo.insertMissingTemplates(
    db,
    STANDARD_TEMPLATES.map((t) => ({
      id: newId(),
      project_id: projectId,
      name: t.name,
      ...standardColumns(t),
      is_standard: 1,
      created_at: at,
      updated_at: at,
    })),
  );
}

/** Seeds only when something is missing: one count query in the common case. */
export async function ensureStandardTemplates(db: Executor, projectId: string): Promise<void> {
  if ((await repo.countStandardTemplates(db, projectId)) < STANDARD_TEMPLATES.length) await seedStandardTemplates(db, projectId);
}

/** Start-up step: every project gets the standard templates it lacks (new projects, newly shipped templates). */
export async function seedAllProjects(db: Executor): Promise<number> {
  const ids = await repo.projectsMissingStandardTemplates(db, STANDARD_TEMPLATES.length);
  for (const id of ids) await seedStandardTemplates(db, id);
  return ids.length;
}
