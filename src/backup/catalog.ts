import { sql, type Kysely } from 'kysely';
import type { Db, Dialect, Tx } from '../store/db.js';

/**
 * Which tables a backup carries, in an order in which each table comes after the tables its
 * foreign keys point to (so a restore inserts without deferring constraints, which PostgreSQL
 * allows only for constraints declared deferrable).
 *
 * Left out: Kysely's migration bookkeeping (the restore runs its own migrations and compares the
 * names), the search index (`search_docs` and SQLite's FTS5 tables, rebuilt by their triggers as
 * the rows are inserted), and the blob tables (blobs travel as entries of their own, so a backup
 * restores into either blob backend).
 */
const LEFT_OUT = [/^kysely_/, /^sqlite_/, /^search_/, /^blobs$/, /^blob_chunks$/];

/** A catalog query of either database, whatever the app's table types say. */
type AnyDb = Kysely<Record<string, Record<string, unknown>>>;

interface ForeignKey {
  table: string;
  references: string;
}

async function tableNames(db: AnyDb, dialect: Dialect): Promise<string[]> {
  const rows =
    dialect === 'postgres'
      ? (
          await sql<{
            name: string;
          }>`select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(db)
        ).rows
      : (await sql<{ name: string }>`select name from sqlite_master where type = 'table' and sql not like 'CREATE VIRTUAL%'`.execute(db)).rows;
  return rows.map((r) => r.name).filter((name) => !LEFT_OUT.some((re) => re.test(name)));
}

async function foreignKeys(db: AnyDb, dialect: Dialect): Promise<ForeignKey[]> {
  const { rows } =
    dialect === 'postgres'
      ? await sql<ForeignKey>`
          select cl.relname as "table", ref.relname as "references"
          from pg_constraint c
          join pg_class cl on cl.oid = c.conrelid
          join pg_class ref on ref.oid = c.confrelid
          where c.contype = 'f' and cl.relnamespace = current_schema()::regnamespace`.execute(db)
      : await sql<ForeignKey>`
          select m.name as "table", f."table" as "references"
          from sqlite_master m join pragma_foreign_key_list(m.name) f
          where m.type = 'table'`.execute(db);
  return rows;
}

/** The tables to carry, referenced tables first, ties by name (the same order on both databases). */
export async function backupTables(db: AnyDb, dialect: Dialect): Promise<string[]> {
  const names = (await tableNames(db, dialect)).sort();
  const needs = new Map(names.map((n) => [n, new Set<string>()]));
  for (const fk of await foreignKeys(db, dialect)) {
    if (fk.table !== fk.references && needs.has(fk.references)) needs.get(fk.table)?.add(fk.references);
  }
  const ordered: string[] = [];
  const placed = new Set<string>();
  while (ordered.length < names.length) {
    const ready = names.find((n) => !placed.has(n) && [...needs.get(n)!].every((r) => placed.has(r)));
    if (!ready) throw new Error(`foreign keys form a cycle among ${names.filter((n) => !placed.has(n)).join(', ')}`);
    ordered.push(ready);
    placed.add(ready);
  }
  return ordered;
}

/** The names of the migrations this database has run. */
export async function ranMigrations(db: AnyDb): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db);
  return rows.map((r) => r.name);
}

/** The app's database (or a transaction of it) seen table-agnostically, for catalog reads and copies. */
export function asAnyDb(db: Db | Tx): AnyDb {
  return db as unknown as AnyDb;
}
