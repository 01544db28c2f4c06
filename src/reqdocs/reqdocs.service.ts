import { nowIso } from '../clock.js';
import { requireOnRecordType } from '../domain/access.js';
import { inOrder, placeAt, renumber, sameOrder } from '../domain/ordering.js';
import { AppError, badRequest, notFound } from '../errors.js';
import { newId } from '../ids.js';
import type { ProjectContext } from '../projects/index.js';
import { recordOfType, noteOnRecord, toPublicRecords } from '../records/index.js';
import type { StatusCategory } from '../domain/workflow.js';
import type { Db, Executor, Tx } from '../store/db.js';
import * as records from '../store/records.repository.js';
import { findUserById } from '../store/users.repository.js';
import * as repo from './reqdocs.repository.js';

/** A document holds at most this many requirements. */
export const MAX_ITEMS = 2_000;

export interface PublicDocItem {
  /** The item's own id (one requirement in one document); remove and reorder by it. */
  id: string;
  /** 1 for the first requirement of the document. */
  number: number;
  requirement: { id: string; tag: string; title: string; status: string; statusCategory: StatusCategory; assignee: string | null };
  addedBy: string | null;
  addedAt: string;
}

export interface PublicDocumentRef {
  id: string;
  tag: string;
  title: string;
  status: string;
  /** Where the requirement stands in that document (1 = first). */
  number: number;
}

const documentOf = (db: Executor, ctx: ProjectContext, ref: string) => recordOfType(db, ctx, ref, 'requirementDocument', 'only requirement documents hold a list of requirements');

async function publicItems(db: Executor, ctx: ProjectContext, rows: repo.DocItemRow[]): Promise<PublicDocItem[]> {
  const found = (await Promise.all(rows.map((r) => records.findRecord(db, ctx.project.id, r.requirement_id)))).filter((r): r is records.RecordWithNames => !!r);
  const reqs = new Map((await toPublicRecords(db, ctx.project, found)).map((r) => [r.id, r]));
  const names = new Map<string, string | null>();
  for (const id of new Set(rows.map((r) => r.added_by).filter((x): x is string => !!x))) names.set(id, (await findUserById(db, id))?.username ?? null);
  return rows.flatMap((r, i) => {
    const q = reqs.get(r.requirement_id);
    if (!q) return [];
    return [{ id: r.id, number: i + 1, requirement: { id: q.id, tag: q.tag, title: q.title, status: q.status, statusCategory: q.statusCategory, assignee: q.assignee }, addedBy: r.added_by ? (names.get(r.added_by) ?? null) : null, addedAt: r.added_at }];
  });
}

const listLine = (items: { tag: string; title: string }[]) => items.map((it, i) => `${i + 1}. ${it.tag} ${it.title}`).join('\n');

/** The requirements of a document, in order (needs requirementDocuments.view and requirements.view). */
export async function listItems(db: Db, ctx: ProjectContext, ref: string): Promise<PublicDocItem[]> {
  const doc = await documentOf(db, ctx, ref);
  requireOnRecordType(ctx.access, 'requirement', 'view');
  return publicItems(db, ctx, await repo.itemsOf(db, doc.id));
}

const setPosition = (tx: Tx) => (id: string, position: number) => repo.setPosition(tx, id, position);

/**
 * Puts a requirement (`requirement`: its id or tag) into the document at `number` (1 = first;
 * absent = last). Needs requirementDocuments.edit and requirements.view. A requirement may be in
 * several documents, once in each (409 already_in_document). Both histories note it.
 */
export async function addItem(db: Db, ctx: ProjectContext, ref: string, input: { requirement: string; number?: number }): Promise<PublicDocItem> {
  const doc = await documentOf(db, ctx, ref);
  requireOnRecordType(ctx.access, 'requirementDocument', 'edit');
  requireOnRecordType(ctx.access, 'requirement', 'view');
  const req = await recordOfType(db, ctx, input.requirement, 'requirement', `only requirements go into ${doc.tag}`).catch((err: unknown) => {
    if (err instanceof AppError && err.code === 'record_not_found') throw badRequest('unknown_requirement', `There is no requirement "${input.requirement}" in this project.`);
    throw err;
  });
  const id = newId();
  const rows = await db.transaction().execute(async (tx) => {
    const rows = await repo.itemsOf(tx, doc.id);
    if (rows.some((r) => r.requirement_id === req.id)) throw new AppError('conflict', 'already_in_document', `${req.tag} is already in ${doc.tag} (number ${rows.findIndex((r) => r.requirement_id === req.id) + 1}).`);
    if (rows.length >= MAX_ITEMS) throw badRequest('too_many_requirements', `A requirement document holds at most ${MAX_ITEMS} requirements.`);
    const row: repo.DocItemRow = { id, project_id: ctx.project.id, document_id: doc.id, requirement_id: req.id, position: 0, added_by: ctx.access.userId, added_at: nowIso() };
    const next = placeAt(rows, row, input.number);
    row.position = next.indexOf(row) + 1;
    await repo.insertItem(tx, row);
    await renumber(next, setPosition(tx));
    await noteOnRecord(tx, { projectId: ctx.project.id, recordId: doc.id, actorId: ctx.access.userId, kind: 'requirement.added', changes: [{ field: 'requirement', old: null, new: `${req.tag} ${req.title}` }] });
    await noteOnRecord(tx, { projectId: ctx.project.id, recordId: req.id, actorId: ctx.access.userId, kind: 'document.added', changes: [{ field: 'document', old: null, new: `${doc.tag} ${doc.title}` }] });
    return repo.itemsOf(tx, doc.id);
  });
  return (await publicItems(db, ctx, rows)).find((i) => i.id === id)!;
}

