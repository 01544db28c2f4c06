import { nowIso } from '../clock.js';
import { requireOnRecordType } from '../domain/access.js';
import type { RecordType } from '../domain/commands.js';
import { badRequest, notFound } from '../errors.js';
import { newId } from '../ids.js';
import type { ProjectContext } from '../projects/index.js';
import { getRecord, noteOnRecord } from '../records/index.js';
import type { BlobStore } from '../store/blobs.js';
import type { Db } from '../store/db.js';
import * as records from '../store/records.repository.js';
import * as repo from './files.repository.js';

/** The largest file one upload may carry. */
export const MAX_FILE_BYTES = 25 * 1024 * 1024;

/**
 * Types a browser may show inside the app (a preview). Everything else is only downloaded:
 * HTML, SVG and the like could run script in our origin.
 */
export const PREVIEWABLE = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'application/pdf']);

export interface PublicFile {
  id: string;
  filename: string;
  contentType: string;
  size: number;
  uploadedBy: string | null;
  createdAt: string;
  /** The type can be shown in the app (images, PDF). */
  previewable: boolean;
}

const toPublic = (f: repo.FileWithUploader): PublicFile => ({
  id: f.id,
  filename: f.filename,
  contentType: f.content_type,
  size: Number(f.size),
  uploadedBy: f.uploaded_by_username,
  createdAt: f.created_at,
  previewable: PREVIEWABLE.has(f.content_type),
});

/** A file name safe to store and to send back in Content-Disposition: no folders, no control characters. */
export function cleanFilename(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const clean = base.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 200);
  if (!clean || clean === '.' || clean === '..') throw badRequest('invalid_filename', 'A file needs a name.');
  return clean;
}

/** The stated type, reduced to type/subtype; a missing or odd one is plain bytes. */
export function cleanContentType(type: string | undefined): string {
  const t = (type ?? '').split(';')[0]!.trim().toLowerCase();
  return /^[a-z0-9.+-]+\/[a-z0-9.+-]+$/.test(t) ? t : 'application/octet-stream';
}

export async function listFiles(db: Db, ctx: ProjectContext, recordId: string): Promise<PublicFile[]> {
  const record = await getRecord(db, ctx, recordId);
  return (await repo.filesOf(db, record.id)).map(toPublic);
}

/** Stores the bytes in the blob store first (idempotent by content), then the row and its history entry. */
export async function addFile(db: Db, blobs: BlobStore, ctx: ProjectContext, recordId: string, input: { filename: string; contentType: string | undefined; bytes: Buffer }): Promise<PublicFile> {
  const record = await getRecord(db, ctx, recordId);
  requireOnRecordType(ctx.access, record.type, 'edit');
  const filename = cleanFilename(input.filename);
  if (input.bytes.length === 0) throw badRequest('empty_file', 'The file is empty.');
  if (input.bytes.length > MAX_FILE_BYTES) throw badRequest('file_too_large', `A file may be at most ${MAX_FILE_BYTES / 1024 / 1024} MB.`);
  const stored = await blobs.put(input.bytes);
  const id = newId();
  await db.transaction().execute(async (tx) => {
    await repo.insertFile(tx, { id, project_id: ctx.project.id, record_id: record.id, filename, content_type: cleanContentType(input.contentType), size: stored.size, blob: stored.key, uploaded_by: ctx.access.userId, created_at: nowIso(), deleted_at: null });
    await noteOnRecord(tx, { projectId: ctx.project.id, recordId: record.id, actorId: ctx.access.userId, kind: 'file.added', changes: [{ field: 'file', old: null, new: filename }] });
  });
  return toPublic((await repo.findFile(db, ctx.project.id, id))!);
}

/** A file the caller may view (view on its record's type). */
export async function openFile(db: Db, ctx: ProjectContext, fileId: string): Promise<repo.FileWithUploader> {
  const f = await repo.findFile(db, ctx.project.id, fileId);
  if (!f) throw notFound('file_not_found', 'There is no such file.');
  const record = await records.findRecord(db, ctx.project.id, f.record_id);
  if (!record) throw notFound('file_not_found', 'There is no such file.');
  requireOnRecordType(ctx.access, record.type as RecordType, 'view');
  return f;
}

/** Removes a file from the record (edit on its type); the history keeps its name. The blob may be shared, so it stays. */
export async function removeFile(db: Db, ctx: ProjectContext, fileId: string): Promise<void> {
  const f = await openFile(db, ctx, fileId);
  const record = (await records.findRecord(db, ctx.project.id, f.record_id))!;
  requireOnRecordType(ctx.access, record.type as RecordType, 'edit');
  await db.transaction().execute(async (tx) => {
    await repo.markDeleted(tx, f.id, nowIso());
    await noteOnRecord(tx, { projectId: ctx.project.id, recordId: f.record_id, actorId: ctx.access.userId, kind: 'file.removed', changes: [{ field: 'file', old: f.filename, new: null }] });
  });
}

export { toPublic as publicFile };
