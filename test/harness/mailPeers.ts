/**
 * Helpers for tests that talk to the real mail peers started by `scripts/mail-peers.sh`:
 * Postfix on 127.0.0.1:25 delivering into Dovecot (POP3 110/995, IMAP 143/993) for the domain
 * example.test, where every address is a mailbox and every password is the same.
 *
 * A test calls `if (!(await requirePeers(t))) return;` first (requirePeer in test/support/peers.ts): without the peers it is skipped on
 * a developer machine and fails in CI, where .ci/run is expected to have started them.
 */
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { TestContext } from 'node:test';
import nodemailer from 'nodemailer';
import { ImapFlow } from 'imapflow';
import { Pop3Client, type Pop3Security } from '../../src/mail/pop3/index.js';
import { requirePeer, type PeerProbe } from '../support/peers.js';

export interface PeersConfig {
  host: string;
  domain: string;
  password: string;
  smtpPort: number;
  pop3Port: number;
  pop3sPort: number;
  imapPort: number;
  imapsPort: number;
  /** Where the script makes Dovecot and Postfix log; printed by tests when they fail. */
  dovecotLog: string;
  postfixLog: string;
}

const config: Readonly<PeersConfig> = Object.freeze({
  host: '127.0.0.1',
  domain: 'example.test',
  password: 'mailtrail-test',
  smtpPort: 25,
  pop3Port: 110,
  pop3sPort: 995,
  imapPort: 143,
  imapsPort: 993,
  dovecotLog: '/var/log/mailtrail-peers/dovecot.log',
  postfixLog: '/var/log/mailtrail-peers/postfix.log',
});

export function peersConfig(): Readonly<PeersConfig> {
  return config;
}

/** The peers use a self-signed certificate made by the script. */
const insecureTls = { rejectUnauthorized: false } as const;

function portOpen(port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: config.host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Every peer port (SMTP, POP3, POP3S, IMAP, IMAPS) accepts connections. */
export const mailPeersProbe: PeerProbe = {
  check: () =>
    Promise.all([config.smtpPort, config.pop3Port, config.pop3sPort, config.imapPort, config.imapsPort].map((p) => portOpen(p, 1000))).then((open) =>
      open.every(Boolean),
    ),
  hint: 'run scripts/mail-peers.sh (as root)',
};

/** requirePeer for Postfix + Dovecot: skips locally, fails under CI=true. */
export function requirePeers(t: TestContext): Promise<boolean> {
  return requirePeer(t, 'Postfix and Dovecot', mailPeersProbe);
}

/** A fresh address at the test domain; its mailbox exists once mail arrives. */
export function newAddress(prefix = 'test'): string {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9.-]/g, '-') || 'test';
  return `${clean}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}@${config.domain}`;
}

export interface SendOptions {
  from: string;
  to: string | string[];
  subject?: string;
  text?: string;
  /** A complete RFC 5322 message, sent as is (subject/text are then ignored). */
  raw?: string | Buffer | Readable;
  messageId?: string;
  headers?: Record<string, string>;
}

/** Sends through Postfix on 127.0.0.1:25; resolves with the Message-ID Postfix accepted. */
export async function sendViaPostfix(options: SendOptions): Promise<{ messageId: string }> {
  const transport = nodemailer.createTransport({
    host: config.host,
    port: config.smtpPort,
    secure: false,
    // Postfix offers STARTTLS with the self-signed certificate; nodemailer takes it if offered.
    tls: insecureTls,
  });
  try {
    const to = Array.isArray(options.to) ? options.to : [options.to];
    const info = options.raw
      ? await transport.sendMail({ envelope: { from: options.from, to }, raw: options.raw })
      : await transport.sendMail({
          from: options.from,
          to,
          subject: options.subject ?? '',
          text: options.text ?? '',
          ...(options.messageId ? { messageId: options.messageId } : {}),
          ...(options.headers ? { headers: options.headers } : {}),
        });
    return { messageId: String(info.messageId ?? '') };
  } finally {
    transport.close();
  }
}

function imapClient(address: string): ImapFlow {
  return new ImapFlow({
    host: config.host,
    port: config.imapPort,
    secure: false,
    tls: insecureTls,
    auth: { user: address, pass: config.password },
    logger: false,
  });
}

/** Waits until the address's INBOX holds at least `n` messages; returns the count. */
export async function waitForMessageCount(address: string, n: number, timeoutMs = 10_000): Promise<number> {
  const client = imapClient(address);
  await client.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    let count = 0;
    for (;;) {
      const status = await client.status('INBOX', { messages: true });
      count = status ? (status.messages ?? 0) : 0;
      if (count >= n) return count;
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(
      `${address} has ${count} message(s), expected ${n} within ${timeoutMs} ms.\n` +
        `--- postfix log ---\n${await logTail(config.postfixLog)}\n--- dovecot log ---\n${await logTail(config.dovecotLog)}`,
    );
  } finally {
    await client.logout().catch(() => {});
  }
}

/** Every message in the address's INBOX, raw, in mailbox order (over IMAP, with imapflow). */
export async function readAllImap(address: string): Promise<Buffer[]> {
  const client = imapClient(address);
  await client.connect();
  try {
    const mailbox = await client.mailboxOpen('INBOX', { readOnly: true });
    if (mailbox.exists === 0) return [];
    const out: Buffer[] = [];
    for await (const message of client.fetch('1:*', { source: true })) {
      if (message.source) out.push(message.source);
    }
    return out;
  } finally {
    await client.logout().catch(() => {});
  }
}

/** Every message in the address's maildrop, raw, in order (over POP3, with our own client). */
export async function readAllPop3(address: string, security: Pop3Security = 'none'): Promise<Buffer[]> {
  const client = pop3Client(security);
  await client.connect();
  try {
    await client.login(address, config.password);
    const out: Buffer[] = [];
    for (const { n } of await client.list()) out.push(await client.retr(n));
    await client.quit();
    return out;
  } finally {
    client.close();
  }
}

/** A not yet connected POP3 client for the peers, with the test certificate accepted. */
export function pop3Client(security: Pop3Security = 'none'): Pop3Client {
  return new Pop3Client({
    host: config.host,
    port: security === 'tls' ? config.pop3sPort : config.pop3Port,
    security,
    tls: insecureTls,
  });
}

/** Empties the address's INBOX. */
export async function deleteAll(address: string): Promise<void> {
  const client = imapClient(address);
  await client.connect();
  try {
    const mailbox = await client.mailboxOpen('INBOX');
    if (mailbox.exists > 0) await client.messageDelete('1:*');
  } finally {
    await client.logout().catch(() => {});
  }
}

/** The last lines of a peer's log, for failure messages; never throws. */
export async function logTail(path: string, lines = 30): Promise<string> {
  try {
    const text = await readFile(path, 'utf8');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch (err) {
    return `(cannot read ${path}: ${(err as Error).message})`;
  }
}
