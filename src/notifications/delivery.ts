import { sql } from 'kysely';
import { clock } from '../clock.js';
import type { AppContext } from '../core/context.js';
import { WakeLoop } from '../core/loop.js';
import type { Worker } from '../core/module.js';
import { emailNotifications } from './notify.js';
import { notificationsDb } from './notifications.repository.js';
import { BATCH_MAX_WAIT_MS, BATCH_QUIET_MS } from './prefs.js';

/**
 * Sends the batched notifications that are due at `now` (the project clock): for each person
 * and record, one email once the record has been quiet for the window, or once the first of them
 * has waited the longest wait. Returns the number of emails queued.
 *
 * Exactly once across processes: each batch is taken by one UPDATE … RETURNING of the rows still
 * pending, in the transaction that queues its email. On PostgreSQL a second process's UPDATE
 * waits for the first to commit, then finds the rows no longer pending and takes none; SQLite
 * has one writer.
 */
export async function deliverDueBatches(ctx: AppContext, now: Date = clock().now()): Promise<number> {
  const db = notificationsDb(ctx.store.db);
  const quietBefore = new Date(now.getTime() - BATCH_QUIET_MS).toISOString();
  const waitedBefore = new Date(now.getTime() - BATCH_MAX_WAIT_MS).toISOString();
  const groups = await db
    .selectFrom('notifications')
    .select(['user_id', 'record_id', sql<string>`max(created_at)`.as('last'), sql<string>`min(created_at)`.as('first')])
    .where('email_state', '=', 'pending')
    .where('delivery', '=', 'batch')
    .groupBy(['user_id', 'record_id'])
    .execute();
  let sent = 0;
  for (const g of groups) {
    if (!(g.last <= quietBefore || g.first <= waitedBefore)) continue;
    await ctx.store.db.transaction().execute(async (tx) => {
      const rows = await notificationsDb(tx)
        .updateTable('notifications')
        .set({ email_state: 'sending' })
        .where('user_id', '=', g.user_id)
        .where('record_id', '=', g.record_id)
        .where('delivery', '=', 'batch')
        .where('email_state', '=', 'pending')
        .returningAll()
        .execute();
      if (rows.length === 0) return;
      rows.sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : 1));
      if (await emailNotifications(ctx, tx, rows)) sent++;
    });
  }
  return sent;
}

/** How often the worker looks for due batches: well inside the quiet window. */
export const DELIVERY_ROUND_MS = 20_000;

/** The background loop of this process that sends due batches. */
export function startDelivery(ctx: AppContext, rounds: ((ctx: AppContext) => Promise<unknown>)[]): Worker {
  const loop = new WakeLoop({
    round: async () => {
      for (const round of rounds) await round(ctx);
      return DELIVERY_ROUND_MS;
    },
    onError: (err) => ctx.log.error({ err }, 'notification delivery round failed'),
    retryMs: DELIVERY_ROUND_MS,
    unref: true,
  });
  loop.start();
  return { name: 'notifications', stop: () => loop.stop() };
}
