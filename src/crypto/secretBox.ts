import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Encrypts secrets at rest (SMTP/POP3/IMAP passwords) with AES-256-GCM under a key derived
 * from MAILTRAIL_SECRET for this one purpose, so a database dump alone reveals no password.
 * Format: "v1:" + base64url(iv | tag | ciphertext).
 */
function keyFor(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'mailtrail', 'secret-box-v1', 32));
}

export function seal(secret: string, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyFor(secret), iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `v1:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
}

export function open(secret: string, sealed: string): string {
  if (!sealed.startsWith('v1:')) throw new Error('unknown sealed secret format');
  const raw = Buffer.from(sealed.slice(3), 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', keyFor(secret), raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
}
