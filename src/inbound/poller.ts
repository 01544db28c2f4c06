import { hostname } from 'node:os';
import { nowIso } from '../clock.js';
import { AppError, conflict } from '../errors.js';
import type { AppContext } from '../core/context.js';
import { DEFAULT_ACCOUNT_ID, findTrackingAccountRow, writeTrackingAccountStatus } from '../store/trackingAccounts.repository.js';
import { withAccountLock } from './accountLock.js';
import { knownServerUids, listUndecided, markRemovedFromServer, recordSkipped } from './inbound.repository.js';
import { openMailbox, type MailboxOpener, type MailboxSession } from './mailbox.js';
import { UNTRACKED_STATES, shouldRemoveFromServer, type Outcome } from './outcomes.js';
import { intake, processInbound } from './pipeline.js';
import { awaitDurable } from '../store/durability.js';
import type { InboundState } from '../store/schema.js';
import { loadTrackingSettings, type TrackingSettings } from './trackingSettings.js';

/** The counts of one poll, as the poll route and the status page report them. */
export interface PollResult {
  /** Messages downloaded from the server. */
  fetched: number;
  /** Messages filed on a tracked email: replies, bounces, auto-replies. */
  imported: number;
  /** Forwards queued to the original senders. */
  forwarded: number;
  /** Mail without a valid cookie removed from the server (deleteUntracked). */
  deletedUntracked: number;
  /** Mail without a valid cookie left on the server (fetched once, never again). */
  kept: number;
  /** Messages refused (forged cookie, deleted email, unreadable, …): listed for admins. */
  rejected: number;
}

export interface PollStatus {
  lastPollAt: string | null;
  lastPollError: string | null;
  lastPollResult: PollResult | null;
  /** Which server process ran it (host:pid): with several processes, whichever held the account's lock. */
  lastPollBy: string | null;
}

const THIS_PROCESS = `${hostname()}:${process.pid}`;

/**
 * Test seams at the points where a crash matters. Production passes none. `afterCommit` runs
 * once a message's decision is committed and before it is removed from the server — the
 * window the crash test kills the process in.
 */
export interface PollHooks {
  afterCommit?(info: { uid: string; inboundId: string; state: InboundState }): void | Promise<void>;
}

export interface PollOptions {
  /** The tracking account to poll (tracking_accounts.id); the default account when absent. */
  accountId?: string;
  opener?: MailboxOpener;
  hooks?: PollHooks;
  /** How long to wait for another poll of the account (this or another process) to finish; 0 = skip. */
  waitMs?: number;
  /** Asked before each download: true ends the poll early (shutdown), committing what was decided. */
  stopRequested?: () => boolean;
}

/**
 * Downloads larger than this are not attempted: they stay on the server, remembered as seen,
 * and are counted as rejected. The POP3 and IMAP clients refuse larger ones anyway. The same as
 * the MIME reader's bound (MAX_PARSE_BYTES), so whatever is downloaded is also read.
 */
export const MAX_FETCH_BYTES = 100 * 1024 * 1024;

export const emptyResult = (): PollResult => ({ fetched: 0, imported: 0, forwarded: 0, deletedUntracked: 0, kept: 0, rejected: 0 });

function tally(result: PollResult, outcome: Outcome): void {
  switch (outcome.kind) {
    case 'attached':
      result.imported++;
      if (outcome.forwarded) result.forwarded++;
      return;
    case 'bounce':
    case 'auto_reply':
      result.imported++;
      return;
    case 'rejected':
      result.rejected++;
      return;
    case 'unmatched':
      return;
  }
}

export const NO_POLL_YET: PollStatus = { lastPollAt: null, lastPollError: null, lastPollResult: null, lastPollBy: null };

/** The last poll of an account (the default when absent), kept in the database so every process sees it. */
export async function readPollStatus(ctx: AppContext, accountId: string = DEFAULT_ACCOUNT_ID): Promise<PollStatus> {
  const status = (await findTrackingAccountRow(ctx.store.db, accountId))?.status;
  return status ? { ...NO_POLL_YET, ...(JSON.parse(status) as Partial<PollStatus>) } : NO_POLL_YET;
}

async function writePollStatus(ctx: AppContext, accountId: string, status: PollStatus): Promise<void> {
  await writeTrackingAccountStatus(ctx.store.db, accountId, status).catch((err: unknown) => ctx.log.error({ err }, 'could not record the poll status'));
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * One poll of the tracking account: store raw first, decide second, delete last.
 *
 * 1. Messages stored by an earlier poll but never decided (a crash in between) are decided.
 * 2. The server is listed. An id seen before is never downloaded again; if its message is
 *    filed (or untracked with deleteUntracked) and still there — a crash after the commit
 *    and before the delete — it is removed now.
 * 3. Each new message is streamed to a blob and recorded (state 'stored', deduplicated by
 *    Message-ID + SHA-256) and committed, then decided (its own transaction, which also
 *    queues the forward), then marked for removal.
 * 4. Removals are committed on the server (POP3 QUIT, IMAP EXPUNGE) only after all that, and
 *    after one ordinary commit that makes the poll's deferred commits durable (PostgreSQL;
 *    store/durability.ts); they are recorded once the server confirmed them.
 * A lost connection aborts the poll without removing anything; everything stored so far is
 * kept and the next poll picks up where this one stopped.
 */
