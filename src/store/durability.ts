import { sql } from 'kysely';
import type { Db, Store } from './db.js';

/**
 * When a transaction's commit may return.
 *
 * - `durable` (the default everywhere): once the commit is on disk. PostgreSQL flushes its WAL
 *   (an fdatasync) at every commit; the import made two or three per reply, and waiting for
 *   them was most of its time on PostgreSQL.
 * - `deferred`: as soon as the commit is visible. PostgreSQL writes it to disk on its own
 *   within a few hundred milliseconds (wal_writer_delay); a crash of the database server in
 *   between loses the transaction whole (never half of it), a crash of our process loses
 *   nothing. Only for work that is done again when lost — the inbound import, whose messages
 *   stay on the mail server until `awaitDurable` has returned — and never for a decision
 *   someone is told about. Other sessions see a deferred commit before it is durable; one
 *   that acts on it outside the database must commit something ordinarily first (the outbox
 *   sender's claim does: that commit flushes the WAL up to and past the deferred one).
 *
 * SQLite runs with synchronous=NORMAL in WAL mode (store/db.ts): its commits never wait for the
 * disk and a process crash loses none of them, so both modes are the same there.
 */
export type CommitMode = 'durable' | 'deferred';

/** The database to open a transaction on that may commit in `mode`. */
export function dbFor(store: Store, mode: CommitMode): Db {
  return mode === 'deferred' ? (store.deferred ?? store.db) : store.db;
}

/**
 * Returns once every commit made before the call — deferred ones included, by any session — is
 * as durable as an ordinary commit. PostgreSQL writes one WAL and flushes it in order, so an
 * ordinary commit waits for the flush of everything logged before its own commit record.
 *
 * The commit only waits when its transaction wrote WAL (RecordTransactionCommit): an empty or
 * read-only transaction, or one that only took a transaction id (`select txid_current()`),
 * commits without any flush, which the test of this function showed. So it logs one record: a
 * transactional logical-decoding message (no table touched, nothing to clean up; executable by
 * any role, at any wal_level; logical decoding consumers ignore the "mailtrail" prefix). It uses
 * the server's synchronous_commit, so it is exactly as durable as any other commit of ours
 * (including waiting for synchronous standbys where the server is set up for them).
 */
export async function awaitDurable(store: Store): Promise<void> {
  if (store.dialect !== 'postgres') return;
  await store.db.transaction().execute(async (tx) => {
    await sql`select pg_logical_emit_message(true, 'mailtrail', 'durable')`.execute(tx);
  });
}
