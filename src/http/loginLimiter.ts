/**
 * Slows down password guessing: after MAX_FAILURES failed sign-ins for one username from one
 * address within WINDOW_MS, further attempts are refused until the window has passed.
 * In memory per process: several processes each apply it, which still bounds guessing.
 */
const MAX_FAILURES = 10;
const WINDOW_MS = 15 * 60_000;
const MAX_KEYS = 100_000;

export class LoginLimiter {
  private readonly failures = new Map<string, number[]>();

  blockedFor(key: string, now: number): number {
    const recent = this.recent(key, now);
    if (recent.length < MAX_FAILURES) return 0;
    return recent[0]! + WINDOW_MS - now;
  }

  fail(key: string, now: number): void {
    if (!this.failures.has(key) && this.failures.size >= MAX_KEYS) this.makeRoom(now);
    this.failures.set(key, [...this.recent(key, now), now]);
  }

  /**
   * Frees about a tenth of the table without forgetting who is blocked: expired entries first,
   * then the oldest entries that are not blocked, and blocked ones only if nothing else is left.
   * Clearing the whole table instead would let anyone unblock a guessed account by failing
   * sign-ins under 100,000 other names.
   */
  private makeRoom(now: number): void {
    const target = Math.floor(MAX_KEYS * 0.9);
    for (const [key, times] of this.failures) if (times.every((t) => now - t >= WINDOW_MS)) this.failures.delete(key);
    for (const key of this.failures.keys()) {
      if (this.failures.size <= target) return;
      if (this.recent(key, now).length < MAX_FAILURES) this.failures.delete(key);
    }
    for (const key of this.failures.keys()) {
      if (this.failures.size <= target) return;
      this.failures.delete(key);
    }
  }

  succeed(key: string): void {
    this.failures.delete(key);
  }

  private recent(key: string, now: number): number[] {
    return (this.failures.get(key) ?? []).filter((t) => now - t < WINDOW_MS);
  }
}
