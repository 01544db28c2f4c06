import type { Executor } from '../store/db.js';
import { getSetting } from '../store/settings.repository.js';

/** The part of the tracking account settings that outbound mail needs. */
export interface TrackingIdentity {
  /** The tracking account's address: Reply-To of every tracked email. */
  address: string;
  /** Put the cookie in Reply-To as tracking+COOKIE@domain (off by default: Exchange drops plus-addresses). */
  plusAddressing: boolean;
}

export const TRACKING_SETTINGS_KEY = 'email.tracking';

export async function trackingIdentity(db: Executor): Promise<TrackingIdentity | undefined> {
  const stored = await getSetting<{ address?: string; plusAddressing?: boolean }>(db, TRACKING_SETTINGS_KEY);
  if (!stored?.address) return undefined;
  return { address: stored.address, plusAddressing: stored.plusAddressing === true };
}

/** Message-IDs of our mail use the tracking address's domain, so we recognise them in References. */
export function messageIdDomain(identity: TrackingIdentity | undefined): string {
  return identity?.address.split('@')[1] ?? 'mailtrail.localhost';
}
