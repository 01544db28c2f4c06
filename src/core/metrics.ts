import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The process's Prometheus series. One instance per AppContext (a test process runs several
 * servers), so each has its own registry. Workers record into it through `ctx.metrics`; series
 * read from the database (outbox depth, poll lag, pool use) are filled in at scrape time by
 * collectors that src/metrics/index.ts binds to the context.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly outboxEntries = new Gauge({
    name: 'mailtrail_outbox_entries',
    help: 'Outbox entries by state (pending includes those being retried)',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });
  readonly outboxOldestPendingSeconds = new Gauge({
    name: 'mailtrail_outbox_oldest_pending_seconds',
    help: 'Age of the oldest pending outbox entry',
    registers: [this.registry],
  });
  readonly sendDuration = new Histogram({
    name: 'mailtrail_send_duration_seconds',
    help: 'SMTP hand-over of one message (send or forward), by outcome',
    labelNames: ['kind', 'outcome'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly sendFailures = new Counter({
    name: 'mailtrail_send_failures_total',
    help: 'Failed SMTP sends by SMTP reply code class (4xx, 5xx; "network" when no reply came) and whether they will be retried',
    labelNames: ['code_class', 'permanent'] as const,
    registers: [this.registry],
  });
  readonly pollDuration = new Histogram({
    name: 'mailtrail_poll_duration_seconds',
    help: 'One poll of a tracking account, by result',
    labelNames: ['account', 'result'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });
  readonly messagesFetched = new Counter({
    name: 'mailtrail_messages_fetched_total',
    help: 'Messages downloaded from a tracking account',
    labelNames: ['account'] as const,
    registers: [this.registry],
  });
  readonly messagesProcessed = new Counter({
    name: 'mailtrail_messages_processed_total',
    help: 'Fetched messages by outcome: imported (filed on a tracked email), rejected, kept (untracked, left on the server), deleted_untracked',
    labelNames: ['account', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly pollLag = new Gauge({
    name: 'mailtrail_poll_lag_seconds',
    help: 'Seconds since the last poll of the tracking account by any process',
    labelNames: ['account'] as const,
    registers: [this.registry],
  });
  readonly pollFailing = new Gauge({
    name: 'mailtrail_poll_failing',
    help: '1 when the last poll of the account failed',
    labelNames: ['account'] as const,
    registers: [this.registry],
  });
  readonly idleConnected = new Gauge({
    name: 'mailtrail_imap_idle_connected',
    help: '1 while this process holds an IMAP IDLE connection to the account',
    labelNames: ['account'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'mailtrail_http_request_duration_seconds',
    help: 'HTTP requests by route template, method and status class',
    labelNames: ['method', 'route', 'status_class'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [this.registry],
  });
  readonly dbPool = new Gauge({
    name: 'mailtrail_db_pool_connections',
    help: 'Database pool connections: total, idle, waiting (clients queued for one)',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });
  readonly workersRunning = new Gauge({
    name: 'mailtrail_workers_running',
    help: 'Background workers running in this process',
    labelNames: ['worker'] as const,
    registers: [this.registry],
  });

  constructor() {
    // Event-loop lag (nodejs_eventloop_lag_seconds and percentiles), heap, GC, CPU, fds.
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 20 });
  }

  /** Adds a scrape-time collector. Failures of one (database down) leave the others' series. */
  readonly collectors: (() => Promise<void>)[] = [];

  async render(): Promise<string> {
    await Promise.all(this.collectors.map((c) => c().catch(() => undefined)));
    return this.registry.metrics();
  }

  recordSend(kind: string, seconds: number, outcome: 'sent' | 'retry' | 'failed', failure?: { code?: number; permanent: boolean }): void {
    this.sendDuration.observe({ kind, outcome }, seconds);
    if (failure) this.sendFailures.inc({ code_class: codeClass(failure.code), permanent: String(failure.permanent) });
  }

  recordPoll(
    account: string,
    seconds: number,
    ok: boolean,
    result: { fetched: number; imported: number; rejected: number; kept: number; deletedUntracked: number },
  ): void {
    this.pollDuration.observe({ account, result: ok ? 'ok' : 'error' }, seconds);
    this.messagesFetched.inc({ account }, result.fetched);
    for (const [outcome, n] of [
      ['imported', result.imported],
      ['rejected', result.rejected],
      ['kept', result.kept],
      ['deleted_untracked', result.deletedUntracked],
    ] as const) {
      this.messagesProcessed.inc({ account, outcome }, n);
    }
  }
}

export function codeClass(code: number | undefined): string {
  return code !== undefined && code >= 200 && code < 600 ? `${Math.floor(code / 100)}xx` : 'network';
}
