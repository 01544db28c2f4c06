import { badRequest } from '../errors.js';

/** What can happen to a person about a record they follow (docs/notifications.md). */
export const NOTIFY_EVENTS = ['mentioned', 'assigned', 'changed', 'commented'] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

/**
 * How a person hears of it: an email at once; one email per record for a burst (the debounce
 * window); gathered into the daily digest at their hour; only the bell and My work; or not at all.
 */
export const DELIVERIES = ['immediate', 'batch', 'digest', 'app', 'never'] as const;
export type Delivery = (typeof DELIVERIES)[number];

/** Which of a person's own doings make them watch a record (each on by default). */
export const AUTO_WATCH = ['created', 'assigned', 'commented', 'mentioned'] as const;
export type AutoWatchReason = (typeof AUTO_WATCH)[number];

/**
 * Defaults: a mention is a question to you, so it mails at once; changes and comments on what
 * you watch come batched; an assignment shows in the app, because the usual notification rule
 * ("Tell the assignee") already mails it.
 */
export const DEFAULT_EVENTS: Readonly<Record<NotifyEvent, Delivery>> = { mentioned: 'immediate', assigned: 'app', changed: 'batch', commented: 'batch' };
export const DEFAULT_DIGEST_HOUR = 8;

/** Events of a burst to one record within this window become one email, sent when the record is quiet this long… */
export const BATCH_QUIET_MS = 2 * 60_000;
/** … or at the latest this long after the first, so a record that never goes quiet still mails. */
export const BATCH_MAX_WAIT_MS = 15 * 60_000;

export interface NotificationSettings {
  events: Record<NotifyEvent, Delivery>;
  /** The hour (0–23) of the daily digest, in `timeZone`. */
  digestHour: number;
  /** IANA zone of the digest hour; null: the server's (projects keep no time zone). */
  timeZone: string | null;
  /** Which of your own doings add you as a watcher. */
  autoWatch: Record<AutoWatchReason, boolean>;
}

export interface StoredSettings {
  events: string;
  digest_hour: number;
  time_zone: string | null;
  auto_watch: string | null;
}

export function settingsFrom(stored: StoredSettings | undefined): NotificationSettings {
  const events = { ...DEFAULT_EVENTS };
  const autoWatch = Object.fromEntries(AUTO_WATCH.map((r) => [r, true])) as Record<AutoWatchReason, boolean>;
  if (stored) {
    const chosen = JSON.parse(stored.events) as Record<string, string>;
    for (const e of NOTIFY_EVENTS) if ((DELIVERIES as readonly string[]).includes(chosen[e] ?? '')) events[e] = chosen[e] as Delivery;
    const watch = stored.auto_watch ? (JSON.parse(stored.auto_watch) as Record<string, unknown>) : {};
    for (const r of AUTO_WATCH) if (typeof watch[r] === 'boolean') autoWatch[r] = watch[r];
  }
  return { events, digestHour: stored?.digest_hour ?? DEFAULT_DIGEST_HOUR, timeZone: stored?.time_zone ?? null, autoWatch };
}

/** The server's own zone: where a digest hour counts when the person chose none. */
export function serverTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

function validZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export interface SettingsInput {
  events?: Partial<Record<string, string>>;
  digestHour?: number;
  timeZone?: string | null;
  autoWatch?: Partial<Record<string, boolean>>;
}

export function checkSettings(input: SettingsInput, current: NotificationSettings): NotificationSettings {
  const events = { ...current.events };
  for (const [k, v] of Object.entries(input.events ?? {})) {
    if (!(NOTIFY_EVENTS as readonly string[]).includes(k))
      throw badRequest('unknown_notification_event', `"${k}" is not a notification event; use ${NOTIFY_EVENTS.join(', ')}.`);
    if (!(DELIVERIES as readonly string[]).includes(v ?? ''))
      throw badRequest('invalid_delivery', `How to hear of "${k}" must be one of ${DELIVERIES.join(', ')}.`);
    events[k as NotifyEvent] = v as Delivery;
  }
  const digestHour = input.digestHour ?? current.digestHour;
  if (!Number.isInteger(digestHour) || digestHour < 0 || digestHour > 23)
    throw badRequest('invalid_digest_hour', 'The digest hour is a whole hour from 0 to 23.');
  const timeZone = input.timeZone === undefined ? current.timeZone : input.timeZone === null || input.timeZone === '' ? null : input.timeZone;
  if (timeZone !== null && !validZone(timeZone))
    throw badRequest('invalid_time_zone', `"${timeZone}" is not a time zone; use an IANA name such as Europe/Berlin.`);
  const autoWatch = { ...current.autoWatch };
  for (const [k, v] of Object.entries(input.autoWatch ?? {})) {
    if (!(AUTO_WATCH as readonly string[]).includes(k)) throw badRequest('unknown_auto_watch', `"${k}" is not one of ${AUTO_WATCH.join(', ')}.`);
    autoWatch[k as AutoWatchReason] = v === true;
  }
  return { events, digestHour, timeZone, autoWatch };
}

/** The parts of a local wall-clock time in a zone. */
function localParts(at: Date, zone: string): { y: number; m: number; d: number; h: number; min: number } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
  }).formatToParts(at);
  const n = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return { y: n('year'), m: n('month'), d: n('day'), h: n('hour'), min: n('minute') };
}

/** The instant a local wall-clock time (hour `h` on day y-m-d) is in `zone`; a DST gap takes the next hour. */
function instantOf(y: number, m: number, d: number, h: number, zone: string): Date {
  const wanted = Date.UTC(y, m - 1, d, h);
  let guess = wanted;
  // Two rounds settle the zone offset, also across a DST change between the guess and the answer.
  for (let i = 0; i < 2; i++) {
    const p = localParts(new Date(guess), zone);
    const shown = Date.UTC(p.y, p.m - 1, p.d, p.h, p.min);
    guess += wanted - shown;
  }
  return new Date(guess);
}

/**
 * The latest digest moment not after `now`: today's `hour`:00 in `zone`, or yesterday's when
 * today's is still to come. A digest holds what was pending at that moment.
 */
export function latestDigestMoment(now: Date, hour: number, zone: string): Date {
  const today = localParts(now, zone);
  const at = instantOf(today.y, today.m, today.d, hour, zone);
  if (at.getTime() <= now.getTime()) return at;
  const yesterday = new Date(Date.UTC(today.y, today.m - 1, today.d) - 86_400_000);
  return instantOf(yesterday.getUTCFullYear(), yesterday.getUTCMonth() + 1, yesterday.getUTCDate(), hour, zone);
}
