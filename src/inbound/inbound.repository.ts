import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { nowIso } from '../clock.js';
import { newId } from '../ids.js';
import { splitMessageIds } from '../mail/mime/messageIds.js';
import type { Db, Executor } from '../store/db.js';
import type { InboundState } from '../store/schema.js';
import { inboundDb, type InboundRow, type InboundServerUidsTable } from './inbound.table.js';

/** Plain functions over inbound_messages and inbound_server_uids, taking a Db or a Tx first. */

/** How much of a message is read for its Message-ID before the parser sees it. */
export const HEADER_SCAN_BYTES = 256 * 1024;
/** Longer Message-IDs are junk; the cap keeps the unique index within PostgreSQL's btree row limit. */
const MAX_MESSAGE_ID_CHARS = 500;

/**
 * The Message-ID, read from the raw header block without parsing the message: storing must
 * not depend on the parser, because a message the parser chokes on must still be stored.
 */
export function rawMessageId(raw: Buffer): string | undefined {
  const head = raw.subarray(0, HEADER_SCAN_BYTES).toString('latin1');
  const end = head.search(/\r?\n\r?\n/);
  const block = (end >= 0 ? head.slice(0, end) : head).replace(/\r?\n[ \t]+/g, ' ');
  const value = /^message-id[ \t]*:(.*)$/im.exec(block)?.[1];
  const id = value === undefined ? undefined : splitMessageIds(value)[0];
  return id ? id.slice(0, MAX_MESSAGE_ID_CHARS) : undefined;
}

/**
 * Message-IDs are not unique in the wild (broken mailers reuse them, list software rewrites
 * them), and two different messages with one id must both be kept; the same bytes fetched
 * twice must be kept once. Hence the id together with the content hash (which is also the
 * blob key, so the bytes are hashed once, while they stream to disk).
 */
export function dedupeKey(sha256: string, messageId: string | undefined): string {
  return `${sha256}:${messageId ?? ''}`;
}

export function sha256Hex(raw: Buffer): string {
  return createHash('sha256').update(raw).digest('hex');
}

export interface StoredMessage {
  row: InboundRow;
  /** True when these exact bytes were stored before (fetched again after a crash, or a copy). */
  duplicate: boolean;
}

/**
 * Records one fetched message: its row (state 'stored') and the server id it came from, in
 * one transaction. The blob is written before, content-addressed, so a crash between the two
 * leaves at most an unreferenced file, never a row without its bytes.
 */
export async function recordFetched(
  db: Db,
  input: { account: string; serverUid: string | null; blobKey: string; size: number; head: Buffer },
): Promise<StoredMessage> {
  const messageId = rawMessageId(input.head);
  const key = dedupeKey(input.blobKey, messageId);
  const at = nowIso();
  return db.transaction().execute(async (trx) => {
    const tx = inboundDb(trx);
    const inserted = await tx
      .insertInto('inbound_messages')
      .values({
        id: newId(),
        account: input.account,
        server_uid: input.serverUid,
        dedupe_key: key,
        message_id: messageId ?? null,
        raw_blob: input.blobKey,
        size: input.size,
        from_address: null,
        subject: null,
        state: 'stored',
        reason: null,
        detail: null,
        email_id: null,
        project_id: null,
        received_at: at,
        processed_at: null,
        removed_from_server: 0,
        attempts: 0,
        target_email_id: null,
      })
      .onConflict((oc) => oc.column('dedupe_key').doNothing())
      .returningAll()
      .executeTakeFirst();
    const row = inserted ?? (await tx.selectFrom('inbound_messages').selectAll().where('dedupe_key', '=', key).executeTakeFirstOrThrow());
    if (input.serverUid !== null) {
      await tx
        .insertInto('inbound_server_uids')
        .values({ account: input.account, server_uid: input.serverUid, inbound_id: row.id, note: null, seen_at: at, removed_at: null })
        .onConflict((oc) => oc.columns(['account', 'server_uid']).doNothing())
        .execute();
    }
    return { row: normalize(row), duplicate: inserted === undefined };
  });
}

