import { watchMailbox, type MailboxWatch } from '../mail/imap/index.js';
import { WakeLoop } from '../core/loop.js';
import type { Worker } from '../core/module.js';
import type { AppContext } from '../core/context.js';
import { pollOnce, type PollOptions } from './poller.js';
import { loadTrackingSettings, type TrackingSettings } from './trackingSettings.js';
import { DEFAULT_ACCOUNT_ID, listTrackingAccountRows } from '../store/trackingAccounts.repository.js';

/** While the account is not configured, look again this often (a PUT of the settings wakes it at once). */
const UNCONFIGURED_RECHECK_MS = 30_000;
/** Reconnect delays of the IDLE watcher after it loses its connection. */
const WATCH_BACKOFF_MS = [2_000, 5_000, 15_000, 60_000];

/** How often the set of accounts is read again (accounts added or removed by another process). */
const ACCOUNTS_RECHECK_MS = 30_000;

/**
 * The tracking pollers of one server process: one TrackingPoller per tracking account, each
 * with its own interval, IDLE watcher and advisory lock, so a slow or broken mailbox never
 * holds up the others.
 */
export class TrackingPollers {
  private readonly pollers = new Map<string, TrackingPoller>();
  private timer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly ctx: AppContext,
    private readonly opts: PollOptions = {},
  ) {}

  start(): Worker {
    this.resync();
    return { name: 'tracking-pollers', stop: () => this.stop() };
  }

  /** Settings changed or an account was added or removed: read the accounts again and poll them now. */
  wake(): void {
    this.resync(true);
  }

  private resync(wakeAll = false): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    const run = (this.syncing ?? Promise.resolve()).then(() => this.sync(wakeAll));
    this.syncing = run
      .catch((err: unknown) => this.ctx.log.warn({ err }, 'could not read the tracking accounts'))
      .finally(() => {
        if (this.syncing === run) this.syncing = undefined;
        if (this.stopped) return;
        this.timer = setTimeout(() => this.resync(), ACCOUNTS_RECHECK_MS);
        this.timer.unref?.();
      });
  }

  private async sync(wakeAll: boolean): Promise<void> {
    const ids = new Set((await listTrackingAccountRows(this.ctx.store.db)).map((r) => r.id));
    if (this.stopped) return;
    for (const [id, poller] of this.pollers) {
      if (ids.has(id)) continue;
      this.pollers.delete(id);
      await poller.stop();
    }
    for (const id of ids) {
      const existing = this.pollers.get(id);
      if (existing) {
        if (wakeAll) existing.wake();
        continue;
      }
      const poller = new TrackingPoller(this.ctx, this.opts, id);
      this.pollers.set(id, poller);
      poller.start();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.syncing;
    await Promise.all([...this.pollers.values()].map((p) => p.stop()));
    this.pollers.clear();
  }
}

/**
 * The poller of one tracking account in one server process: polls every `pollSeconds`, and for IMAP keeps a
 * second connection in IDLE that wakes it as soon as mail arrives. Polls skip (rather than
 * queue) while another process holds the account's lock: that process is doing the work.
 */
export class TrackingPoller {
  private readonly loop: WakeLoop;
  private watch: MailboxWatch | undefined;
  private watchKey = '';
  private watchAttempt = 0;
  private watchTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: AppContext,
    private readonly opts: PollOptions = {},
    private readonly accountId: string = opts.accountId ?? DEFAULT_ACCOUNT_ID,
  ) {
    this.loop = new WakeLoop({
      round: () => this.cycle(),
      onError: (err) => this.ctx.log.warn({ err }, 'tracking poll cycle failed'),
      retryMs: UNCONFIGURED_RECHECK_MS,
      unref: true,
    });
  }

  private get stopped(): boolean {
    return this.loop.stopped;
  }

  start(): Worker {
    this.loop.start();
    return { name: `tracking-poller:${this.accountId}`, stop: () => this.stop() };
  }

  /** Poll as soon as possible (new mail announced, settings changed). */
  wake(): void {
    this.loop.wake();
  }

  async stop(): Promise<void> {
    const stopping = this.loop.stop();
    if (this.watchTimer) clearTimeout(this.watchTimer);
    await stopping;
    await this.stopWatch();
  }

  /** One poll; returns the delay until the next. */
  private async cycle(): Promise<number> {
    const settings = await loadTrackingSettings(this.ctx.store.db, this.ctx.config.secret, this.accountId);
    if (!settings) {
      await this.stopWatch();
      return UNCONFIGURED_RECHECK_MS;
    }
    await this.ensureWatch(settings);
    const every = Math.max(1, settings.pollSeconds) * 1000;
    try {
      await pollOnce(this.ctx, { ...this.opts, accountId: this.accountId, waitMs: 0, stopRequested: () => this.stopped });
    } catch {
      // Recorded in the poll status (lastPollError) by pollOnce; the next interval retries.
    }
    return every;
  }

  private async ensureWatch(settings: TrackingSettings): Promise<void> {
    const key = settings.protocol === 'imap' ? JSON.stringify([settings.account, settings.security, settings.password, settings.allowSelfSigned]) : '';
    if (key === this.watchKey) return;
    await this.stopWatch();
    this.watchKey = key;
    this.watchAttempt = 0;
    if (key) this.openWatch(settings);
  }

  private openWatch(settings: TrackingSettings): void {
    if (this.stopped) return;
    const key = this.watchKey;
    watchMailbox(
      {
        host: settings.host,
        port: settings.port,
        security: settings.security,
        username: settings.username,
        password: settings.password,
        allowSelfSigned: settings.allowSelfSigned,
      },
      () => this.wake(),
    )
      .then((watch) => {
        if (this.stopped || key !== this.watchKey) return void watch.stop();
        this.watch = watch;
        this.watchAttempt = 0;
        this.ctx.metrics?.idleConnected.set({ account: settings.account }, 1);
        // Mail that arrived while we were not watching.
        this.wake();
        void watch.closed.then(() => {
          if (this.watch !== watch) return;
          this.watch = undefined;
          this.ctx.metrics?.idleConnected.set({ account: settings.account }, 0);
          this.retryWatch(settings);
        });
      })
      .catch((err: unknown) => {
        this.ctx.log.warn({ err }, 'IMAP IDLE watcher could not connect; relying on the poll interval');
        this.retryWatch(settings);
      });
  }

  private retryWatch(settings: TrackingSettings): void {
    if (this.stopped || !this.watchKey) return;
    const delay = WATCH_BACKOFF_MS[Math.min(this.watchAttempt++, WATCH_BACKOFF_MS.length - 1)] ?? 60_000;
    this.watchTimer = setTimeout(() => {
      this.watchTimer = undefined;
      this.openWatch(settings);
    }, delay);
    this.watchTimer.unref?.();
  }

  private async stopWatch(): Promise<void> {
    if (this.watchTimer) clearTimeout(this.watchTimer);
    this.watchTimer = undefined;
    const watch = this.watch;
    this.watch = undefined;
    this.watchKey = '';
    this.ctx.metrics?.idleConnected.reset();
    await watch?.stop().catch(() => undefined);
  }
}
