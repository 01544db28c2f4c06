import { conflict, notFound } from '../errors.js';
import type { AppContext } from '../core/context.js';
import type { Readable } from 'node:stream';
import { nowIso } from '../clock.js';
import type { Tx } from '../store/db.js';
import type { RecordMail } from '../domain/record.js';
import { findEmail } from '../store/emails.repository.js';
import { dbFor, type CommitMode } from '../store/durability.js';
import type { InboundState } from '../store/schema.js';
import { classifyStage } from './classify.js';
import type { Decision } from './decision.js';
import { AlreadyDecided, fileMessage, fileSetAside, prepareFiling } from './fileInbound.js';
import { forwardStage } from './forward.js';
import { findInbound, type StoredMessage } from './inbound.repository.js';
import { inboundDb, type InboundRow } from './inbound.table.js';
import { isMessageLevelError, type RemoteMessage } from './mailbox.js';
import { matchStage } from './match.js';
import { REASONS, stateOf, type Outcome, type RejectReason, type UnmatchedReason } from './outcomes.js';
import { parseStage } from './parse.js';
import { storeStage } from './store.js';

/**
 * The inbound path, one stage per file, each calling no later one:
 *
 *   fetch (mailbox.ts) → store (store.ts) → parse (parse.ts) → classify (classify.ts)
 *   → match (match.ts) → file (fileInbound.ts) → forward (forward.ts)
 *
 * This file is the one place that calls them in that order. Parse, classify and match only
 * read and end in a `Decision`; file and forward write it in one transaction whose first
 * statement claims the row. Every expected outcome is a value (outcomes.ts); an unexpected
 * error is caught here and becomes `processing_failed`, so one bad message never stops the
 * poller and stays stored for reprocessing.
 */

/** States a message may be (re)decided from. 'attached', 'bounce' and 'auto_reply' are final. */
export const REPROCESSABLE: readonly InboundState[] = ['stored', 'unmatched', 'rejected', 'dismissed'];

/** What became of one message the server listed. */
export type Intake =
  /** The server could not give this one message (it is not remembered: the next poll tries again). */
  | { kind: 'unfetched'; err: unknown }
  /** Stored (or found stored before: a duplicate), and decided unless it was decided before. */
  | { kind: 'stored'; inboundId: string; state: InboundState; outcome?: Outcome };

/** fetch → store → (parse … forward) for one message of a poll; the poller commits removals. */
export async function intake(ctx: AppContext, session: { fetch(m: RemoteMessage): Promise<Readable> }, account: string, m: RemoteMessage): Promise<Intake> {
  let stored: StoredMessage;
  try {
    stored = await storeStage(ctx, account, m, await session.fetch(m));
  } catch (err) {
    if (!isMessageLevelError(err)) throw err;
    return { kind: 'unfetched', err };
  }
  const { row } = stored;
  if (row.state !== 'stored') return { kind: 'stored', inboundId: row.id, state: row.state };
  const outcome = await decideStored(ctx, row, 'deferred');
  // The row says what happened when another process decided it first.
  const state = (await findInbound(ctx.store.db, row.id))?.state ?? stateOf(outcome);
  return { kind: 'stored', inboundId: row.id, state, outcome };
}

/** parse → classify → match → file → forward for a stored message; never throws for the message's sake. */
async function decideStored(ctx: AppContext, row: InboundRow, commit: CommitMode | undefined): Promise<Outcome> {
  try {
    const parsed = await parseStage(ctx, row);
    const classified = parsed.kind === 'parsed' ? await classifyStage(ctx, row, parsed.msg) : parsed;
    const decision = classified.kind === 'classified' ? await matchStage(ctx, classified) : classified;
    return await fileAndForward(ctx, row, decision, commit);
  } catch (err) {
    if (err instanceof AlreadyDecided) {
      const now = await findInbound(ctx.store.db, row.id);
      return (now && outcomeOfRow(now)) ?? { kind: 'rejected', reason: 'processing_failed', detail: 'decided concurrently' };
    }
    return recordFailure(ctx, row, err);
  }
}

/**
 * file → forward: the decision written and its forwards queued in one transaction. Admin
 * actions (manual.ts) enter here with a decision of their own; AlreadyDecided says another
 * process filed the message first.
 */
export async function fileAndForward(ctx: AppContext, row: InboundRow, d: Decision, commit: CommitMode = 'durable'): Promise<Outcome> {
  const transact = <T>(fn: (tx: Tx) => Promise<T>) => dbFor(ctx.store, commit).transaction().execute(fn);
  if (d.kind === 'unmatched' || d.kind === 'rejected') return transact((tx) => fileSetAside(tx, row, d));
  // Slow work (attachment blobs, sanitising, trimming, mail authentication) before the transaction opens.
  const prepared = await prepareFiling(ctx, row, d);
  return transact(async (tx) => {
    const filed = await fileMessage(ctx, tx, row, d, prepared);
    const outcome = filed.forward ? { ...filed.outcome, forwarded: (await forwardStage(tx, filed.forward)) > 0 } : filed.outcome;
    await tellRecord(ctx, tx, outcome, prepared.from);
    return outcome;
  });
}

