import type { ImapFlow, ImapFlowOptions } from 'imapflow';
import { ImapError, toImapError } from './errors.js';
import { defaultImapLimits, type ImapLimits } from './limits.js';

/**
 * imapflow and what it pulls in cost about 5 MB of heap and 20 MB of RSS at load; they are loaded
 * on first use, so a server whose mailboxes are all POP3 or Graph never pays for them.
 */
async function imapFlow(options: ImapFlowOptions): Promise<ImapFlow> {
  const { ImapFlow: Client } = await import('imapflow');
  return new Client(options);
}

export type ImapSecurity = 'none' | 'starttls' | 'tls';

export interface ImapConnectOptions {
  host: string;
  port: number;
  security: ImapSecurity;
  username: string;
  password: string;
  /** An OAuth2 bearer token instead of the password: imapflow signs in with OAUTHBEARER or XOAUTH2, whichever the server offers. */
  accessToken?: string;
  /** Accept a self-signed or otherwise unverifiable certificate (test servers). */
  allowSelfSigned?: boolean;
  /** The mailbox to work in; the tracking account uses INBOX. */
  mailbox?: string;
  limits?: Partial<ImapLimits>;
}

export interface ImapMessageInfo {
  uid: number;
  size: number;
}

function flowOptions(opts: ImapConnectOptions, limits: ImapLimits, idle: boolean): ImapFlowOptions {
  return {
    host: opts.host,
    port: opts.port,
    // 'tls' is implicit TLS (993); 'starttls' must upgrade or fail — never fall back to
    // cleartext because a man in the middle stripped the capability; 'none' never upgrades.
    secure: opts.security === 'tls',
    doSTARTTLS: opts.security === 'starttls' ? true : opts.security === 'none' ? false : undefined,
    ...(opts.allowSelfSigned ? { tls: { rejectUnauthorized: false } } : {}),
    auth: opts.accessToken ? { user: opts.username, accessToken: opts.accessToken } : { user: opts.username, pass: opts.password },
    logger: false,
    disableAutoIdle: !idle,
    // A message is read whole for parsing anyway; a larger literal is refused by the protocol
    // layer before it is buffered.
    maxLiteralSize: limits.maxMessageBytes + 64 * 1024,
    maxResponseSize: limits.maxMessageBytes + 1024 * 1024,
    maxLineLength: limits.maxLineBytes,
    connectionTimeout: limits.connectTimeoutMs,
    greetingTimeout: limits.greetingTimeoutMs,
    socketTimeout: limits.socketTimeoutMs,
    maxIdleTime: limits.idleRefreshMs,
    clientInfo: { name: 'Mailtrail' },
  };
}

/**
 * One IMAP session on the tracking mailbox: list by UID, fetch the exact raw bytes by UID,
 * delete by UID. A thin, typed shell over imapflow that turns its errors into our catalogue
 * and keeps the mailbox's UIDVALIDITY, without which a UID means nothing across sessions.
 */
export class ImapMailbox {
  private constructor(
    private readonly client: ImapFlow,
    private readonly limits: ImapLimits,
    /** UIDVALIDITY of the selected mailbox, as a decimal string (it is a 32-bit unsigned number). */
    readonly uidValidity: string,
  ) {}

  static async open(opts: ImapConnectOptions): Promise<ImapMailbox> {
    const limits = { ...defaultImapLimits, ...opts.limits };
    const client = await imapFlow(flowOptions(opts, limits, false));
    // imapflow emits 'error' for socket failures outside a command; without a listener
    // Node would turn that into an uncaught exception and take the server down.
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (err) {
      client.close();
      throw toImapError(err, 'CONNECT');
    }
    try {
      const box = await client.mailboxOpen(opts.mailbox ?? 'INBOX');
      return new ImapMailbox(client, limits, box.uidValidity.toString());
    } catch (err) {
      client.close();
      throw toImapError(err, 'SELECT');
    }
  }

  get supportsIdle(): boolean {
    return this.client.capabilities.has('IDLE');
  }

  get supportsUidplus(): boolean {
    return this.client.capabilities.has('UIDPLUS');
  }

  /** Messages in the mailbox now, oldest first. */
  async list(): Promise<ImapMessageInfo[]> {
    const exists = this.client.mailbox ? this.client.mailbox.exists : 0;
    // "1:*" on an empty mailbox is an error on some servers, so ask only when there is something.
    if (exists === 0) return [];
    const out: ImapMessageInfo[] = [];
    try {
      for await (const msg of this.client.fetch('1:*', { uid: true, size: true })) {
        out.push({ uid: msg.uid, size: msg.size ?? 0 });
      }
    } catch (err) {
      throw toImapError(err, 'FETCH 1:* (UID RFC822.SIZE)');
    }
    return out.sort((a, b) => a.uid - b.uid);
  }

