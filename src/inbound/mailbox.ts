import { Readable } from 'node:stream';
import { connectionTestFailure } from '../mail/connectionTest.js';
import { ImapError, ImapMailbox, probeImap, type ImapConnectOptions } from '../mail/imap/index.js';
import { Pop3Client, Pop3Error } from '../mail/pop3/index.js';
import { GraphClient, GraphError, type TokenSource } from '../mail/graph/client.js';
import { GraphSession } from '../mailboxes/graph/index.js';
import { AppError } from '../errors.js';
import type { TrackingSettings } from './trackingSettings.js';

/**
 * The tracking account as the poller sees it, whatever the protocol: list what is there by a
 * stable server id, stream one message, mark messages for removal, and commit the removals.
 * Removal is two-phase on purpose: POP3 only deletes at QUIT and IMAP at EXPUNGE, so nothing
 * leaves the server until the poller has committed every decision to the database.
 */
export interface RemoteMessage {
  /** Stable across sessions: the POP3 UIDL, or "uidvalidity:uid" for IMAP. */
  uid: string;
  size: number;
}

export interface MailboxSession {
  readonly protocol: 'pop3' | 'imap' | 'graph';
  list(): Promise<RemoteMessage[]>;
  /** The message's exact bytes as a stream (POP3 RETR is streamed from the socket). */
  fetch(message: RemoteMessage): Promise<Readable>;
  markForRemoval(uid: string): Promise<void>;
  /** Makes the removals permanent and ends the session; returns the uids removed. */
  commit(): Promise<string[]>;
  /** Ends the session at once, removing nothing. */
  abort(): void;
}

export type MailboxOpener = (settings: TrackingSettings) => Promise<MailboxSession>;

/**
 * True when a fetch failed for that one message and the session is still fine (the server
 * answered -ERR / NO for it, or it vanished meanwhile): the poller skips it and goes on, so one
 * message the server cannot deliver never blocks the rest of the mailbox. Anything else (the
 * connection is gone, a timeout) ends the poll.
 */
export function isMessageLevelError(err: unknown): boolean {
  if (err instanceof Pop3Error) return err.code === 'ECOMMAND';
  if (err instanceof ImapError) return err.code === 'imap_message_missing' || err.code === 'imap_command_failed';
  // Graph: the message was deleted between the listing and the download.
  if (err instanceof GraphError) return err.status === 404;
  return false;
}

function imapOptions(s: TrackingSettings, accessToken?: string): ImapConnectOptions {
  return {
    host: s.host,
    port: s.port,
    security: s.security,
    username: s.username,
    password: s.password,
    allowSelfSigned: s.allowSelfSigned,
    ...(accessToken ? { accessToken } : {}),
  };
}

function authRefused(err: unknown): boolean {
  return (err instanceof Pop3Error && err.code === 'EAUTH') || (err instanceof ImapError && err.code === 'imap_auth_failed');
}

/**
 * Signs in with the password, or with the account's OAuth2 token: a token the server refuses
 * (revoked early, expired by its clock though not by ours) is replaced by a fresh one and the
 * sign-in tried once more; a second refusal is the answer.
 */
export async function withSignIn<T>(s: TrackingSettings, open: (accessToken?: string) => Promise<T>): Promise<T> {
  if (!s.bearer) return open();
  try {
    return await open(await s.bearer.token());
  } catch (err) {
    if (!authRefused(err)) throw err;
    return open(await s.bearer.token({ forceRefresh: true }));
  }
}

class Pop3Session implements MailboxSession {
  readonly protocol = 'pop3';
  private readonly numbers = new Map<string, number>();
  private readonly marked: string[] = [];
  private readonly deletions: Promise<unknown>[] = [];

  private constructor(private readonly client: Pop3Client) {}

  static open(s: TrackingSettings): Promise<Pop3Session> {
    return withSignIn(s, (token) => Pop3Session.openWith(s, token));
  }

  private static async openWith(s: TrackingSettings, accessToken?: string): Promise<Pop3Session> {
    const client = new Pop3Client({
      host: s.host,
      port: s.port,
      security: s.security,
      ...(s.allowSelfSigned ? { tls: { rejectUnauthorized: false } } : {}),
    });
    try {
      await client.connect();
      if (accessToken) await client.authenticate(s.bearer?.mechanism === 'oauthbearer' ? 'OAUTHBEARER' : 'XOAUTH2', s.username, accessToken);
      else await client.login(s.username, s.password);
      // After sign-in, as capabilities may change with it (RFC 2449 §4); a server without CAPA
      // answers -ERR and is simply not pipelined.
      await client.capa().catch((err: unknown) => {
        if (!isMessageLevelError(err)) throw err;
      });
    } catch (err) {
      client.close();
      throw err;
    }
    return new Pop3Session(client);
  }

  async list(): Promise<RemoteMessage[]> {
    const uidl = await this.client.uidl();
    const sizes = new Map((await this.client.list()).map((e) => [e.n, e.size]));
    this.numbers.clear();
    const out: RemoteMessage[] = [];
    for (const e of uidl) {
      // A server listing one UIDL twice is broken; the first number is the one we use.
      if (this.numbers.has(e.uid)) continue;
      this.numbers.set(e.uid, e.n);
      out.push({ uid: e.uid, size: sizes.get(e.n) ?? 0 });
    }
    return out;
  }

  private numberOf(uid: string): number {
    const n = this.numbers.get(uid);
    if (n === undefined) throw new Error(`POP3 message ${uid} is not in this session's listing`);
    return n;
  }

  fetch(message: RemoteMessage): Promise<Readable> {
    return this.client.retrStream(this.numberOf(message.uid));
  }

