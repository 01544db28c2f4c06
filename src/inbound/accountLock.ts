import { sql } from 'kysely';
import type { AppContext } from '../core/context.js';
import { advisoryLockKey } from './trackingSettings.js';

/**
 * One poll at a time per tracking account. Within a process, a promise chain per account; across
 * processes on PostgreSQL, a session-level advisory lock held on one dedicated connection for
 * the whole poll (if that connection dies, PostgreSQL releases the lock with it, so a crashed
 * poller never blocks the others). SQLite deployments are one process, so the chain suffices.
 */
const chains = new Map<string, Promise<unknown>>();

export type LockResult<T> = { acquired: true; value: T } | { acquired: false };

const RETRY_MS = 200;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function withInProcessLock<T>(account: string, waitMs: number, fn: () => Promise<T>): Promise<LockResult<T>> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const previous = chains.get(account);
    if (!previous) break;
    if (Date.now() >= deadline) return { acquired: false };
    await Promise.race([previous.catch(() => undefined), sleep(Math.max(1, Math.min(RETRY_MS, deadline - Date.now())))]);
  }
  const running = fn();
  chains.set(account, running);
  try {
    return { acquired: true, value: await running };
  } finally {
    if (chains.get(account) === running) chains.delete(account);
  }
}

export async function withAccountLock<T>(ctx: AppContext, account: string, waitMs: number, fn: () => Promise<T>): Promise<LockResult<T>> {
  return withInProcessLock(account, waitMs, async () => {
    if (ctx.store.dialect !== 'postgres') return fn();
    const key = advisoryLockKey(account);
    const deadline = Date.now() + waitMs;
    // The lock belongs to the session that took it: take, use and release it on one connection.
    const outcome = await ctx.store.db.connection().execute(async (conn): Promise<LockResult<T>> => {
      for (;;) {
        const got = await sql<{ locked: boolean }>`select pg_try_advisory_lock(${key}::bigint) as locked`.execute(conn);
        if (got.rows[0]?.locked) break;
        if (Date.now() >= deadline) return { acquired: false };
        await sleep(RETRY_MS);
      }
      try {
        return { acquired: true, value: await fn() };
      } finally {
        await sql`select pg_advisory_unlock(${key}::bigint)`.execute(conn).catch(() => undefined);
      }
    });
    if (!outcome.acquired) throw new LockBusy();
    return outcome.value;
  }).catch((err: unknown) => {
    if (err instanceof LockBusy) return { acquired: false } as const;
    throw err;
  });
}

class LockBusy extends Error {}
