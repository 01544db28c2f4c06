import { sql } from 'kysely';
import { clock, nowIso } from '../clock.js';
import { newId } from '../ids.js';
import type { Dialect, Executor } from '../store/db.js';
import type { OutboxRow } from '../store/schema.js';

/**
 * The durable outbox. An entry is written in the same transaction as its email, so an email
 * exists if and only if it will be sent. Workers claim due entries with a lease: a worker that
 * dies mid-send leaves a lease that expires, and the entry is sent again (same raw message,
 * same Message-ID) — at most one resend per crash, never a lost email.
 */
export const LEASE_MS = 120_000;
export const MAX_ATTEMPTS = 12;

export async function enqueueOutbox(tx: Executor, entry: { kind: 'send' | 'forward'; emailId: string; forwardTo?: string | null }): Promise<string> {
  const id = newId();
  const at = nowIso();
  await tx
    .insertInto('outbox')
    .values({
      id,
      kind: entry.kind,
      email_id: entry.emailId,
      forward_to: entry.forwardTo ?? null,
      state: 'pending',
      attempts: 0,
      next_attempt_at: at,
      lease_owner: null,
      lease_until: null,
      last_error: null,
      created_at: at,
      done_at: null,
    })
    .execute();
  return id;
}

/**
 * Gives back claimed entries that were never attempted (a sender shutting down mid-batch), so
 * another process sends them now instead of after the lease; the claim's attempt is undone.
 */
export async function releaseOutbox(db: Executor, ids: string[], owner: string): Promise<number> {
  if (ids.length === 0) return 0;
  const res = await db
    .updateTable('outbox')
    .set((eb) => ({ lease_owner: null, lease_until: null, attempts: eb('attempts', '-', 1) }))
    .where('id', 'in', ids)
    .where('lease_owner', '=', owner)
    .where('state', '=', 'pending')
    .executeTakeFirst();
  return Number(res.numUpdatedRows);
}

/** Claims up to `limit` due entries for `owner`. SKIP LOCKED lets several processes claim side by side. */
export async function claimOutbox(db: Executor, dialect: Dialect, owner: string, limit: number): Promise<OutboxRow[]> {
  const now = clock().now();
  const at = now.toISOString();
  const until = new Date(now.getTime() + LEASE_MS).toISOString();
  const lock = dialect === 'postgres' ? sql`for update skip locked` : sql``;
  const result = await sql<OutboxRow>`
    update outbox set lease_owner = ${owner}, lease_until = ${until}, attempts = attempts + 1
    where id in (
      select id from outbox
      where state = 'pending' and next_attempt_at <= ${at} and (lease_until is null or lease_until < ${at})
      order by next_attempt_at, id
      limit ${limit}
      ${lock}
    )
    returning *`.execute(db);
  return result.rows.map((r) => ({ ...r, attempts: Number(r.attempts) }));
}

export async function markOutboxDone(db: Executor, id: string, owner: string): Promise<boolean> {
  const res = await db
    .updateTable('outbox')
    .set({ state: 'done', done_at: nowIso(), lease_owner: null, lease_until: null, last_error: null })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/** Exponential backoff: 5 s, 10 s, 20 s … capped at 30 min. */
export function backoffMs(attempts: number): number {
  return Math.min(5_000 * 2 ** Math.max(0, attempts - 1), 30 * 60_000);
}

export async function markOutboxRetry(db: Executor, id: string, owner: string, attempts: number, error: string): Promise<void> {
  const next = new Date(clock().now().getTime() + backoffMs(attempts)).toISOString();
  await db
    .updateTable('outbox')
    .set({ next_attempt_at: next, lease_owner: null, lease_until: null, last_error: error })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .execute();
}

export async function markOutboxFailed(db: Executor, id: string, owner: string, error: string): Promise<void> {
  await db
    .updateTable('outbox')
    .set({ state: 'failed', done_at: nowIso(), lease_owner: null, lease_until: null, last_error: error })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .execute();
}

export async function outboxCounts(db: Executor): Promise<{ pending: number; failed: number }> {
  const rows = await db
    .selectFrom('outbox')
    .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
    .where('state', 'in', ['pending', 'failed'])
    .groupBy('state')
    .execute();
  const n = (s: string) => Number(rows.find((r) => r.state === s)?.n ?? 0);
  return { pending: n('pending'), failed: n('failed') };
}
