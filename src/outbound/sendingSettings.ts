import { open, seal } from '../crypto/secretBox.js';
import { requirePasswordForNewServer } from '../domain/credentials.js';
import type { Executor } from '../store/db.js';
import { getSetting, putSetting } from '../store/settings.repository.js';
import { getAccessToken } from '../mailboxes/oauth/index.js';

export type Security = 'none' | 'starttls' | 'tls';

/** Server options → Sending, as stored (password sealed). */
export interface StoredSendingSettings {
  host: string;
  port: number;
  security: Security;
  username?: string;
  passwordSealed?: string;
  /** Mail waits in the outbox while paused. */
  paused: boolean;
  /** For servers that misbehave when a connection carries several messages. */
  onePerConnection: boolean;
  /** Accept self-signed certificates (test servers, internal relays). */
  allowSelfSigned: boolean;
  maxConnections: number;
  /**
   * Sign in with the OAuth2 token of this tracking account (mailboxes/oauth) instead of the
   * password: Exchange Online and Google accept SMTP AUTH XOAUTH2 from the mailbox's own grant
   * (scope SMTP.Send / https://mail.google.com/). `username` is the mailbox signed in as.
   */
  oauthAccountId?: string;
  /** smtp (default), or Microsoft Graph sendMail (OAuth2 only: oauthAccountId; username is the sending mailbox, empty: each message's From). */
  transport?: 'smtp' | 'graph';
}

export interface SendingSettings extends Omit<StoredSendingSettings, 'passwordSealed'> {
  password?: string;
  /** The account's current access token, when oauthAccountId is set. */
  accessToken?: string;
}

export type PublicSendingSettings = Omit<StoredSendingSettings, 'passwordSealed'> & { passwordSet: boolean; configured: boolean };

const KEY = 'email.sending';

export const DEFAULT_SENDING: StoredSendingSettings = {
  host: '',
  port: 25,
  security: 'none',
  paused: false,
  onePerConnection: false,
  allowSelfSigned: false,
  maxConnections: 5,
};

/**
 * The settings with the password opened, or with a valid access token when sending signs in
 * with OAuth2 (`forceRefresh` after the server refused the last one). Throws ReconnectNeeded
 * when the account's sign-in must be renewed by an admin: the outbox keeps the mail.
 */
export async function loadSendingSettings(db: Executor, secret: string, opts: { forceRefresh?: boolean } = {}): Promise<SendingSettings | undefined> {
  const stored = await getSetting<StoredSendingSettings>(db, KEY);
  if (!stored || !stored.host) return undefined;
  const { passwordSealed, ...rest } = { ...DEFAULT_SENDING, ...stored };
  if (rest.oauthAccountId) {
    const { token } = await getAccessToken({ store: { db }, config: { secret } }, rest.oauthAccountId, opts);
    return { ...rest, accessToken: token };
  }
  return passwordSealed ? { ...rest, password: open(secret, passwordSealed) } : rest;
}

export async function publicSendingSettings(db: Executor): Promise<PublicSendingSettings> {
  const stored = { ...DEFAULT_SENDING, ...(await getSetting<StoredSendingSettings>(db, KEY)) };
  const { passwordSealed, ...rest } = stored;
  return { ...rest, passwordSet: Boolean(passwordSealed), configured: Boolean(stored.host) };
}

/** A PUT without a password keeps the stored one; an empty string removes it (also when the host or port moves). */
export async function saveSendingSettings(
  db: Executor,
  secret: string,
  input: Partial<Omit<StoredSendingSettings, 'passwordSealed'>> & { host: string; port: number; security: Security; password?: string },
): Promise<PublicSendingSettings> {
  const previous = { ...DEFAULT_SENDING, ...(await getSetting<StoredSendingSettings>(db, KEY)) };
  const { password, ...fields } = input;
  // An empty password removes the stored one: moving the host then sends it nowhere (how a switch to OAuth2 or Graph drops it).
  requirePasswordForNewServer(previous, Boolean(previous.passwordSealed), input, password !== undefined);
  const next: StoredSendingSettings = { ...previous, ...fields };
  if (input.username === '' || input.username === undefined) delete next.username;
  if (input.oauthAccountId === '' ) delete next.oauthAccountId;
  if (password !== undefined) {
    if (password === '') delete next.passwordSealed;
    else next.passwordSealed = seal(secret, password);
  }
  await putSetting(db, KEY, next);
  return publicSendingSettings(db);
}
