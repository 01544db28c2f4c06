import { nowIso } from '../clock.js';
import { requireOnRecordType } from '../domain/access.js';
import { forbidden, notFound } from '../errors.js';
import { newId } from '../ids.js';
import type { ProjectContext } from '../projects/index.js';
import type { RecordNoteHandler } from '../core/context.js';
import { getRecord, noteOnRecord } from '../records/index.js';
import type { Db } from '../store/db.js';
import * as projects from '../store/projects.repository.js';
import { findUserByUsername } from '../store/users.repository.js';
import * as repo from './comments.repository.js';
import { mentionedNames } from './mentions.js';

export interface PublicComment {
  id: string;
  author: string | null;
  /** Markdown as written; the web client renders it without HTML. */
  body: string;
  /** Members the comment @mentions (stored for notifications). */
  mentions: string[];
  createdAt: string;
  updatedAt: string;
}

const toPublic = (c: repo.CommentWithAuthor): PublicComment => ({
  id: c.id,
  author: c.author_username,
  body: c.body,
  mentions: JSON.parse(c.mentions) as string[],
  createdAt: c.created_at,
  updatedAt: c.updated_at,
});

/** The @names that are people in this project: members, or the server admin. */
async function mentionsIn(db: Db, projectId: string, body: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of mentionedNames(body)) {
    const user = await findUserByUsername(db, name);
    if (user && user.disabled !== 1 && (user.is_admin === 1 || (await projects.memberCommands(db, projectId, user.id)))) out.push(user.username);
  }
  return out;
}

const excerpt = (body: string) => (body.length > 200 ? `${body.slice(0, 199)}…` : body);

/** Internal notes on a record: readable with view, never sent as email. */
export async function listComments(db: Db, ctx: ProjectContext, recordId: string): Promise<PublicComment[]> {
  const record = await getRecord(db, ctx, recordId);
  return (await repo.commentsOf(db, record.id)).map(toPublic);
}

/** Adds a note (needs edit on the record's type); its @mentions of members are kept; history notes it. */
export async function addComment(db: Db, ctx: ProjectContext, recordId: string, body: string, handlers: readonly RecordNoteHandler[] = []): Promise<PublicComment> {
  const record = await getRecord(db, ctx, recordId);
  requireOnRecordType(ctx.access, record.type, 'edit');
  const at = nowIso();
  const id = newId();
  const mentions = await mentionsIn(db, ctx.project.id, body);
  await db.transaction().execute(async (tx) => {
    await repo.insertComment(tx, { id, project_id: ctx.project.id, record_id: record.id, author_id: ctx.access.userId, body, mentions: JSON.stringify(mentions), created_at: at, updated_at: at, deleted_at: null });
    await noteOnRecord(tx, { projectId: ctx.project.id, recordId: record.id, actorId: ctx.access.userId, kind: 'comment.added', changes: [{ field: 'comment', old: null, new: excerpt(body) }] });
    for (const handle of handlers) await handle(tx, { kind: 'comment.added', projectId: ctx.project.id, recordId: record.id, actorId: ctx.access.userId, at, comment: { id, body, mentions } });
  });
  return toPublic((await repo.findComment(db, id))!);
}

async function ownComment(db: Db, ctx: ProjectContext, recordId: string, commentId: string) {
  const record = await getRecord(db, ctx, recordId);
  const c = await repo.findComment(db, commentId);
  if (!c || c.record_id !== record.id) throw notFound('comment_not_found', 'This record has no such comment.');
  // Only its author changes a note; the server admin may remove one (moderation).
  if (c.author_id !== ctx.access.userId && !ctx.access.isAdmin) throw forbidden('not_your_comment', 'Only the person who wrote a comment can change or delete it.');
  return { record, c };
}

/** Changes one's own note; people it newly @mentions hear of it (each person once per comment). */
export async function editComment(db: Db, ctx: ProjectContext, recordId: string, commentId: string, body: string, handlers: readonly RecordNoteHandler[] = []): Promise<PublicComment> {
  const { record, c } = await ownComment(db, ctx, recordId, commentId);
  const mentions = await mentionsIn(db, ctx.project.id, body);
  const at = nowIso();
  await db.transaction().execute(async (tx) => {
    await repo.updateComment(tx, c.id, { body, mentions: JSON.stringify(mentions), updated_at: at });
    for (const handle of handlers) await handle(tx, { kind: 'comment.edited', projectId: ctx.project.id, recordId: record.id, actorId: ctx.access.userId, at, comment: { id: c.id, body, mentions } });
  });
  return toPublic((await repo.findComment(db, c.id))!);
}

export async function deleteComment(db: Db, ctx: ProjectContext, recordId: string, commentId: string): Promise<void> {
  const { record, c } = await ownComment(db, ctx, recordId, commentId);
  await db.transaction().execute(async (tx) => {
    await repo.updateComment(tx, c.id, { deleted_at: nowIso() });
    await noteOnRecord(tx, { projectId: ctx.project.id, recordId: record.id, actorId: ctx.access.userId, kind: 'comment.deleted', changes: [{ field: 'comment', old: excerpt(c.body), new: null }] });
  });
}
