/** The one clock. Tests replace it with `setClock` to make time-dependent rules repeatable. */
export interface Clock {
  now(): Date;
}

let current: Clock = { now: () => new Date() };

export function clock(): Clock {
  return current;
}

export function setClock(next: Clock): void {
  current = next;
}

/** UTC ISO-8601 with milliseconds: the one timestamp format stored in both databases. */
export function nowIso(): string {
  return current.now().toISOString();
}