/**
 * After file and forward, in their transaction: the record's mail hooks (rules on
 * `email.received` / `email.bounced`), the one place every filed reply, import and bounce passes.
 */
async function tellRecord(ctx: AppContext, tx: Tx, outcome: Outcome, from: string): Promise<void> {
  const handlers = ctx.recordMailHandlers ?? [];
  if (handlers.length === 0 || (outcome.kind !== 'attached' && outcome.kind !== 'bounce')) return;
  const email = await findEmail(tx, outcome.inboundEmailId);
  if (!email?.record_id) return;
  const mail: RecordMail = {
    kind: outcome.kind === 'bounce' ? 'email.bounced' : 'email.received',
    projectId: email.project_id,
    recordId: email.record_id,
    emailId: email.id,
    at: nowIso(),
    from,
  };
  for (const handle of handlers) await handle(tx, mail);
}

/**
 * Decides one stored message. `allowFrom` says which states it may be (re)decided from: the
 * poller passes ['stored'], "reprocess" the whole REPROCESSABLE list. `commit` 'deferred' is
 * for the poller alone, which makes the decisions durable before the server deletes anything
 * (store/durability.ts).
 */
export async function processInbound(
  ctx: AppContext,
  inboundId: string,
  allowFrom: readonly InboundState[] = ['stored'],
  opts: { commit?: CommitMode } = {},
): Promise<Outcome> {
  const row = await findInbound(ctx.store.db, inboundId);
  if (!row) throw notFound('inbound_not_found', `No inbound message ${inboundId}.`);
  if (!allowFrom.includes(row.state)) {
    throw conflict('inbound_already_filed', `Inbound message ${inboundId} is already ${row.state}; only ${allowFrom.join(', ')} messages can be processed.`);
  }
  return decideStored(ctx, row, opts.commit);
}

/**
 * A failure of the machine, not of the message: the database connection lost (a PostgreSQL
 * restart), the disk full, a lock timeout. Filing the message as processing_failed would leave
 * a valid reply waiting for an admin (and, with deleteUntracked, remove it from the server).
 */
export function isPassingFailure(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    if (['ENOSPC', 'EDQUOT', 'EIO', 'EMFILE', 'ENFILE', 'EROFS', 'EAGAIN', 'EBUSY', 'ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE'].includes(code))
      return true;
    // PostgreSQL: connection exception, insufficient resources (disk full), operator
    // intervention (shutdown, terminated backend), serialization failure and deadlock.
    if (/^(08|53|57P)/.test(code) || code === '40001' || code === '40P01') return true;
    if (/^SQLITE_(BUSY|LOCKED|FULL|IOERR)/.test(code)) return true;
  }
  // node-postgres reports a socket closed under a query without a code.
  return err instanceof Error && /Connection terminated|not queryable|Client was closed/i.test(err.message);
}

/** Records an unexpected failure as `processing_failed`, keeping the message reprocessable. */
async function recordFailure(ctx: AppContext, row: InboundRow, err: unknown): Promise<Outcome> {
  const detail = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  if (isPassingFailure(err)) {
    // Nothing is wrong with the message: it stays 'stored' and the next poll decides it again.
    ctx.log.warn({ err, inboundId: row.id }, 'inbound message processing failed for a passing reason; the next poll retries it');
    return { kind: 'rejected', reason: 'processing_failed', detail };
  }
  ctx.log.error({ err, inboundId: row.id }, 'inbound message processing failed');
  try {
    await inboundDb(ctx.store.db)
      .updateTable('inbound_messages')
      .set({ state: 'rejected', reason: 'processing_failed', detail: detail.slice(0, 2000), attempts: row.attempts + 1, processed_at: nowIso() })
      .where('id', '=', row.id)
      .where('state', '=', row.state)
      .execute();
  } catch (writeErr) {
    // The database itself is failing; the row stays 'stored' and the next poll tries again.
    ctx.log.error({ err: writeErr, inboundId: row.id }, 'could not record the processing failure');
  }
  return { kind: 'rejected', reason: 'processing_failed', detail };
}

/** The outcome a decided message already has (for duplicates and races). */
export function outcomeOfRow(row: InboundRow): Outcome | undefined {
  switch (row.state) {
    case 'attached':
      return {
        kind: 'attached',
        inboundEmailId: row.email_id ?? '',
        originalId: row.target_email_id,
        projectId: row.project_id ?? '',
        forwarded: false,
        unexpectedSender: false,
        via: 'manual',
      };
    case 'bounce':
      return { kind: 'bounce', inboundEmailId: row.email_id ?? '', originalId: row.target_email_id ?? '', projectId: row.project_id ?? '', hard: false };
    case 'auto_reply':
      return { kind: 'auto_reply', inboundEmailId: row.email_id ?? '', originalId: row.target_email_id ?? '', projectId: row.project_id ?? '' };
    case 'unmatched':
      return { kind: 'unmatched', reason: (row.reason ?? 'no_cookie') as UnmatchedReason };
    case 'rejected':
    case 'dismissed':
      return { kind: 'rejected', reason: (row.reason && row.reason in REASONS ? row.reason : 'processing_failed') as RejectReason };
    default:
      return undefined;
  }
}
