import { createHash } from 'node:crypto';
import { open, seal } from '../crypto/secretBox.js';
import { TRACKING_SETTINGS_KEY } from '../outbound/trackingAddress.js';
import type { Executor } from '../store/db.js';
import { getSetting, putSetting } from '../store/settings.repository.js';

export type TrackingProtocol = 'pop3' | 'imap';
export type Security = 'none' | 'starttls' | 'tls';

/**
 * Server options → Tracking, as stored under `email.tracking` (password sealed with the
 * secret box). The outbound side reads `address` and `plusAddressing` from the same key
 * (src/outbound/trackingAddress.ts), so those two names are shared and must not change.
 */
export interface StoredTrackingSettings {
  protocol: TrackingProtocol;
  host: string;
  port: number;
  security: Security;
  username: string;
  passwordSealed?: string;
  /** The account's address: Reply-To of every tracked email. */
  address: string;
  pollSeconds: number;
  /** Delete mail without a valid cookie from the account; otherwise leave it there, fetched once. */
  deleteUntracked: boolean;
  /** Accept a self-signed certificate (test servers, internal mail hosts). */
  allowSelfSigned: boolean;
  /** Reply-To as tracking+COOKIE@domain (outbound reads it; off by default: Exchange drops plus-addresses). */
  plusAddressing: boolean;
}

export interface TrackingSettings extends Omit<StoredTrackingSettings, 'passwordSealed'> {
  password: string;
  /** Identifies the mailbox (protocol, user, host, port): what the poller remembers server ids under. */
  account: string;
}

export type PublicTrackingSettings = Omit<StoredTrackingSettings, 'passwordSealed'> & { passwordSet: boolean; configured: boolean };

export type TrackingSettingsInput = Omit<StoredTrackingSettings, 'passwordSealed' | 'allowSelfSigned' | 'plusAddressing'> & {
  password?: string;
  allowSelfSigned?: boolean;
  plusAddressing?: boolean;
};

export const DEFAULT_TRACKING: StoredTrackingSettings = {
  protocol: 'pop3',
  host: '',
  port: 110,
  security: 'none',
  username: '',
  address: '',
  pollSeconds: 60,
  deleteUntracked: false,
  allowSelfSigned: false,
  plusAddressing: false,
};

/** Poll status, kept in the settings table so every process sharing the database sees it. */
export const POLL_STATUS_KEY = 'email.tracking.status';

/**
 * The account key: a changed host or user is a different mailbox whose server ids mean
 * nothing to the old one; a changed password or poll interval is the same mailbox.
 */
export function accountKey(s: Pick<StoredTrackingSettings, 'protocol' | 'host' | 'port' | 'username'>): string {
  return `${s.protocol}://${encodeURIComponent(s.username.toLowerCase())}@${s.host.toLowerCase()}:${s.port}`;
}

/** A signed 64-bit key for pg_try_advisory_lock, the same in every process for one account. */
export function advisoryLockKey(account: string): string {
  return createHash('sha256').update(`mailtrail:poll:${account}`).digest().readBigInt64BE(0).toString();
}

function isConfigured(s: StoredTrackingSettings): boolean {
  return Boolean(s.host && s.username && s.address);
}

async function stored(db: Executor): Promise<StoredTrackingSettings> {
  return { ...DEFAULT_TRACKING, ...(await getSetting<Partial<StoredTrackingSettings>>(db, TRACKING_SETTINGS_KEY)) };
}

/** The settings with the password opened; undefined until host, user and address are set. */
export async function loadTrackingSettings(db: Executor, secret: string): Promise<TrackingSettings | undefined> {
  const s = await stored(db);
  if (!isConfigured(s)) return undefined;
  const { passwordSealed, ...rest } = s;
  return { ...rest, password: passwordSealed ? open(secret, passwordSealed) : '', account: accountKey(s) };
}

export async function publicTrackingSettings(db: Executor): Promise<PublicTrackingSettings> {
  const { passwordSealed, ...rest } = await stored(db);
  return { ...rest, passwordSet: Boolean(passwordSealed), configured: isConfigured({ ...rest }) };
}

/**
 * Resolves what a PUT (or a test of unsaved settings) means: a missing password keeps the
 * stored one, an empty string removes it.
 */
export async function mergeTrackingSettings(db: Executor, secret: string, input: TrackingSettingsInput): Promise<StoredTrackingSettings> {
  const previous = await stored(db);
  const { password, ...fields } = input;
  const next: StoredTrackingSettings = {
    ...previous,
    ...fields,
    host: fields.host.trim(),
    username: fields.username.trim(),
    address: fields.address.trim().toLowerCase(),
  };
  if (password !== undefined) {
    if (password === '') delete next.passwordSealed;
    else next.passwordSealed = seal(secret, password);
  }
  return next;
}

export async function saveTrackingSettings(db: Executor, secret: string, input: TrackingSettingsInput): Promise<PublicTrackingSettings> {
  await putSetting(db, TRACKING_SETTINGS_KEY, await mergeTrackingSettings(db, secret, input));
  return publicTrackingSettings(db);
}

/** Opens a stored shape (for testing unsaved settings without writing them). */
export function openTrackingSettings(s: StoredTrackingSettings, secret: string): TrackingSettings {
  const { passwordSealed, ...rest } = s;
  return { ...rest, password: passwordSealed ? open(secret, passwordSealed) : '', account: accountKey(s) };
}