export async function pollOnce(ctx: AppContext, opts: PollOptions = {}): Promise<PollResult> {
  const settings = await loadTrackingSettings(ctx.store.db, ctx.config.secret, opts.accountId ?? DEFAULT_ACCOUNT_ID);
  if (!settings) throw conflict('tracking_not_configured', 'The tracking account is not configured (Admin → Email → Tracking).');
  const locked = await withAccountLock(ctx, settings.account, opts.waitMs ?? 0, () => pollLocked(ctx, settings, opts));
  if (!locked.acquired) throw conflict('poll_in_progress', 'Another poll of the tracking account is running; try again in a moment.');
  return locked.value;
}

async function pollLocked(ctx: AppContext, settings: TrackingSettings, opts: PollOptions): Promise<PollResult> {
  const result = emptyResult();
  const startedAt = nowIso();
  const started = performance.now();
  try {
    await pollSteps(ctx, settings, opts, result);
    ctx.metrics?.recordPoll(settings.account, (performance.now() - started) / 1000, true, result);
    // Polls run every few seconds: an idle one at info would bury everything else in the log.
    ctx.log[result.fetched > 0 ? 'info' : 'debug']({ account: settings.account, ...result }, 'tracking poll');
    await writePollStatus(ctx, settings.accountId, { lastPollAt: startedAt, lastPollError: null, lastPollResult: result, lastPollBy: THIS_PROCESS });
    return result;
  } catch (err) {
    ctx.metrics?.recordPoll(settings.account, (performance.now() - started) / 1000, false, result);
    ctx.log.warn({ err, account: settings.account }, 'tracking poll failed');
    await writePollStatus(ctx, settings.accountId, { lastPollAt: startedAt, lastPollError: describe(err), lastPollResult: result, lastPollBy: THIS_PROCESS });
    throw err instanceof AppError ? err : new AppError('unavailable', 'poll_failed', `The tracking poll failed: ${describe(err)}`);
  }
}

async function pollSteps(ctx: AppContext, settings: TrackingSettings, opts: PollOptions, result: PollResult): Promise<void> {
  const db = ctx.store.db;
  const account = settings.account;

  for (const row of await listUndecided(db, account)) tally(result, await processInbound(ctx, row.id, ['stored'], { commit: 'deferred' }));

  const session: MailboxSession = await (opts.opener ?? openMailbox)(settings);
  const removing = new Map<string, InboundState>();
  let removed: string[];
  try {
    const listing = await session.list();
    const known = await knownServerUids(
      db,
      account,
      listing.map((m) => m.uid),
    );
    const remove = async (uid: string, state: InboundState) => {
      await session.markForRemoval(uid);
      removing.set(uid, state);
    };

    for (const m of listing) {
      if (opts.stopRequested?.()) break;
      const seen = known.get(m.uid);
      if (seen) {
        if (seen.state && !seen.removed && shouldRemoveFromServer(seen.state, settings.deleteUntracked)) await remove(m.uid, seen.state);
        continue;
      }
      if (m.size > MAX_FETCH_BYTES) {
        await recordSkipped(db, account, m.uid, `too_large: ${m.size} bytes`);
        ctx.log.warn({ uid: m.uid, size: m.size }, 'tracking mailbox message too large to fetch; left on the server');
        result.rejected++;
        result.kept++;
        continue;
      }

      const got = await intake(ctx, session, account, m);
      if (got.kind === 'unfetched') {
        // Not remembered as seen: the next poll tries it again.
        ctx.log.warn({ err: got.err, uid: m.uid }, 'tracking mailbox message could not be fetched; skipped for now');
        continue;
      }
      result.fetched++;
      if (got.outcome) tally(result, got.outcome);
      const { state } = got;
      await opts.hooks?.afterCommit?.({ uid: m.uid, inboundId: got.inboundId, state });
      if (shouldRemoveFromServer(state, settings.deleteUntracked)) await remove(m.uid, state);
      else if (UNTRACKED_STATES.has(state)) result.kept++;
    }
    // Every decision above committed 'deferred' (PostgreSQL returns before its WAL is on disk).
    // This one ordinary commit flushes the WAL up to here, so they are all durable before the
    // server deletes a single message: POP3 deletes only at QUIT (a session that ends any other
    // way deletes nothing, RFC 1939), IMAP only at EXPUNGE, and both happen in commit().
    if (removing.size > 0) await awaitDurable(ctx.store);
    removed = await session.commit();
  } catch (err) {
    session.abort();
    throw err;
  }
  await markRemovedFromServer(db, account, removed);
  for (const uid of removed) if (UNTRACKED_STATES.has(removing.get(uid) ?? 'stored')) result.deletedUntracked++;
}
