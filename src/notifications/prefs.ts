import { badRequest } from '../errors.js';

/** What can happen to a person about a record they follow (docs/notifications.md). */
export const NOTIFY_EVENTS = ['mentioned', 'assigned', 'changed', 'commented'] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

/**
 * How a person hears of it: an email at once; one email per record for a burst (the debounce
 * window); only the bell and My work; or not at all. (The daily digest is not built yet; its
 * hour has a column in notification_settings, unused until then.)
 */
export const DELIVERIES = ['immediate', 'batch', 'app', 'never'] as const;
export type Delivery = (typeof DELIVERIES)[number];

/**
 * Defaults: a mention is a question to you, so it mails at once; changes and comments on what
 * you watch come batched; an assignment shows in the app, because the usual notification rule
 * ("Tell the assignee") already mails it.
 */
export const DEFAULT_EVENTS: Readonly<Record<NotifyEvent, Delivery>> = { mentioned: 'immediate', assigned: 'app', changed: 'batch', commented: 'batch' };
const DEFAULT_DIGEST_HOUR = 8;

/** Events of a burst to one record within this window become one email, sent when the record is quiet this long… */
export const BATCH_QUIET_MS = 2 * 60_000;
/** … or at the latest this long after the first, so a record that never goes quiet still mails. */
export const BATCH_MAX_WAIT_MS = 15 * 60_000;

export interface NotificationSettings {
  events: Record<NotifyEvent, Delivery>;
}

export function settingsFrom(stored: { events: string; digest_hour: number } | undefined): NotificationSettings {
  const events = { ...DEFAULT_EVENTS };
  if (stored) {
    const chosen = JSON.parse(stored.events) as Record<string, string>;
    for (const e of NOTIFY_EVENTS) if ((DELIVERIES as readonly string[]).includes(chosen[e] ?? '')) events[e] = chosen[e] as Delivery;
  }
  return { events };
}

/** The stored digest hour for a new settings row (the digest itself is not built yet). */
export function storedDigestHour(stored: { digest_hour: number } | undefined): number {
  return stored?.digest_hour ?? DEFAULT_DIGEST_HOUR;
}

export function checkSettings(input: { events?: Partial<Record<string, string>> }, current: NotificationSettings): NotificationSettings {
  const events = { ...current.events };
  for (const [k, v] of Object.entries(input.events ?? {})) {
    if (!(NOTIFY_EVENTS as readonly string[]).includes(k)) throw badRequest('unknown_notification_event', `"${k}" is not a notification event; use ${NOTIFY_EVENTS.join(', ')}.`);
    if (!(DELIVERIES as readonly string[]).includes(v ?? '')) throw badRequest('invalid_delivery', `How to hear of "${k}" must be one of ${DELIVERIES.join(', ')}.`);
    events[k as NotifyEvent] = v as Delivery;
  }
  return { events };
}