/** Takes a requirement out of the document (the requirement itself stays). Both histories note it. */
export async function removeItem(db: Db, ctx: ProjectContext, ref: string, itemId: string): Promise<void> {
  const doc = await documentOf(db, ctx, ref);
  requireOnRecordType(ctx.access, 'requirementDocument', 'edit');
  requireOnRecordType(ctx.access, 'requirement', 'view');
  await db.transaction().execute(async (tx) => {
    const rows = await repo.itemsOf(tx, doc.id);
    const row = rows.find((r) => r.id === itemId);
    if (!row) throw notFound('item_not_found', `${doc.tag} has no such requirement (it may have been removed meanwhile).`);
    const req = await records.findRecord(tx, ctx.project.id, row.requirement_id);
    const reqText = req ? `${(await toPublicRecords(tx, ctx.project, [req]))[0]!.tag} ${req.title}` : '?';
    await repo.deleteItem(tx, row.id);
    await renumber(rows.filter((r) => r.id !== row.id), setPosition(tx));
    await noteOnRecord(tx, { projectId: ctx.project.id, recordId: doc.id, actorId: ctx.access.userId, kind: 'requirement.removed', changes: [{ field: 'requirement', old: reqText, new: null }] });
    await noteOnRecord(tx, { projectId: ctx.project.id, recordId: row.requirement_id, actorId: ctx.access.userId, kind: 'document.removed', changes: [{ field: 'document', old: `${doc.tag} ${doc.title}`, new: null }] });
  });
}

/**
 * Puts the document's requirements in the order given: every item id exactly once, so an order
 * made while someone else added or removed one is refused (409 order_mismatch), not half applied.
 */
export async function reorderItems(db: Db, ctx: ProjectContext, ref: string, order: string[]): Promise<PublicDocItem[]> {
  const doc = await documentOf(db, ctx, ref);
  requireOnRecordType(ctx.access, 'requirementDocument', 'edit');
  requireOnRecordType(ctx.access, 'requirement', 'view');
  const rows = await db.transaction().execute(async (tx) => {
    const rows = await repo.itemsOf(tx, doc.id);
    const next = inOrder(rows, order, { things: 'requirements', of: doc.tag });
    if (sameOrder(next, rows)) return rows;
    const before = await publicItems(tx, ctx, rows);
    const tagOf = new Map(before.map((it) => [it.id, { tag: it.requirement.tag, title: it.requirement.title }]));
    await renumber(next, setPosition(tx));
    const line = (list: repo.DocItemRow[]) => listLine(list.map((r) => tagOf.get(r.id) ?? { tag: '?', title: '' }));
    await noteOnRecord(tx, { projectId: ctx.project.id, recordId: doc.id, actorId: ctx.access.userId, kind: 'requirements.reordered', changes: [{ field: 'requirements', old: line(rows), new: line(next) }] });
    return repo.itemsOf(tx, doc.id);
  });
  return publicItems(db, ctx, rows);
}

/** The documents a requirement is in, with its place in each (needs requirements.view and requirementDocuments.view). */
export async function documentsOf(db: Db, ctx: ProjectContext, ref: string): Promise<PublicDocumentRef[]> {
  const req = await recordOfType(db, ctx, ref, 'requirement', 'only requirements are in requirement documents');
  requireOnRecordType(ctx.access, 'requirementDocument', 'view');
  const out: PublicDocumentRef[] = [];
  for (const item of await repo.documentsOf(db, req.id)) {
    const doc = await records.findRecord(db, ctx.project.id, item.document_id);
    if (!doc) continue;
    const place = (await repo.itemsOf(db, doc.id)).findIndex((r) => r.id === item.id) + 1;
    const pub = (await toPublicRecords(db, ctx.project, [doc]))[0]!;
    out.push({ id: pub.id, tag: pub.tag, title: pub.title, status: pub.status, number: place });
  }
  return out;
}
