/**
 * Slows down password guessing with backoff, never with a hard lockout: after a few free
 * failures, each further failure doubles the wait before the next attempt is even checked.
 * Three budgets, each its own backoff:
 *
 * - account + address: the guesser at one address slows down fast, up to 15 minutes;
 * - address: one address spraying many accounts, up to 15 minutes;
 * - account, from every address together: a distributed guess slows to about two a minute,
 *   but the wait is capped at 30 s, so nobody can keep a user out of their own account.
 *
 * A success clears the account's budgets (not the address's: signing in to one's own account
 * must not reset a spray). In memory per process: several processes each apply it.
 */
export interface BackoffPolicy {
  /** Failures within the window that cost nothing. */
  free: number;
  /** The first wait; each further failure doubles it. */
  baseMs: number;
  maxMs: number;
}

const WINDOW_MS = 15 * 60_000;
const MAX_KEYS = 100_000;

export const PAIR_POLICY: BackoffPolicy = { free: 5, baseMs: 1_000, maxMs: 15 * 60_000 };
export const ADDRESS_POLICY: BackoffPolicy = { free: 30, baseMs: 1_000, maxMs: 15 * 60_000 };
export const ACCOUNT_POLICY: BackoffPolicy = { free: 20, baseMs: 1_000, maxMs: 30_000 };

interface Entry {
  failures: number[];
}

/** One budget: failures per key in a sliding window, the wait they cost. */
export class Backoff {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly policy: BackoffPolicy) {}

  /** Milliseconds until `key` may try again (0: now). */
  waitFor(key: string, now: number): number {
    const recent = this.recent(key, now);
    const over = recent.length - this.policy.free;
    if (over <= 0) return 0;
    const delay = Math.min(this.policy.baseMs * 2 ** Math.min(over - 1, 30), this.policy.maxMs);
    return Math.max(0, recent[recent.length - 1]! + delay - now);
  }

  fail(key: string, now: number): void {
    const failures = [...this.recent(key, now), now].slice(-64);
    // Delete and set again: the map's order is then least recently failed first.
    this.entries.delete(key);
    if (this.entries.size >= MAX_KEYS) this.makeRoom(now);
    this.entries.set(key, { failures });
  }

  clear(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  private makeRoom(now: number): void {
    for (const [key, e] of this.entries) if (e.failures.every((t) => now - t >= WINDOW_MS)) this.entries.delete(key);
    const target = Math.floor(MAX_KEYS * 0.9);
    // Keys that wait right now go last: otherwise failing under 100,000 made-up names would
    // flush the wait of the guesser it is meant to hold back.
    for (const key of this.entries.keys()) {
      if (this.entries.size <= target) return;
      if (this.waitFor(key, now) === 0) this.entries.delete(key);
    }
    for (const key of this.entries.keys()) {
      if (this.entries.size <= target) return;
      this.entries.delete(key);
    }
  }

  private recent(key: string, now: number): number[] {
    return (this.entries.get(key)?.failures ?? []).filter((t) => now - t < WINDOW_MS);
  }
}

export class LoginLimiter {
  private readonly pair = new Backoff(PAIR_POLICY);
  private readonly address = new Backoff(ADDRESS_POLICY);
  private readonly account = new Backoff(ACCOUNT_POLICY);

  /** Milliseconds until this account may be tried from this address (0: now). */
  blockedFor(username: string, ip: string, now: number): number {
    const user = username.toLowerCase();
    return Math.max(this.pair.waitFor(`${user}|${ip}`, now), this.address.waitFor(ip, now), this.account.waitFor(user, now));
  }

  fail(username: string, ip: string, now: number): void {
    const user = username.toLowerCase();
    this.pair.fail(`${user}|${ip}`, now);
    this.address.fail(ip, now);
    this.account.fail(user, now);
  }

  succeed(username: string, ip: string): void {
    const user = username.toLowerCase();
    this.pair.clear(`${user}|${ip}`);
    this.account.clear(user);
  }
}
