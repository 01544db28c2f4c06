import { nowIso } from '../clock.js';
import { requireOnRecordType } from '../domain/access.js';
import type { RecordCommand } from '../domain/commands.js';
import { badRequest, notFound } from '../errors.js';
import { newId } from '../ids.js';
import type { AppContext, Caller } from '../core/context.js';
import {
  forwardEmail,
  forwardSubject,
  replyRecipients,
  replyToEmail,
  sendRecordEmail,
  type EmailsDeps,
  type PublicAttachment,
} from './emails.service.js';
import { openProject, type ProjectContext } from '../projects/index.js';
import { getRecord, type PublicRecord } from '../records/index.js';
import { findEmail, listAttachments } from '../store/emails.repository.js';
import { findProjectById } from '../store/projects.repository.js';
import type { EmailRow } from '../store/schema.js';
import * as repo from './drafts.repository.js';
import { subjectOnWire } from './queue.js';

/** What attachments of one email (and so of one draft) may add up to; the send routes allow the same. */
export const MAX_DRAFT_ATTACHMENT_BYTES = 20 * 1024 * 1024;
const MAX_DRAFT_ATTACHMENTS = 20;

export interface PublicDraft {
  /** Also the id the email will have once sent (its cookie, and so its subject, are known now). */
  id: string;
  recordId: string;
  kind: repo.DraftKind;
  parentId: string | null;
  to: string[];
  cc: string[];
  bcc: string[];
  subject: string;
  text: string;
  template: string | null;
  attachments: PublicAttachment[];
  /** The subject exactly as the recipients will see it; null while a template's subject decides. */
  subjectOnWire: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface DraftFields {
  to?: string[];
  cc?: string[];
  bcc?: string[];
  subject?: string;
  text?: string;
  template?: string | null;
}

const COMMAND_OF: Record<repo.DraftKind, RecordCommand> = { new: 'sendTrackedEmail', reply: 'replyTrackedEmail', forward: 'sendTrackedEmail' };

const list = (json: string) => JSON.parse(json) as string[];

async function toPublic(ctx: AppContext, project: ProjectContext['project'], record: PublicRecord, d: repo.DraftRow): Promise<PublicDraft> {
  const attachments = await repo.draftAttachments(ctx.store.db, [d.id]);
  const templateDecides = d.template !== null && d.subject.trim() === '';
  return {
    id: d.id,
    recordId: d.record_id,
    kind: d.kind,
    parentId: d.parent_email_id,
    to: list(d.to_list),
    cc: list(d.cc_list),
    bcc: list(d.bcc_list),
    subject: d.subject,
    text: d.text_body,
    template: d.template,
    attachments: attachments.map((a) => ({ id: a.id, filename: a.filename, contentType: a.content_type, size: a.size })),
    subjectOnWire: templateDecides ? null : await subjectOnWire(ctx, ctx.store.db, { project, record, emailId: d.id, subject: d.subject }),
    createdAt: d.created_at,
    updatedAt: d.updated_at,
  };
}

/** The caller's own draft with its project and record; anything else (another's, a record no longer visible) is a 404. */
async function openDraft(ctx: AppContext, caller: Caller, draftId: string) {
  const db = ctx.store.db;
  const missing = () => notFound('draft_not_found', 'There is no such draft.');
  const draft = await repo.findOwnDraft(db, draftId, caller.userId);
  if (!draft) throw missing();
  const project = await findProjectById(db, draft.project_id);
  if (!project) throw missing();
  const projectCtx = await openProject(db, caller, project.key).catch(() => {
    throw missing();
  });
  const record = await getRecord(db, projectCtx, draft.record_id).catch(() => {
    throw missing();
  });
  requireOnRecordType(projectCtx.access, record.type, COMMAND_OF[draft.kind]);
  return { draft, projectCtx, record };
}

export async function listDrafts(ctx: AppContext, caller: Caller, projectKey: string, recordId: string): Promise<PublicDraft[]> {
  const projectCtx = await openProject(ctx.store.db, caller, projectKey);
  const record = await getRecord(ctx.store.db, projectCtx, recordId);
  const rows = await repo.ownDraftsOf(ctx.store.db, record.id, caller.userId);
  return Promise.all(rows.map((d) => toPublic(ctx, projectCtx.project, record, d)));
}

export interface NewDraft extends DraftFields {
  kind?: repo.DraftKind;
  /** The email answered (reply) or carried (forward). */
  parentId?: string;
  /** A reply's recipients start as a reply to all: the sender in To, everyone else it named in Cc. */
  replyAll?: boolean;
}

/**
 * Starts a draft on a record. A reply starts with its default recipients and "Re:" subject, a
 * forward with "Fwd:" and the forwarded email's attachments (the blobs are shared, not copied).
 */
export async function createDraft(ctx: AppContext, caller: Caller, projectKey: string, recordId: string, input: NewDraft): Promise<PublicDraft> {
  const db = ctx.store.db;
  const projectCtx = await openProject(db, caller, projectKey);
  const record = await getRecord(db, projectCtx, recordId);
  const kind = input.kind ?? 'new';
  requireOnRecordType(projectCtx.access, record.type, COMMAND_OF[kind]);
  let parent: EmailRow | undefined;
  if (kind !== 'new') {
    parent = input.parentId ? await findEmail(db, input.parentId) : undefined;
    if (!parent || parent.deleted_at || parent.record_id !== record.id) throw badRequest('parent_not_found', 'A reply or forward needs an email of this record in "parentId".');
  } else if (input.parentId) throw badRequest('unexpected_parent', 'A new email has no "parentId"; use kind "reply" or "forward".');
  const defaults = parent && kind === 'reply' ? await replyRecipients(db, parent, caller.userId, input.replyAll === true) : { to: [], cc: [] };
  const subject = input.subject ?? (parent ? (kind === 'reply' ? `Re: ${parent.subject.replace(/^(re:\s*)+/i, '')}` : forwardSubject(parent.subject)) : record.title);
  const at = nowIso();
  const row: repo.EmailDraftsTable = {
    id: newId(),
    project_id: projectCtx.project.id,
    record_id: record.id,
    user_id: caller.userId,
    kind,
    parent_email_id: parent?.id ?? null,
    to_list: JSON.stringify(input.to ?? defaults.to),
    cc_list: JSON.stringify(input.cc ?? defaults.cc),
    bcc_list: JSON.stringify(input.bcc ?? []),
    subject,
    text_body: input.text ?? '',
    template: input.template ?? null,
    created_at: at,
    updated_at: at,
  };
  await db.transaction().execute(async (tx) => {
    await repo.insertDraft(tx, row);
    if (parent && kind === 'forward') {
      const carried = (await listAttachments(tx, [parent.id])).filter((a) => a.inline === 0);
      for (const [position, a] of carried.entries()) {
        await repo.insertDraftAttachment(tx, { id: newId(), draft_id: row.id, filename: a.filename, content_type: a.content_type, size: a.size, blob: a.blob, position });
      }
    }
  });
  return toPublic(ctx, projectCtx.project, record, row);
}

export async function getDraft(ctx: AppContext, caller: Caller, draftId: string): Promise<PublicDraft> {
  const { draft, projectCtx, record } = await openDraft(ctx, caller, draftId);
  return toPublic(ctx, projectCtx.project, record, draft);
}

/** Saves what was typed (the web client does so as you write); fields left out stay as they were. */
export async function saveDraft(ctx: AppContext, caller: Caller, draftId: string, input: DraftFields): Promise<PublicDraft> {
  const { draft, projectCtx, record } = await openDraft(ctx, caller, draftId);
  const set: Partial<repo.EmailDraftsTable> = { updated_at: nowIso() };
  if (input.to !== undefined) set.to_list = JSON.stringify(input.to);
  if (input.cc !== undefined) set.cc_list = JSON.stringify(input.cc);
  if (input.bcc !== undefined) set.bcc_list = JSON.stringify(input.bcc);
  if (input.subject !== undefined) set.subject = input.subject;
  if (input.text !== undefined) set.text_body = input.text;
  if (input.template !== undefined) set.template = input.template;
  await repo.updateDraft(ctx.store.db, draft.id, set);
  return toPublic(ctx, projectCtx.project, record, { ...draft, ...set });
}

export async function discardDraft(ctx: AppContext, caller: Caller, draftId: string): Promise<void> {
  const { draft } = await openDraft(ctx, caller, draftId);
  await ctx.store.db.transaction().execute((tx) => repo.deleteDraft(tx, draft.id));
}

/** Adds a file to a draft; refused with 400 attachments_too_large past MAX_DRAFT_ATTACHMENT_BYTES in all. */
export async function attachToDraft(ctx: AppContext, caller: Caller, draftId: string, file: { filename: string; contentType: string; content: Buffer }): Promise<PublicDraft> {
  const { draft, projectCtx, record } = await openDraft(ctx, caller, draftId);
  const db = ctx.store.db;
  const existing = await repo.draftAttachments(db, [draft.id]);
  const total = existing.reduce((n, a) => n + a.size, 0) + file.content.length;
  if (total > MAX_DRAFT_ATTACHMENT_BYTES) {
    throw badRequest('attachments_too_large', `Attachments may add up to ${MAX_DRAFT_ATTACHMENT_BYTES / 1024 / 1024} MB; with “${file.filename}” this email would carry ${(total / 1024 / 1024).toFixed(1)} MB.`, { limitBytes: MAX_DRAFT_ATTACHMENT_BYTES, totalBytes: total });
  }
  if (existing.length >= MAX_DRAFT_ATTACHMENTS) throw badRequest('too_many_attachments', `An email carries at most ${MAX_DRAFT_ATTACHMENTS} attachments.`);
  const blob = await ctx.blobs.put(file.content);
  const position = existing.reduce((n, a) => Math.max(n, a.position + 1), 0);
  await repo.insertDraftAttachment(db, { id: newId(), draft_id: draft.id, filename: file.filename, content_type: file.contentType, size: blob.size, blob: blob.key, position });
  await repo.updateDraft(db, draft.id, { updated_at: nowIso() });
  return toPublic(ctx, projectCtx.project, record, draft);
}

export async function detachFromDraft(ctx: AppContext, caller: Caller, draftId: string, attachmentId: string): Promise<PublicDraft> {
  const { draft, projectCtx, record } = await openDraft(ctx, caller, draftId);
  if (!(await repo.deleteDraftAttachment(ctx.store.db, draft.id, attachmentId))) throw notFound('attachment_not_found', 'This draft has no such attachment.');
  return toPublic(ctx, projectCtx.project, record, draft);
}

/**
 * Sends a draft as the email it describes, with the draft's id (so the subject it showed is the
 * subject sent); the draft is deleted in the transaction that queues the email, so it is sent
 * once and then gone, or still there to try again.
 */
export async function sendDraft(ctx: AppContext, caller: Caller, draftId: string, opts: { force?: boolean }, deps: EmailsDeps): Promise<EmailRow> {
  const { draft, projectCtx, record } = await openDraft(ctx, caller, draftId);
  const files = await repo.draftAttachments(ctx.store.db, [draft.id]);
  const attachments = await Promise.all(files.map(async (a) => ({ filename: a.filename, contentType: a.content_type, content: await ctx.blobs.get(a.blob) })));
  const input = {
    id: draft.id,
    to: list(draft.to_list),
    cc: list(draft.cc_list),
    bcc: list(draft.bcc_list),
    ...(draft.subject.trim() ? { subject: draft.subject } : {}),
    text: draft.text_body,
    ...(draft.template ? { template: draft.template } : {}),
    attachments,
    ...(opts.force ? { force: true } : {}),
    alsoInTransaction: (tx: Parameters<typeof repo.deleteDraft>[0]) => repo.deleteDraft(tx, draft.id),
  };
  if (draft.kind === 'new') return sendRecordEmail(ctx, caller, projectCtx.project.key, record.id, input, deps);
  if (draft.kind === 'reply') return replyToEmail(ctx, caller, draft.parent_email_id!, input, deps);
  return forwardEmail(ctx, caller, draft.parent_email_id!, input, deps);
}
