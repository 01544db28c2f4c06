import { open, seal } from '../crypto/secretBox.js';
import { requirePasswordForNewServer } from '../domain/credentials.js';
import type { Executor } from '../store/db.js';
import { getSetting, putSetting } from '../store/settings.repository.js';

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
}

export interface SendingSettings extends Omit<StoredSendingSettings, 'passwordSealed'> {
  password?: string;
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

export async function loadSendingSettings(db: Executor, secret: string): Promise<SendingSettings | undefined> {
  const stored = await getSetting<StoredSendingSettings>(db, KEY);
  if (!stored || !stored.host) return undefined;
  const { passwordSealed, ...rest } = { ...DEFAULT_SENDING, ...stored };
  return passwordSealed ? { ...rest, password: open(secret, passwordSealed) } : rest;
}

export async function publicSendingSettings(db: Executor): Promise<PublicSendingSettings> {
  const stored = { ...DEFAULT_SENDING, ...(await getSetting<StoredSendingSettings>(db, KEY)) };
  const { passwordSealed, ...rest } = stored;
  return { ...rest, passwordSet: Boolean(passwordSealed), configured: Boolean(stored.host) };
}

/** A PUT without a password keeps the stored one; an empty string removes it. */
export async function saveSendingSettings(
  db: Executor,
  secret: string,
  input: Partial<Omit<StoredSendingSettings, 'passwordSealed'>> & { host: string; port: number; security: Security; password?: string },
): Promise<PublicSendingSettings> {
  const previous = { ...DEFAULT_SENDING, ...(await getSetting<StoredSendingSettings>(db, KEY)) };
  const { password, ...fields } = input;
  requirePasswordForNewServer(previous, Boolean(previous.passwordSealed), input, password !== undefined && password !== '');
  const next: StoredSendingSettings = { ...previous, ...fields };
  if (input.username === '' || input.username === undefined) delete next.username;
  if (password !== undefined) {
    if (password === '') delete next.passwordSealed;
    else next.passwordSealed = seal(secret, password);
  }
  await putSetting(db, KEY, next);
  return publicSendingSettings(db);
}
