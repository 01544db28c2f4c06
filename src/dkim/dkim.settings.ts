import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { open, seal } from '../crypto/secretBox.js';
import { badRequest } from '../errors.js';
import type { Executor } from '../store/db.js';
import { getSetting, putSetting } from '../store/settings.repository.js';

/**
 * DKIM signing of all outgoing mail (tracked emails, forwards, notifications, acknowledgements:
 * everything the sender takes from the outbox). One key for the server, stored in the settings
 * table with the private key sealed under MAILTRAIL_SECRET like the mail passwords; the public
 * half is kept in the clear to show the DNS record. Signing itself is nodemailer's (`dkim`
 * option of sendMail), applied to the stored raw bytes as they go out.
 */
interface StoredDkim {
  enabled: boolean;
  domain: string;
  selector: string;
  privateKeySealed?: string;
  /** base64 of the DER SubjectPublicKeyInfo: the `p=` of the DNS record. */
  publicKey?: string;
  keyBits?: number;
  keyCreatedAt?: string;
}

export interface PublicDkim {
  enabled: boolean;
  domain: string;
  selector: string;
  keySet: boolean;
  keyBits?: number;
  keyCreatedAt?: string;
  /** The TXT record to publish: name and value. */
  dnsRecord?: { name: string; type: 'TXT'; value: string };
}

export interface DkimSigning {
  domainName: string;
  keySelector: string;
  /**
   * A parsed key, not PEM: node parses a PEM string on every signature, which was 0.6 ms of the
   * 1.4 ms signing added per message (bench send, MAILTRAIL_BENCH_DKIM=1).
   */
  privateKey: KeyObject;
}

const KEY = 'email.dkim';
const DEFAULT: StoredDkim = { enabled: false, domain: '', selector: 'mailtrail' };

const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const SELECTOR = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

async function stored(db: Executor): Promise<StoredDkim> {
  return { ...DEFAULT, ...(await getSetting<StoredDkim>(db, KEY)) };
}

function toPublic(s: StoredDkim): PublicDkim {
  const out: PublicDkim = { enabled: s.enabled, domain: s.domain, selector: s.selector, keySet: Boolean(s.privateKeySealed) };
  if (s.keyBits) out.keyBits = s.keyBits;
  if (s.keyCreatedAt) out.keyCreatedAt = s.keyCreatedAt;
  if (s.publicKey && s.domain && s.selector)
    out.dnsRecord = { name: `${s.selector}._domainkey.${s.domain}`, type: 'TXT', value: `v=DKIM1; k=rsa; p=${s.publicKey}` };
  return out;
}

export async function publicDkim(db: Executor): Promise<PublicDkim> {
  return toPublic(await stored(db));
}

/** The key to sign with, or undefined when signing is off or incomplete. */
export async function loadDkimSigning(db: Executor, secret: string): Promise<DkimSigning | undefined> {
  const s = await stored(db);
  if (!s.enabled || !s.privateKeySealed || !s.domain || !s.selector) return undefined;
  if (parsed?.sealed !== s.privateKeySealed) parsed = { sealed: s.privateKeySealed, key: createPrivateKey(open(secret, s.privateKeySealed)) };
  return { domainName: s.domain, keySelector: s.selector, privateKey: parsed.key };
}

/** The last key opened, by its sealed text: the sender reads the setting once per batch. */
let parsed: { sealed: string; key: KeyObject } | undefined;

function keyFields(key: KeyObject): Pick<StoredDkim, 'publicKey' | 'keyBits'> {
  const details = key.asymmetricKeyDetails;
  return {
    publicKey: createPublicKey(key).export({ type: 'spki', format: 'der' }).toString('base64'),
    ...(details?.modulusLength ? { keyBits: details.modulusLength } : {}),
  };
}

/** An uploaded PEM must be an RSA private key of 1024 bits or more (receivers refuse less). */
function readPrivateKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw badRequest('invalid_dkim_key', 'The private key is not a PEM-encoded private key.');
  }
  if (key.asymmetricKeyType !== 'rsa')
    throw badRequest('invalid_dkim_key', `Only RSA keys are supported for DKIM signing (this one is ${key.asymmetricKeyType}).`);
  if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < 1024)
    throw badRequest('invalid_dkim_key', 'The RSA key must have at least 1024 bits (2048 recommended).');
  return key;
}

export interface DkimInput {
  enabled?: boolean;
  domain?: string;
  selector?: string;
  /** PEM (PKCS#1 or PKCS#8); replaces the stored key. */
  privateKey?: string;
}

function check(next: StoredDkim): void {
  if (next.domain && !DOMAIN.test(next.domain)) throw badRequest('invalid_dkim_domain', `"${next.domain}" is not a domain name.`);
  if (!SELECTOR.test(next.selector)) throw badRequest('invalid_dkim_selector', `"${next.selector}" is not a DKIM selector (letters, digits, hyphens, dots).`);
  if (next.enabled && (!next.domain || !next.privateKeySealed)) {
    throw badRequest('dkim_incomplete', 'Signing needs a domain and a key: generate or upload one first.');
  }
}

export async function saveDkim(db: Executor, secret: string, input: DkimInput): Promise<PublicDkim> {
  const next: StoredDkim = { ...(await stored(db)) };
  if (input.domain !== undefined) next.domain = input.domain.trim().toLowerCase();
  if (input.selector !== undefined) next.selector = input.selector.trim().toLowerCase();
  if (input.enabled !== undefined) next.enabled = input.enabled;
  if (input.privateKey !== undefined) {
    const key = readPrivateKey(input.privateKey);
    next.privateKeySealed = seal(secret, key.export({ type: 'pkcs8', format: 'pem' }).toString());
    Object.assign(next, keyFields(key), { keyCreatedAt: new Date().toISOString() });
  }
  check(next);
  await putSetting(db, KEY, next);
  return toPublic(next);
}

/** A new RSA 2048 key replaces the old one; signing stays as it was (on or off). */
export async function generateDkimKey(db: Executor, secret: string, input: Omit<DkimInput, 'privateKey'> = {}): Promise<PublicDkim> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return saveDkim(db, secret, { ...input, privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() });
}
