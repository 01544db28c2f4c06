import { PostgresAdapter, sql } from 'kysely';
import type { Executor } from '../store/db.js';
import { HIT_END, HIT_START, fts5Query, tsQuery, type SearchTerms } from './query.js';

/** One matching row of search_docs, best first. `score`: higher is better on both databases. */
export interface DocHit {
  docId: number;
  kind: string;
  sourceId: string;
  recordId: string;
  score: number;
}

export interface SearchScope {
  projectId: string;
  /** Record types the caller may view. */
  types: string[];
  /** Of those, the types whose tracked email the caller may read: other email rows never match. */
  emailTypes: string[];
  limit: number;
}

const isPostgres = (db: Executor) => db.getExecutor().adapter instanceof PostgresAdapter;
// `in ()` is a syntax error on PostgreSQL; a value no record type has keeps the query valid.
const list = (xs: string[]) => sql.join(xs.length ? xs : ['-']);

/**
 * Rows whose text holds every term, limited to one project and to what the caller may see.
 * SQLite ranks with FTS5's bm25 (titles count three times), PostgreSQL with ts_rank over
 * weighted vectors (titles A, bodies B).
 */
export async function matchDocs(db: Executor, terms: SearchTerms, scope: SearchScope): Promise<DocHit[]> {
  if (terms.words.length === 0 || scope.types.length === 0) return [];
  const where = sql`r.project_id = ${scope.projectId} and r.type in (${list(scope.types)}) and (d.kind <> 'email' or r.type in (${list(scope.emailTypes)}))`;
  const rows = isPostgres(db)
    ? await sql<{ doc_id: number; kind: string; source_id: string; record_id: string; score: number }>`
        select d.doc_id, d.kind, d.source_id, d.record_id, ts_rank(d.tsv, q) as score
        from search_docs d join records r on r.id = d.record_id, to_tsquery('english', ${tsQuery(terms)}) q
        where d.tsv @@ q and ${where}
        order by score desc, d.doc_id limit ${scope.limit}`.execute(db)
    : await sql<{ doc_id: number; kind: string; source_id: string; record_id: string; score: number }>`
        select d.doc_id, d.kind, d.source_id, d.record_id, -bm25(search_fts, 3.0, 1.0) as score
        from search_fts join search_docs d on d.doc_id = search_fts.rowid join records r on r.id = d.record_id
        where search_fts match ${fts5Query(terms)} and ${where}
        order by score desc, d.doc_id limit ${scope.limit}`.execute(db);
  return rows.rows.map((r) => ({ docId: Number(r.doc_id), kind: r.kind, sourceId: r.source_id, recordId: r.record_id, score: Number(r.score) }));
}

/** For each doc: its title, and the passage that matched, with HIT_START/HIT_END around each match. */
export async function snippets(db: Executor, terms: SearchTerms, docIds: number[]): Promise<Map<number, { title: string; marked: string }>> {
  if (docIds.length === 0 || terms.words.length === 0) return new Map();
  const out = new Map<number, { title: string; marked: string }>();
  if (isPostgres(db)) {
    // ts_headline reads the whole text: only for the few rows on the page.
    const opts = `StartSel="${HIT_START}", StopSel="${HIT_END}", MaxWords=28, MinWords=12, MaxFragments=2, FragmentDelimiter=" … "`;
    const rows = await sql<{ doc_id: number; title: string; body_snip: string; title_snip: string }>`
      select d.doc_id, d.title, ts_headline('english', d.body, q, ${opts}) as body_snip,
        ts_headline('english', d.title, q, ${`StartSel="${HIT_START}", StopSel="${HIT_END}", HighlightAll=true`}) as title_snip
      from search_docs d, to_tsquery('english', ${tsQuery(terms)}) q
      where d.doc_id in (${sql.join(docIds)})`.execute(db);
    for (const r of rows.rows) {
      const marked = r.body_snip.includes(HIT_START) || !r.title_snip.includes(HIT_START) ? r.body_snip : r.title_snip;
      out.set(Number(r.doc_id), { title: r.title, marked });
    }
    return out;
  }
  const rows = await sql<{ doc_id: number; title: string; snip: string }>`
    select d.doc_id, d.title, snippet(search_fts, -1, ${HIT_START}, ${HIT_END}, '…', 24) as snip
    from search_fts join search_docs d on d.doc_id = search_fts.rowid
    where search_fts match ${fts5Query(terms)} and search_fts.rowid in (${sql.join(docIds)})`.execute(db);
  for (const r of rows.rows) out.set(Number(r.doc_id), { title: r.title, marked: r.snip });
  return out;
}
