import type { Selectable } from 'kysely';
import type { Executor } from '../store/db.js';

/** Table of migration 2026_12_04_z_i16_testing_reqdocs: the ordered requirements of a requirement document. */
export type RequirementDocItemsTable = {
  id: string;
  project_id: string;
  document_id: string;
  requirement_id: string;
  position: number;
  added_by: string | null;
  added_at: string;
};
export type DocItemRow = Selectable<RequirementDocItemsTable>;

const docsDb = (db: Executor) => db.withTables<{ requirement_doc_items: RequirementDocItemsTable }>();

/** A document's items, in order. */
export async function itemsOf(db: Executor, documentId: string): Promise<DocItemRow[]> {
  return docsDb(db).selectFrom('requirement_doc_items').selectAll().where('document_id', '=', documentId).orderBy('position').orderBy('id').execute();
}

/** The documents a requirement is in. */
export async function documentsOf(db: Executor, requirementId: string): Promise<DocItemRow[]> {
  return docsDb(db).selectFrom('requirement_doc_items').selectAll().where('requirement_id', '=', requirementId).orderBy('added_at').orderBy('id').execute();
}

export async function insertItem(db: Executor, row: RequirementDocItemsTable): Promise<void> {
  await docsDb(db).insertInto('requirement_doc_items').values(row).execute();
}

export async function setPosition(db: Executor, id: string, position: number): Promise<void> {
  await docsDb(db).updateTable('requirement_doc_items').set({ position }).where('id', '=', id).execute();
}

export async function deleteItem(db: Executor, id: string): Promise<void> {
  await docsDb(db).deleteFrom('requirement_doc_items').where('id', '=', id).execute();
}
