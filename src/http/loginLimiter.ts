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
    if (this.failures.size >= MAX_KEYS) this.failures.clear();
    this.failures.set(key, [...this.recent(key, now), now]);
  }

  succeed(key: string): void {
    this.failures.delete(key);
  }

  private recent(key: string, now: number): number[] {
    return (this.failures.get(key) ?? []).filter((t) => now - t < WINDOW_MS);
  }
}