  /** The message exactly as stored on the server (BODY.PEEK[], so \Seen is not set). */
  async fetchRaw(uid: number, expectedSize?: number): Promise<Buffer> {
    if (expectedSize !== undefined && expectedSize > this.limits.maxMessageBytes) {
      throw new ImapError('imap_message_too_large', `Message UID ${uid} has ${expectedSize} bytes, more than the ${this.limits.maxMessageBytes} accepted.`, {
        command: `UID FETCH ${uid}`,
      });
    }
    let msg;
    try {
      msg = await this.client.fetchOne(String(uid), { uid: true, source: true }, { uid: true });
    } catch (err) {
      throw toImapError(err, `UID FETCH ${uid} (BODY.PEEK[])`);
    }
    if (!msg || !msg.source) throw new ImapError('imap_message_missing', `Message UID ${uid} is no longer in the mailbox.`, { command: `UID FETCH ${uid}` });
    return msg.source;
  }

  /**
   * Flags the messages \Deleted and expunges them: UID EXPUNGE of exactly these UIDs when the
   * server has UIDPLUS, else a plain EXPUNGE (which also removes anything else flagged
   * \Deleted — acceptable on a dedicated tracking account, and said so in docs/inbound.md).
   */
  async delete(uids: number[]): Promise<void> {
    if (uids.length === 0) return;
    const range = uids.join(',');
    let ok: boolean;
    try {
      ok = await this.client.messageDelete(range, { uid: true });
    } catch (err) {
      throw toImapError(err, `UID STORE ${range} +FLAGS (\\Deleted); EXPUNGE`);
    }
    if (!ok)
      throw new ImapError('imap_command_failed', `The IMAP server did not delete messages ${range}.`, {
        command: `UID STORE ${range} +FLAGS (\\Deleted); EXPUNGE`,
      });
  }

  /** LOGOUT; a server that is already gone is not an error here. */
  async close(): Promise<void> {
    try {
      await this.client.logout();
    } catch {
      this.client.close();
    }
  }

  /** Drops the connection without LOGOUT (after an error, or to simulate a crash). */
  destroy(): void {
    this.client.close();
  }
}

/** Connect, log in, open the mailbox, count: what "Test" in the server options does. */
export async function probeImap(opts: ImapConnectOptions): Promise<{ messages: number; idle: boolean; uidplus: boolean }> {
  const box = await ImapMailbox.open(opts);
  try {
    const list = await box.list();
    return { messages: list.length, idle: box.supportsIdle, uidplus: box.supportsUidplus };
  } finally {
    await box.close();
  }
}

export interface MailboxWatch {
  /** Resolves when the watching connection ends (server gone, network, or stop()). */
  readonly closed: Promise<void>;
  readonly idle: boolean;
  stop(): Promise<void>;
}

/**
 * Keeps one connection on the mailbox in IDLE (imapflow starts it when the connection is quiet
 * and refreshes it every `idleRefreshMs`; servers without IDLE get a NOOP poll instead) and
 * calls `onNewMail` when the server announces new messages, so replies arrive within seconds
 * rather than at the next poll interval. It only signals: fetching is the poller's job.
 */
export async function watchMailbox(opts: ImapConnectOptions, onNewMail: () => void): Promise<MailboxWatch> {
  const limits = { ...defaultImapLimits, ...opts.limits };
  const client = await imapFlow({ ...flowOptions(opts, limits, true), autoIdleDelay: 1000 });
  let resolveClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  client.on('error', () => undefined);
  client.on('close', () => resolveClosed());
  client.on('exists', (data: unknown) => {
    const d = data as { count?: number; prevCount?: number };
    if ((d.count ?? 0) > (d.prevCount ?? 0)) onNewMail();
  });
  try {
    await client.connect();
    await client.mailboxOpen(opts.mailbox ?? 'INBOX');
  } catch (err) {
    client.close();
    throw toImapError(err, 'CONNECT');
  }
  return {
    closed,
    idle: client.capabilities.has('IDLE'),
    async stop() {
      try {
        await client.logout();
      } catch {
        client.close();
      }
      resolveClosed();
    },
  };
}
