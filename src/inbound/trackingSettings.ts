import { createHash } from 'node:crypto';
import { open, seal } from '../crypto/secretBox.js';
import { requirePasswordForNewServer } from '../domain/credentials.js';
import type { Executor } from '../store/db.js';
import { identityOf, type TrackingIdentity } from '../outbound/index.js';
import { mergeOAuthConfig, toPublicOAuthConfig, type OAuthConfigInput, type PublicOAuthConfig, type StoredOAuthConfig, bearerFor, forgetTokens, type BearerAuth } from '../mailboxes/oauth/index.js';
import { DEFAULT_ACCOUNT_ID, findTrackingAccountRow, listTrackingAccountRows, updateTrackingAccount } from '../store/trackingAccounts.repository.js';

/** 'graph' is Microsoft Graph (mailboxes/graph): host/port/security name the Graph endpoint, username the mailbox. */
export type TrackingProtocol = 'pop3' | 'imap' | 'graph';
export type Security = 'none' | 'starttls' | 'tls';

/**
 * One tracking account's settings, as stored in `tracking_accounts.settings` (password sealed
 * with the secret box). The outbound side reads `address` and `plusAddressing` from the same
 * document (src/outbound/trackingAddress.ts), so those two names are shared and must not change.
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
  /** How the account signs in: its password, or an OAuth2 bearer token (mailboxes/oauth). Absent: password. */
  auth?: 'password' | 'oauth2';
  oauth?: StoredOAuthConfig;
  /** Graph only: the folder read, a well-known name ("inbox", "junkemail", …) or a folder id. Absent: inbox. */
  folder?: string;
  /** Graph only: "delete" removes a filed message, "move" moves it to Deleted Items. Absent: delete. */
  graphRemoval?: 'delete' | 'move';
}

export interface TrackingSettings extends Omit<StoredTrackingSettings, 'passwordSealed' | 'oauth'> {
  password: string;
  /** Set when the account signs in with OAuth2: the token source of mailboxes/oauth. */
  bearer?: BearerAuth;
  /** Identifies the mailbox (protocol, user, host, port): what the poller remembers server ids under. */
  account: string;
  /** The tracking_accounts row: where its status is kept. */
  accountId: string;
}

export type PublicTrackingSettings = Omit<StoredTrackingSettings, 'passwordSealed' | 'oauth'> & {
  passwordSet: boolean;
  configured: boolean;
  oauth?: PublicOAuthConfig;
};

export type TrackingSettingsInput = Omit<StoredTrackingSettings, 'passwordSealed' | 'allowSelfSigned' | 'plusAddressing' | 'oauth'> & {
  password?: string;
  oauth?: OAuthConfigInput;
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

export function isConfigured(s: StoredTrackingSettings): boolean {
  return Boolean(s.host && s.username && s.address);
}

/** The stored shape of a settings document (defaults filled in). */
export function parseStoredSettings(json: string | undefined): StoredTrackingSettings {
  return { ...DEFAULT_TRACKING, ...(json ? (JSON.parse(json) as Partial<StoredTrackingSettings>) : {}) };
}

async function stored(db: Executor, id: string): Promise<StoredTrackingSettings> {
  return parseStoredSettings((await findTrackingAccountRow(db, id))?.settings);
}

/** The settings with the password opened; undefined until host, user and address are set. */
export async function loadTrackingSettings(db: Executor, secret: string, id: string = DEFAULT_ACCOUNT_ID): Promise<TrackingSettings | undefined> {
  const s = await stored(db, id);
  if (!isConfigured(s)) return undefined;
  return withBearer(openTrackingSettings(s, secret, id), s, db, secret);
}

/** Attaches the OAuth2 token source when the account signs in with OAuth2. */
export function withBearer(t: TrackingSettings, s: StoredTrackingSettings, db: Executor, secret: string): TrackingSettings {
  if (s.auth !== 'oauth2' || !s.oauth) return t;
  return { ...t, bearer: bearerFor({ store: { db }, config: { secret } }, t.accountId, s.oauth.mechanism) };
}

export function toPublicSettings(s: StoredTrackingSettings): PublicTrackingSettings {
  const { passwordSealed, oauth, ...rest } = s;
  return { ...rest, ...(oauth ? { oauth: toPublicOAuthConfig(oauth) } : {}), passwordSet: Boolean(passwordSealed), configured: isConfigured(s) };
}

export async function publicTrackingSettings(db: Executor, id: string = DEFAULT_ACCOUNT_ID): Promise<PublicTrackingSettings> {
  return toPublicSettings(await stored(db, id));
}

/**
 * Resolves what a PUT (or a test of unsaved settings) means: a missing password keeps the
 * stored one, an empty string removes it.
 */
export async function mergeTrackingSettings(db: Executor, secret: string, input: TrackingSettingsInput, id: string = DEFAULT_ACCOUNT_ID): Promise<StoredTrackingSettings> {
  const previous = await stored(db, id);
  const { password, oauth, ...fields } = input;
  requirePasswordForNewServer(previous?.host ? previous : undefined, Boolean(previous?.passwordSealed), fields, password !== undefined && password !== '');
  const nextOAuth = oauth ? mergeOAuthConfig(secret, previous.oauth, oauth) : previous.oauth;
  // Tokens belong to the client and the server that issued them: another client or token
  // endpoint starts over with Connect (a refresh token is never sent anywhere else).
  if (previous.oauth && (!nextOAuth || nextOAuth.tokenUrl !== previous.oauth.tokenUrl || nextOAuth.clientId !== previous.oauth.clientId)) await forgetTokens(db, id);
  const next: StoredTrackingSettings = {
    ...previous,
    ...fields,
    ...(nextOAuth ? { oauth: nextOAuth } : {}),
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

export async function saveTrackingSettings(db: Executor, secret: string, input: TrackingSettingsInput, id: string = DEFAULT_ACCOUNT_ID): Promise<PublicTrackingSettings> {
  await updateTrackingAccount(db, id, { settings: await mergeTrackingSettings(db, secret, input, id) });
  return publicTrackingSettings(db, id);
}

/** Opens a stored shape (also for testing unsaved settings without writing them). */
export function openTrackingSettings(s: StoredTrackingSettings, secret: string, id: string = DEFAULT_ACCOUNT_ID): TrackingSettings {
  const { passwordSealed, oauth: _oauth, ...rest } = s;
  return { ...rest, password: passwordSealed ? open(secret, passwordSealed) : '', account: accountKey(s), accountId: id };
}

/**
 * The identity of the account a message was fetched from (by its mailbox key, as inbound rows
 * remember it): its address is what plus-addresses and bounces name, its domain what our
 * Message-IDs use. A mailbox no account points at any more falls back to the default.
 */
export async function identityOfMailbox(db: Executor, key: string): Promise<TrackingIdentity | undefined> {
  const rows = await listTrackingAccountRows(db);
  const row = rows.find((r) => accountKey(parseStoredSettings(r.settings)) === key) ?? rows.find((r) => r.id === DEFAULT_ACCOUNT_ID);
  return identityOf(row);
}