  /**
   * DELE goes out without waiting for its +OK (pipelined with the next RETR when the server
   * allows); commit() waits for every answer before QUIT, and a refused DELE fails the commit,
   * so the session ends without QUIT and nothing is deleted, as when DELE was awaited here.
   */
  markForRemoval(uid: string): Promise<void> {
    const dele = this.client.dele(this.numberOf(uid));
    // Settled here so a refusal is not an unhandled rejection before commit() looks at it.
    this.deletions.push(
      dele.then(
        () => undefined,
        (err: unknown) => err,
      ),
    );
    this.marked.push(uid);
    return Promise.resolve();
  }

  async commit(): Promise<string[]> {
    for (const outcome of await Promise.all(this.deletions)) if (outcome !== undefined) throw outcome;
    await this.client.quit();
    return [...this.marked];
  }

  abort(): void {
    this.client.close();
  }
}

class ImapSession implements MailboxSession {
  readonly protocol = 'imap';
  private readonly marked: number[] = [];

  private constructor(private readonly box: ImapMailbox) {}

  static async open(s: TrackingSettings): Promise<ImapSession> {
    return new ImapSession(await withSignIn(s, (token) => ImapMailbox.open(imapOptions(s, token))));
  }

  private key(uid: number): string {
    return `${this.box.uidValidity}:${uid}`;
  }

  private uidOf(key: string): number {
    const [validity, uid] = key.split(':');
    if (validity !== this.box.uidValidity || uid === undefined) throw new Error(`IMAP message ${key} is not from this UIDVALIDITY`);
    return Number(uid);
  }

  async list(): Promise<RemoteMessage[]> {
    return (await this.box.list()).map((m) => ({ uid: this.key(m.uid), size: m.size }));
  }

  async fetch(message: RemoteMessage): Promise<Readable> {
    return Readable.from([await this.box.fetchRaw(this.uidOf(message.uid), message.size)]);
  }

  async markForRemoval(uid: string): Promise<void> {
    this.marked.push(this.uidOf(uid));
  }

  async commit(): Promise<string[]> {
    // \Deleted + (UID) EXPUNGE in one step at the end: a crash before it leaves every message
    // in place, unflagged, and the next poll removes what the database says is filed.
    await this.box.delete(this.marked);
    await this.box.close();
    return this.marked.map((uid) => this.key(uid));
  }

  abort(): void {
    this.box.destroy();
  }
}

/** The Graph endpoint of an account: host, port and security as for the other protocols (https by default). */
export function graphBaseUrl(s: Pick<TrackingSettings, 'host' | 'port' | 'security'>): string {
  const scheme = s.security === 'none' ? 'http' : 'https';
  const port = (scheme === 'https' && s.port === 443) || (scheme === 'http' && s.port === 80) ? '' : `:${s.port}`;
  return `${scheme}://${s.host}${port}/v1.0`;
}

/** Graph signs in only with OAuth2: the account's bearer token, refreshed once after a 401. */
export function graphClient(s: TrackingSettings): GraphClient {
  const bearer = s.bearer;
  if (!bearer)
    throw new AppError(
      'bad_request',
      'graph_needs_oauth',
      'Microsoft Graph signs in with OAuth2 only: connect the account (Admin → Email → tracking account → OAuth2).',
    );
  let force = false;
  const tokens: TokenSource = {
    getAccessToken: async () => {
      const forceRefresh = force;
      force = false;
      return bearer.token({ forceRefresh });
    },
    invalidate: () => {
      force = true;
    },
  };
  return new GraphClient({ baseUrl: graphBaseUrl(s), tokens });
}

function graphSession(s: TrackingSettings): GraphSession {
  return new GraphSession(graphClient(s), { mailbox: s.username, folder: s.folder || 'inbox', removal: s.graphRemoval ?? 'delete' });
}

export const openMailbox: MailboxOpener = async (s) =>
  s.protocol === 'graph' ? graphSession(s) : s.protocol === 'imap' ? ImapSession.open(s) : Pop3Session.open(s);

/** Connect, authenticate, count: the "Test" button of the tracking options. */
export async function testMailbox(s: TrackingSettings): Promise<{ ok: boolean; message: string }> {
  const where = `${s.protocol.toUpperCase()} ${s.host}:${s.port} (${s.security})`;
  try {
    if (s.protocol === 'graph') {
      const folder = s.folder || 'inbox';
      const info = await graphClient(s).folderInfo(s.username, folder);
      return {
        ok: true,
        message: `Signed in to Microsoft Graph at ${s.host} for ${s.username} with OAuth2: ${info.totalItemCount} message(s) in ${info.displayName}; polled every ${s.pollSeconds} s.`,
      };
    }
    if (s.protocol === 'imap') {
      const r = await withSignIn(s, (token) => probeImap(imapOptions(s, token)));
      return {
        ok: true,
        message: `Signed in to ${where} as ${s.username}${s.bearer ? ' with OAuth2' : ''}: ${r.messages} message(s) in INBOX${r.idle ? '; IDLE supported, replies arrive within seconds' : '; no IDLE, polled every ' + s.pollSeconds + ' s'}.`,
      };
    }
    const session = await Pop3Session.open(s);
    try {
      const list = await session.list();
      return { ok: true, message: `Signed in to ${where} as ${s.username}${s.bearer ? ' with OAuth2' : ''}: ${list.length} message(s) waiting.` };
    } finally {
      await session.commit().catch(() => session.abort());
    }
  } catch (err) {
    return { ok: false, message: `${where}: ${connectionTestFailure(err)}` };
  }
}