/** Remembers a server id that was seen but not downloaded (too large), so it is not tried again. */
export async function recordSkipped(db: Executor, account: string, serverUid: string, note: string): Promise<void> {
  await inboundDb(db)
    .insertInto('inbound_server_uids')
    .values({ account, server_uid: serverUid, inbound_id: null, note, seen_at: nowIso(), removed_at: null })
    .onConflict((oc) => oc.columns(['account', 'server_uid']).doNothing())
    .execute();
}

export interface KnownUid {
  serverUid: string;
  inboundId: string | null;
  state: InboundState | null;
  removed: boolean;
}

/** Which of these server ids the account has taken in before, with the state of their message. */
export async function knownServerUids(db: Executor, account: string, uids: string[]): Promise<Map<string, KnownUid>> {
  const out = new Map<string, KnownUid>();
  const idb = inboundDb(db);
  // Chunked: IN lists have parameter limits (SQLite 32766, PostgreSQL 65535).
  for (let i = 0; i < uids.length; i += 500) {
    const chunk = uids.slice(i, i + 500);
    const rows = await idb
      .selectFrom('inbound_server_uids as u')
      .leftJoin('inbound_messages as m', 'm.id', 'u.inbound_id')
      .select(['u.server_uid', 'u.inbound_id', 'u.removed_at', 'm.state'])
      .where('u.account', '=', account)
      .where('u.server_uid', 'in', chunk)
      .execute();
    for (const r of rows) {
      out.set(r.server_uid, { serverUid: r.server_uid, inboundId: r.inbound_id, state: r.state ?? null, removed: r.removed_at !== null });
    }
  }
  return out;
}

/** After the server confirmed the removal (POP3 QUIT, IMAP EXPUNGE). */
export async function markRemovedFromServer(db: Executor, account: string, uids: string[]): Promise<void> {
  if (uids.length === 0) return;
  const at = nowIso();
  const idb = inboundDb(db);
  for (let i = 0; i < uids.length; i += 500) {
    const chunk = uids.slice(i, i + 500);
    await idb.updateTable('inbound_server_uids').set({ removed_at: at }).where('account', '=', account).where('server_uid', 'in', chunk).execute();
    await idb
      .updateTable('inbound_messages')
      .set({ removed_from_server: 1 })
      .where(
        'id',
        'in',
        idb
          .selectFrom('inbound_server_uids')
          .select('inbound_id')
          .where('account', '=', account)
          .where('server_uid', 'in', chunk)
          .where('inbound_id', 'is not', null)
          .$narrowType<{ inbound_id: string }>(),
      )
      .execute();
  }
}

function normalize(row: InboundRow): InboundRow {
  // pg returns bigint columns as numbers here (type parser in db.ts), SQLite as numbers already;
  // attempts may arrive as a string from older drivers.
  return { ...row, size: Number(row.size), attempts: Number(row.attempts) };
}

export async function findInbound(db: Executor, id: string): Promise<InboundRow | undefined> {
  const row = await inboundDb(db).selectFrom('inbound_messages').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? normalize(row) : undefined;
}

/** Messages stored but never decided (a crash between storing and processing). */
export async function listUndecided(db: Executor, account: string | undefined): Promise<InboundRow[]> {
  let q = inboundDb(db).selectFrom('inbound_messages').selectAll().where('state', '=', 'stored');
  if (account !== undefined) q = q.where('account', '=', account);
  return (await q.orderBy('received_at').orderBy('id').execute()).map(normalize);
}

export async function listInbound(db: Executor, opts: { states: InboundState[]; limit: number; before?: string }): Promise<InboundRow[]> {
  let q = inboundDb(db).selectFrom('inbound_messages').selectAll().where('state', 'in', opts.states);
  if (opts.before) q = q.where('id', '<', opts.before);
  return (await q.orderBy('id', 'desc').limit(opts.limit).execute()).map(normalize);
}

export async function listInboundIds(db: Executor, states: InboundState[]): Promise<string[]> {
  const rows = await inboundDb(db).selectFrom('inbound_messages').select('id').where('state', 'in', states).orderBy('id').execute();
  return rows.map((r) => r.id);
}

export type ServerUidInsert = InboundServerUidsTable;

/** Counts by state, for the status page. */
export async function inboundCounts(db: Executor): Promise<Record<string, number>> {
  const rows = await inboundDb(db)
    .selectFrom('inbound_messages')
    .select(['state', sql<number>`count(*)`.as('n')])
    .groupBy('state')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
}
