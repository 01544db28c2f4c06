/**
 * A background loop of one round at a time (the outbound sender, each tracking poller): a round
 * says how long to sleep before the next; `wake()` cuts the sleep short, or, when a round is under
 * way, asks for another as soon as it ends, so a wake-up is never lost and rounds never overlap.
 * `stop()` lets the round under way finish (its sends, its current message) and starts no other.
 */
export class WakeLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private rerun = false;
  private stopping = false;

  constructor(
    private readonly opts: {
      /** One round; resolves to the delay before the next, in milliseconds. */
      round: () => Promise<number>;
      /** A round that threw: reported here, and the next comes after `retryMs`. */
      onError: (err: unknown) => void;
      retryMs: number;
      /** Let the process exit while the loop sleeps. */
      unref?: boolean;
    },
  ) {}

  /** True from `stop()` on: a long round checks it to end early. */
  get stopped(): boolean {
    return this.stopping;
  }

  start(): void {
    this.schedule(0);
  }

  wake(): void {
    if (this.stopping) return;
    if (this.running) this.rerun = true;
    else this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.stopping) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      let next = this.opts.retryMs;
      this.running = this.opts
        .round()
        .then((ms) => {
          next = ms;
        })
        .catch((err: unknown) => this.opts.onError(err))
        .finally(() => {
          this.running = undefined;
          const again = this.rerun;
          this.rerun = false;
          this.schedule(again ? 0 : next);
        });
    }, ms);
    if (this.opts.unref) this.timer.unref();
  }
}
