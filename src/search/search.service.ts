import { canOnRecordType } from '../domain/access.js';
import { RECORD_TYPES, isRecordType, parseRecordId, type RecordType } from '../domain/commands.js';
import { badRequest } from '../errors.js';
import type { ProjectContext } from '../projects/index.js';
import { toPublicRecords, type PublicRecord } from '../records/index.js';
import type { Executor } from '../store/db.js';
import * as records from '../store/records.repository.js';
import { searchTerms, snippetParts, type SnippetPart } from './query.js';
import * as repo from './search.repository.js';

/**
 * Most matching rows looked at per search. Results are grouped per record in memory, so this
 * bounds the work of a search for a word that is everywhere; `capped` tells the caller.
 */
export const MAX_DOCS = 1000;

/** step: a test case's step (action, expected) or a test run step's actual result. */
export type HitKind = 'record' | 'email' | 'comment' | 'file' | 'step';

export interface SearchHit {
  /** Where the best match is: the record's own title/description, an email, a comment, a file. */
  kind: HitKind;
  /** The email's, comment's or file's id (the record's id for kind record). */
  id: string;
  /** The email's subject, the file's name; the record's title for kind record. */
  title: string;
  snippet: SnippetPart[];
  /** For email: who wrote it, and when. */
  from?: string;
  direction?: 'outbound' | 'inbound';
  date?: string;
}

export interface SearchResult {
  record: PublicRecord;
  matchedBy: 'id' | 'text';
  score: number;
  /** The best text match, with a highlighted passage; null for a match by id alone. */
  hit: SearchHit | null;
  /** How many of the record's texts matched, by kind. */
  matches: Partial<Record<HitKind, number>>;
}

export interface SearchInput {
  q: string;
  type?: string;
  limit?: number;
  offset?: number;
}

export interface SearchOutput {
  query: string;
  total: number;
  /** More than MAX_DOCS texts matched: total counts only the best of them. */
  capped: boolean;
  results: SearchResult[];
}

/**
 * Records of one project found by id (`DEMO-D4`, `D4`, `#4`) and by the words of their title,
 * description, tracked email (subject and the new part of each reply) and comments, across every
 * record type the caller may view. Email only counts where the caller may read it. Id matches
 * come first; text matches by rank.
 */
export async function search(db: Executor, ctx: ProjectContext, input: SearchInput): Promise<SearchOutput> {
  let types: RecordType[] = RECORD_TYPES.filter((t) => canOnRecordType(ctx.access, t, 'view'));
  if (input.type !== undefined) {
    if (!isRecordType(input.type)) throw badRequest('invalid_record_type', `Record type must be one of ${RECORD_TYPES.join(', ')}.`);
    types = types.filter((t) => t === input.type);
  }
  const emailTypes = types.filter((t) => canOnRecordType(ctx.access, t, 'viewTrackedEmail'));
  const limit = Math.min(input.limit ?? 20, 100);
  const offset = input.offset ?? 0;

  const id = parseRecordId(input.q, ctx.project.key);
  const byId = id && types.length
    ? await records.listRecords(db, ctx.project.id, { types, ids: [id], sort: 'number', order: 'asc', limit: 50, offset: 0 })
    : [];
  const terms = searchTerms(input.q);
  const docs = await repo.matchDocs(db, terms, { projectId: ctx.project.id, types, emailTypes, limit: MAX_DOCS });

  // One entry per record, in order: ids first, then the record of each next-best text.
  const order: { recordId: string; matchedBy: 'id' | 'text'; best?: repo.DocHit; matches: Partial<Record<HitKind, number>> }[] = [];
  const byRecord = new Map<string, (typeof order)[number]>();
  for (const r of byId) {
    const entry = { recordId: r.id, matchedBy: 'id' as const, matches: {} };
    order.push(entry);
    byRecord.set(r.id, entry);
  }
  for (const d of docs) {
    let entry = byRecord.get(d.recordId);
    if (!entry) {
      entry = { recordId: d.recordId, matchedBy: 'text', matches: {} };
      order.push(entry);
      byRecord.set(d.recordId, entry);
    }
    entry.best ??= d;
    const kind = d.kind as HitKind;
    entry.matches[kind] = (entry.matches[kind] ?? 0) + 1;
  }

  const page = order.slice(offset, offset + limit);
  const rows = new Map(byId.map((r) => [r.id, r]));
  for (const e of page) {
    if (!rows.has(e.recordId)) {
      const row = await records.findRecord(db, ctx.project.id, e.recordId);
      if (row) rows.set(row.id, row);
    }
  }
  const publicRows = await toPublicRecords(db, ctx.project, page.flatMap((e) => (rows.has(e.recordId) ? [rows.get(e.recordId)!] : [])));
  const publicById = new Map(publicRows.map((r) => [r.id, r]));
  const bestDocs = page.flatMap((e) => (e.best ? [e.best] : []));
  const marked = await repo.snippets(db, terms, bestDocs.map((d) => d.docId));
  const emailIds = bestDocs.filter((d) => d.kind === 'email').map((d) => d.sourceId);
  const emails = new Map(
    (emailIds.length
      ? await db.selectFrom('emails').select(['id', 'from_name', 'from_address', 'direction', 'date']).where('id', 'in', emailIds).execute()
      : []
    ).map((e) => [e.id, e]),
  );

  const results: SearchResult[] = [];
  for (const e of page) {
    const record = publicById.get(e.recordId);
    if (!record) continue;
    let hit: SearchHit | null = null;
    if (e.best) {
      const m = marked.get(e.best.docId);
      const email = e.best.kind === 'email' ? emails.get(e.best.sourceId) : undefined;
      hit = {
        kind: e.best.kind as HitKind,
        id: e.best.sourceId,
        title: m?.title ?? record.title,
        snippet: snippetParts(m?.marked ?? ''),
        ...(email ? { from: email.from_name ? `${email.from_name} <${email.from_address}>` : email.from_address, direction: email.direction, date: email.date } : {}),
      };
    }
    results.push({ record, matchedBy: e.matchedBy, score: e.best?.score ?? 0, hit, matches: e.matches });
  }
  return { query: input.q, total: order.length, capped: docs.length >= MAX_DOCS, results };
}
