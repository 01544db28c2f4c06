import type { Executor } from '../store/db.js';

/**
 * The table of migration 2026_12_02_zzzzz_i16_search, typed next to the feature that owns it.
 * Rows are written by triggers only (on records, emails, comments, files); code reads them.
 * The FTS5 index (SQLite) and the tsvector column (PostgreSQL) are reached with raw SQL.
 */
export type SearchDocsTable = {
  doc_id: number;
  /** What the row copies: a record's own text, one of its emails, comments or files. */
  kind: string;
  source_id: string;
  record_id: string;
  title: string;
  body: string;
};

export type SearchTables = { search_docs: SearchDocsTable };

export function searchDb(db: Executor) {
  return db.withTables<SearchTables>();
}
