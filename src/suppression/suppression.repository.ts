import { sql } from 'kysely';
import type { Executor } from '../store/db.js';
import { suppressionDb, type SuppressionRow } from './suppression.table.js';

/** Suppressed-address rows for these addresses (any case); one query however many. */
export async function findSuppressed(db: Executor, addresses: readonly string[]): Promise<SuppressionRow[]> {
  const wanted = [...new Set(addresses.map((a) => a.trim().toLowerCase()).filter(Boolean))];
  if (wanted.length === 0) return [];
  return suppressionDb(db).selectFrom('suppressed_addresses').selectAll().where('address', 'in', wanted).orderBy('address').execute();
}

/**
 * Adds an address, or keeps the first entry when it is already there: the date shown is when
 * it first bounced, and a second bounce of the same address changes nothing a person acts on.
 * Returns whether a row was added.
 */
export async function insertSuppressed(db: Executor, row: SuppressionRow): Promise<boolean> {
  const res = await suppressionDb(db)
    .insertInto('suppressed_addresses')
    .values({ ...row, address: row.address.toLowerCase(), detail: row.detail.slice(0, 2000) })
    .onConflict((oc) => oc.column('address').doNothing())
    .executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0n) > 0;
}

export async function deleteSuppressed(db: Executor, address: string): Promise<boolean> {
  const res = await suppressionDb(db).deleteFrom('suppressed_addresses').where('address', '=', address.trim().toLowerCase()).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

export interface ListOptions {
  /** Part of the address, any case. */
  q?: string;
  limit: number;
  offset: number;
}

const likeEscape = (text: string) => text.replace(/[\\%_]/g, '\\$&');

export async function listSuppressed(db: Executor, opts: ListOptions): Promise<{ rows: SuppressionRow[]; total: number }> {
  const sdb = suppressionDb(db);
  const filter = opts.q?.trim().toLowerCase();
  const base = sdb
    .selectFrom('suppressed_addresses')
    .$if(Boolean(filter), (q) => q.where(sql<boolean>`address like ${`%${likeEscape(filter ?? '')}%`} escape '\\'`));
  const rows = await base.selectAll().orderBy('created_at', 'desc').orderBy('address').limit(opts.limit).offset(opts.offset).execute();
  const count = await base.select((eb) => eb.fn.countAll<number | string | bigint>().as('n')).executeTakeFirst();
  return { rows, total: Number(count?.n ?? 0) };
}
