import type { AppContext } from '../core/context.js';
import type { InboundState } from '../store/schema.js';
import { listInboundIds } from './inbound.repository.js';
import type { Outcome } from './outcomes.js';
import { REPROCESSABLE, processInbound } from './pipeline.js';

export interface ReprocessReport {
  /** One entry per message, in id order. */
  results: ({ id: string; outcome: Outcome } | { id: string; error: { code: string; message: string } })[];
  /** How many ended in each outcome kind (`attached`, `rejected:cookie_forged`, …). */
  counts: Record<string, number>;
}

/** By default: everything not yet filed and not set aside by an admin. */
const DEFAULT_STATES: readonly InboundState[] = ['stored', 'unmatched', 'rejected'];

/**
 * `mailtrail inbound reprocess [ids…]`: runs stored messages through the pipeline again, e.g.
 * after a fix for a processing failure, after a project turned tracking back on, or to retry
 * everything refused. Messages already filed are left alone. Removal from the tracking
 * account follows at the next poll (the poller removes filed messages it still sees there).
 */
export async function reprocessInbound(ctx: AppContext, ids?: readonly string[]): Promise<ReprocessReport> {
  const targets = ids && ids.length > 0 ? [...ids] : await listInboundIds(ctx.store.db, [...DEFAULT_STATES]);
  const report: ReprocessReport = { results: [], counts: {} };
  for (const id of targets) {
    try {
      const outcome = await processInbound(ctx, id, REPROCESSABLE);
      report.results.push({ id, outcome });
      const key = outcome.kind === 'rejected' || outcome.kind === 'unmatched' ? `${outcome.kind}:${outcome.reason}` : outcome.kind;
      report.counts[key] = (report.counts[key] ?? 0) + 1;
    } catch (err) {
      const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : 'error';
      report.results.push({ id, error: { code, message: err instanceof Error ? err.message : String(err) } });
      report.counts.error = (report.counts.error ?? 0) + 1;
    }
  }
  return report;
}
