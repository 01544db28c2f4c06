import type { Executor } from '../store/db.js';
import { findTrackingAccountRow, trackingAccountRowForProject, DEFAULT_ACCOUNT_ID } from '../store/trackingAccounts.repository.js';
import type { ProjectRow, TrackingAccountRow } from '../store/schema.js';

/** The part of a tracking account's settings that outbound mail needs. */
export interface TrackingIdentity {
  /** The tracking account's address: Reply-To of every tracked email. */
  address: string;
  /** Put the cookie in Reply-To as tracking+COOKIE@domain (off by default: Exchange drops plus-addresses). */
  plusAddressing: boolean;
}

export function identityOf(row: TrackingAccountRow | undefined): TrackingIdentity | undefined {
  if (!row) return undefined;
  const stored = JSON.parse(row.settings) as { address?: string; plusAddressing?: boolean };
  if (!stored.address) return undefined;
  return { address: stored.address, plusAddressing: stored.plusAddressing === true };
}

/**
 * The tracking identity of a project's mail (its own account, or the default); without a
 * project, the default account's.
 */
export async function trackingIdentity(db: Executor, projectId?: string): Promise<TrackingIdentity | undefined> {
  return identityOf(projectId ? await trackingAccountRowForProject(db, projectId) : await findTrackingAccountRow(db, DEFAULT_ACCOUNT_ID));
}

/** Message-IDs of our mail use the tracking address's domain, so we recognise them in References. */
export function messageIdDomain(identity: TrackingIdentity | undefined): string {
  return identity?.address.split('@')[1] ?? 'mailtrail.localhost';
}

/**
 * Who automatic mail of a project (rules, personal notifications) comes from: the project's
 * notification account, or the tracking address when it has none; undefined when neither is set.
 */
export async function notificationSender(db: Executor, project: ProjectRow): Promise<{ name: string; address: string } | undefined> {
  const address = project.notification_address || (await trackingIdentity(db, project.id))?.address;
  return address ? { name: project.notification_name || `${project.name} notifications`, address } : undefined;
}
