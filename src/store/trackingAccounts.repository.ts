import { nowIso } from '../clock.js';
import type { Executor } from './db.js';
import type { TrackingAccountRow } from './schema.js';

/** The account every project without one of its own uses; it always exists and cannot be deleted. */
export const DEFAULT_ACCOUNT_ID = 'default';

export async function listTrackingAccountRows(db: Executor): Promise<TrackingAccountRow[]> {
  const rows = await db.selectFrom('tracking_accounts').selectAll().orderBy('created_at').orderBy('id').execute();
  // The default first, then in the order they were added.
  return [...rows.filter((r) => r.id === DEFAULT_ACCOUNT_ID), ...rows.filter((r) => r.id !== DEFAULT_ACCOUNT_ID)];
}

export async function findTrackingAccountRow(db: Executor, id: string): Promise<TrackingAccountRow | undefined> {
  return db.selectFrom('tracking_accounts').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The account a project's mail uses: its own, or the default. */
export async function trackingAccountRowForProject(db: Executor, projectId: string): Promise<TrackingAccountRow | undefined> {
  const project = await db.selectFrom('projects').select('tracking_account_id').where('id', '=', projectId).executeTakeFirst();
  const id = project?.tracking_account_id ?? DEFAULT_ACCOUNT_ID;
  return (await findTrackingAccountRow(db, id)) ?? (id === DEFAULT_ACCOUNT_ID ? undefined : findTrackingAccountRow(db, DEFAULT_ACCOUNT_ID));
}

export async function insertTrackingAccount(db: Executor, row: { id: string; name: string; settings: unknown }): Promise<void> {
  const at = nowIso();
  await db
    .insertInto('tracking_accounts')
    .values({ id: row.id, name: row.name, settings: JSON.stringify(row.settings), status: null, created_at: at, updated_at: at })
    .execute();
}

export async function updateTrackingAccount(db: Executor, id: string, fields: { name?: string; settings?: unknown }): Promise<void> {
  await db
    .updateTable('tracking_accounts')
    .set({
      ...(fields.name !== undefined ? { name: fields.name } : {}),
      ...(fields.settings !== undefined ? { settings: JSON.stringify(fields.settings) } : {}),
      updated_at: nowIso(),
    })
    .where('id', '=', id)
    .execute();
}

export async function writeTrackingAccountStatus(db: Executor, id: string, status: unknown): Promise<void> {
  await db
    .updateTable('tracking_accounts')
    .set({ status: JSON.stringify(status) })
    .where('id', '=', id)
    .execute();
}

/** Removes an account; its projects fall back to the default account. */
export async function deleteTrackingAccount(db: Executor, id: string): Promise<void> {
  await db.updateTable('projects').set({ tracking_account_id: null }).where('tracking_account_id', '=', id).execute();
  await db.deleteFrom('tracking_accounts').where('id', '=', id).execute();
}

export async function projectKeysOfAccount(db: Executor, id: string): Promise<string[]> {
  const q = db.selectFrom('projects').select('key').orderBy('key');
  const rows = id === DEFAULT_ACCOUNT_ID ? await q.where('tracking_account_id', 'is', null).execute() : await q.where('tracking_account_id', '=', id).execute();
  return rows.map((r) => r.key);
}

/** Binds exactly these projects to the account: others bound to it before go back to the default. */
export async function bindProjects(db: Executor, id: string, projectIds: string[]): Promise<void> {
  const target = id === DEFAULT_ACCOUNT_ID ? null : id;
  if (target !== null) {
    const unbind = db.updateTable('projects').set({ tracking_account_id: null }).where('tracking_account_id', '=', target);
    await (projectIds.length > 0 ? unbind.where('id', 'not in', projectIds) : unbind).execute();
  }
  if (projectIds.length > 0) await db.updateTable('projects').set({ tracking_account_id: target }).where('id', 'in', projectIds).execute();
}

/**
 * Writes an account's settings document as given (default account unless named): for seeding
 * and tests that need only an address. Admin changes go through inbound/accounts.ts.
 */
export async function setTrackingSettings(db: Executor, settings: Record<string, unknown>, id: string = DEFAULT_ACCOUNT_ID): Promise<void> {
  await updateTrackingAccount(db, id, { settings });
}
