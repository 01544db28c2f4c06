import { nowIso } from '../clock.js';
import { canOnRecordType, requireOnRecordType } from '../domain/access.js';
import { recordTag, type RecordType } from '../domain/commands.js';
import { AppError, badRequest, notFound } from '../errors.js';
import { newId } from '../ids.js';
import type { ProjectContext } from '../projects/index.js';
import { getRecord, getRecordByRef, noteOnRecord } from '../records/index.js';
import type { Db, Tx } from '../store/db.js';
import * as records from '../store/records.repository.js';
import { linkWords, storedForm, type LinkKind, type LinkRequest } from './linkKinds.js';
import * as repo from './links.repository.js';

export interface PublicLink {
  id: string;
  /** The stored kind (relates, blocks, duplicates, tests, createdFrom). */
  kind: string;
  /** outgoing: this record does it (blocks the other); incoming: the other does it to this one. */
  direction: 'outgoing' | 'incoming';
  /** How it reads from this record: "blocks", "is blocked by", "relates to", … */
  label: string;
  /** The same as a request kind (blockedBy, testedBy, …), as POST takes it. */
  as: LinkRequest;
  record: { id: string; tag: string; type: RecordType; title: string; status: string };
  createdBy: string | null;
  createdAt: string;
}

/** Links of a record, each as it reads from this record; links to records the caller may not view are left out. */
export async function listLinks(db: Db, ctx: ProjectContext, recordId: string): Promise<PublicLink[]> {
  const record = await getRecord(db, ctx, recordId);
  const out: PublicLink[] = [];
  for (const l of await repo.linksOf(db, record.id)) {
    const direction = l.from_id === record.id ? 'outgoing' : 'incoming';
    const other = await records.findRecord(db, ctx.project.id, direction === 'outgoing' ? l.to_id : l.from_id);
    if (!other || !canOnRecordType(ctx.access, other.type as RecordType, 'view')) continue;
    const words = linkWords(l.kind, direction);
    out.push({
      id: l.id,
      kind: l.kind,
      direction,
      label: words.label,
      as: words.as,
      record: { id: other.id, tag: recordTag(ctx.project.key, other.type as RecordType, other.number), type: other.type as RecordType, title: other.title, status: other.status },
      createdBy: l.created_by_username,
      createdAt: l.created_at,
    });
  }
  return out;
}

/**
 * Links this record to another (`target`: its id or tag, DEMO-R2). Needs edit on this record's
 * type and view on the other's; both records' history note it, each in its own words.
 */
export async function addLink(db: Db, ctx: ProjectContext, recordId: string, input: { kind: LinkRequest; target: string }): Promise<PublicLink> {
  const here = await getRecord(db, ctx, recordId);
  requireOnRecordType(ctx.access, here.type, 'edit');
  const there = await getRecordByRef(db, ctx, input.target).catch((err: unknown) => {
    if (err instanceof AppError && err.code === 'record_not_found') throw badRequest('unknown_link_target', `There is no record "${input.target}" in this project to link to.`);
    throw err;
  });
  if (there.id === here.id) throw badRequest('link_to_itself', 'A record cannot be linked to itself.');
  const { kind, fromAsker } = storedForm(input.kind);
  const [from, to] = fromAsker ? [here, there] : [there, here];
  const id = await db.transaction().execute((tx) => linkRecordsIn(tx, ctx, { from, to, kind }));
  return (await listLinks(db, ctx, here.id)).find((l) => l.id === id)!;
}

/**
 * Writes a link in the caller's transaction (a test run made from a test case links back to it
 * as it is created), noted in both histories; permissions are the caller's to check. The new link's id.
 */
export async function linkRecordsIn(tx: Tx, ctx: ProjectContext, link: { from: { id: string; tag: string }; to: { id: string; tag: string }; kind: LinkKind }): Promise<string> {
  const { from, to, kind } = link;
  // relates reads the same both ways: one link between two records, whichever end made it.
  const existing = kind === 'relates' ? await repo.linkBetween(tx, from.id, to.id, kind) : await repo.linkBetween(tx, from.id, to.id, kind).then((l) => (l && l.from_id === from.id ? l : undefined));
  if (existing) throw new AppError('conflict', 'link_exists', `${from.tag} already ${linkWords(kind, 'outgoing').label} ${to.tag}.`, { linkId: existing.id });
  const id = newId();
  await repo.insertLink(tx, { id, project_id: ctx.project.id, from_id: from.id, to_id: to.id, kind, created_by: ctx.access.userId, created_at: nowIso() });
  await noteOnRecord(tx, { projectId: ctx.project.id, recordId: from.id, actorId: ctx.access.userId, kind: 'link.added', changes: [{ field: 'link', old: null, new: `${linkWords(kind, 'outgoing').label} ${to.tag}` }] });
  await noteOnRecord(tx, { projectId: ctx.project.id, recordId: to.id, actorId: ctx.access.userId, kind: 'link.added', changes: [{ field: 'link', old: null, new: `${linkWords(kind, 'incoming').label} ${from.tag}` }] });
  return id;
}

/** Removes a link of this record (needs edit on this record's type); both ends' history note it. */
export async function removeLink(db: Db, ctx: ProjectContext, recordId: string, linkId: string): Promise<void> {
  const here = await getRecord(db, ctx, recordId);
  requireOnRecordType(ctx.access, here.type, 'edit');
  const link = await repo.findLink(db, linkId);
  if (!link || (link.from_id !== here.id && link.to_id !== here.id)) throw notFound('link_not_found', 'This record has no such link.');
  const from = await records.findRecord(db, ctx.project.id, link.from_id);
  const to = await records.findRecord(db, ctx.project.id, link.to_id);
  const tag = (r: typeof from) => (r ? recordTag(ctx.project.key, r.type as RecordType, r.number) : '?');
  await db.transaction().execute(async (tx) => {
    await repo.deleteLink(tx, link.id);
    await noteOnRecord(tx, { projectId: ctx.project.id, recordId: link.from_id, actorId: ctx.access.userId, kind: 'link.removed', changes: [{ field: 'link', old: `${linkWords(link.kind, 'outgoing').label} ${tag(to)}`, new: null }] });
    await noteOnRecord(tx, { projectId: ctx.project.id, recordId: link.to_id, actorId: ctx.access.userId, kind: 'link.removed', changes: [{ field: 'link', old: `${linkWords(link.kind, 'incoming').label} ${tag(from)}`, new: null }] });
  });
}
