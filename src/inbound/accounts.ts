import { isEmailAddress } from '../domain/validation.js';
import { badRequest, conflict, notFound } from '../errors.js';
import { newId } from '../ids.js';
import type { AppContext } from '../core/context.js';
import type { Executor } from '../store/db.js';
import type { TrackingAccountRow } from '../store/schema.js';
import {
  DEFAULT_ACCOUNT_ID,
  bindProjects,
  deleteTrackingAccount,
  findTrackingAccountRow,
  insertTrackingAccount,
  listTrackingAccountRows,
  projectKeysOfAccount,
  updateTrackingAccount,
} from '../store/trackingAccounts.repository.js';
import { NO_POLL_YET, type PollStatus } from './poller.js';
import { oauthStatus, type OAuthStatus } from '../mailboxes/oauth/index.js';
import {
  accountKey,
  isConfigured,
  mergeTrackingSettings,
  parseStoredSettings,
  toPublicSettings,
  type PublicTrackingSettings,
  type StoredTrackingSettings,
  type TrackingSettingsInput,
} from './trackingSettings.js';

/** A tracking account as the admin pages list it: settings without secrets, bound projects, last poll. */
export interface PublicTrackingAccount {
  id: string;
  name: string;
  isDefault: boolean;
  /** Keys of the projects whose mail uses this account (for the default: those without one of their own). */
  projects: string[];
  settings: PublicTrackingSettings;
  status: PollStatus;
  /** The OAuth2 sign-in (state, token expiry, last error), for accounts that use it. */
  oauth?: OAuthStatus;
}

export type AccountInput = TrackingSettingsInput & { name: string; projects?: string[] };

async function toPublic(db: Executor, row: TrackingAccountRow): Promise<PublicTrackingAccount> {
  const settings = parseStoredSettings(row.settings);
  return {
    ...(settings.auth === 'oauth2' ? { oauth: await oauthStatus(db, row.id) } : {}),
    id: row.id,
    name: row.name,
    isDefault: row.id === DEFAULT_ACCOUNT_ID,
    projects: await projectKeysOfAccount(db, row.id),
    settings: toPublicSettings(parseStoredSettings(row.settings)),
    status: row.status ? { ...NO_POLL_YET, ...(JSON.parse(row.status) as Partial<PollStatus>) } : NO_POLL_YET,
  };
}

export async function listAccounts(db: Executor): Promise<PublicTrackingAccount[]> {
  return Promise.all((await listTrackingAccountRows(db)).map((r) => toPublic(db, r)));
}

async function mustFind(db: Executor, id: string): Promise<TrackingAccountRow> {
  const row = await findTrackingAccountRow(db, id);
  if (!row) throw notFound('tracking_account_not_found', `There is no tracking account "${id}".`);
  return row;
}

export async function getAccount(db: Executor, id: string): Promise<PublicTrackingAccount> {
  return toPublic(db, await mustFind(db, id));
}

/**
 * Two accounts on one mailbox would poll it twice and disagree about whose address a reply
 * belongs to, and two with one address would make Reply-To ambiguous: both are refused.
 */
async function checkUnique(db: Executor, id: string, next: StoredTrackingSettings): Promise<void> {
  if (!isConfigured(next)) return;
  for (const row of await listTrackingAccountRows(db)) {
    if (row.id === id) continue;
    const other = parseStoredSettings(row.settings);
    if (!isConfigured(other)) continue;
    if (accountKey(other) === accountKey(next)) throw conflict('tracking_account_duplicate', `The account "${row.name}" already tracks this mailbox.`);
    if (other.address === next.address) throw conflict('tracking_address_taken', `The account "${row.name}" already uses the address ${next.address}.`);
  }
}

async function projectIds(db: Executor, keys: string[]): Promise<string[]> {
  const wanted = [...new Set(keys.map((k) => k.toUpperCase()))];
  if (wanted.length === 0) return [];
  const rows = await db.selectFrom('projects').select(['id', 'key']).where('key', 'in', wanted).execute();
  const missing = wanted.filter((k) => !rows.some((r) => r.key === k));
  if (missing.length > 0) throw badRequest('project_not_found', `No such project: ${missing.join(', ')}.`);
  return rows.map((r) => r.id);
}

function checkInput(input: AccountInput): void {
  if (!input.name.trim()) throw badRequest('invalid_name', 'The account needs a name.');
  if (!isEmailAddress(input.address)) throw badRequest('invalid_email', `"${input.address}" is not an email address.`);
}

export async function createAccount(ctx: AppContext, input: AccountInput): Promise<PublicTrackingAccount> {
  checkInput(input);
  const id = newId();
  return ctx.store.db.transaction().execute(async (tx) => {
    const { name, projects, ...fields } = input;
    // The row does not exist yet, so this merges over the defaults.
    const settings = await mergeTrackingSettings(tx, ctx.config.secret, fields, id);
    await checkUnique(tx, id, settings);
    await insertTrackingAccount(tx, { id, name: name.trim(), settings });
    if (projects) await bindProjects(tx, id, await projectIds(tx, projects));
    return getAccount(tx, id);
  });
}

export async function updateAccount(ctx: AppContext, id: string, input: AccountInput): Promise<PublicTrackingAccount> {
  checkInput(input);
  return ctx.store.db.transaction().execute(async (tx) => {
    await mustFind(tx, id);
    const { name, projects, ...fields } = input;
    const settings = await mergeTrackingSettings(tx, ctx.config.secret, fields, id);
    await checkUnique(tx, id, settings);
    await updateTrackingAccount(tx, id, { name: name.trim(), settings });
    // For the default, binding means "no account of its own"; nothing is unbound from it.
    if (projects) await bindProjects(tx, id, await projectIds(tx, projects));
    return getAccount(tx, id);
  });
}

/** Checks the single-account PUT against the others, as the account routes do. */
export async function checkDefaultUnique(db: Executor, next: StoredTrackingSettings): Promise<void> {
  await checkUnique(db, DEFAULT_ACCOUNT_ID, next);
}

export async function removeAccount(db: Executor, id: string): Promise<void> {
  if (id === DEFAULT_ACCOUNT_ID) throw conflict('default_account', 'The default tracking account cannot be deleted; clear its settings instead.');
  await mustFind(db, id);
  await deleteTrackingAccount(db, id);
}
