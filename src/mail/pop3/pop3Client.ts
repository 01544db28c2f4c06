import { EventEmitter } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DotDecoder } from './dotDecoder.js';
import { maskCommand, pop3Error, type Pop3Error, type Pop3ErrorCode } from './errors.js';
import { defaultPop3Limits, type Pop3Limits } from './limits.js';

/** RFC 1939 §3 session states, plus CLOSED for before connect() and after the socket is gone. */
export const Pop3State = {
  AUTHORIZATION: 'AUTHORIZATION',
  TRANSACTION: 'TRANSACTION',
  UPDATE: 'UPDATE',
  CLOSED: 'CLOSED',
} as const;
export type Pop3State = (typeof Pop3State)[keyof typeof Pop3State];

export type Pop3Security = 'none' | 'starttls' | 'tls';

export interface Pop3ClientOptions {
  host: string;
  /** Defaults to 995 for 'tls', 110 otherwise. */
  port?: number;
  /** 'none': plain text; 'starttls': plain, then STLS before anything else; 'tls': implicit TLS. */
  security?: Pop3Security;
  /** Passed to tls.connect, e.g. `{ rejectUnauthorized: false }` for a self-signed test server. */
  tls?: Omit<tls.ConnectionOptions, 'socket' | 'host' | 'port'>;
  limits?: Partial<Pop3Limits>;
  /** Protocol trace: commands (passwords masked) and status lines, never message content. */
  debug?: (line: string) => void;
  /**
   * Most commands in flight once the server has announced PIPELINING in its CAPA reply
   * (RFC 2449 §6.6); 1 turns pipelining off. Only transaction commands that change no state
   * (RETR, DELE, TOP, LIST, UIDL, STAT, NOOP) are sent ahead; sign-in, STLS and QUIT wait.
   */
  pipelineDepth?: number;
}

export interface Pop3Stat {
  count: number;
  size: number;
}
export interface Pop3ListEntry {
  n: number;
  size: number;
}
export interface Pop3UidlEntry {
  n: number;
  uid: string;
}

type Body = 'none' | 'lines' | 'content';

/** What a command does with its reply; the parser calls these as the reply arrives. */
interface ReplyHandler {
  ok(text: string): void;
  line?(line: string): void;
  /** Returns false when the consumer wants no more for now (stream backpressure). */
  chunk?(piece: Buffer): boolean;
  end?(): void;
  fail(err: Pop3Error): void;
}

interface Pending {
  /** Null for the greeting, which is awaited but not sent. */
  command: string | null;
  label: string;
  states: readonly Pop3State[] | null;
  body: Body;
  errorCode: Pop3ErrorCode;
  timeout: number;
  upgrade: boolean;
  /** Checked when the command's turn comes: true drops it unsent (PASS after a refused USER). */
  skip: (() => boolean) | null;
  handler: ReplyHandler;
  phase: 'status' | Body;
  decoder: DotDecoder | null;
  size: number;
  /** AUTH: the server's error challenge (decoded JSON), once it has sent one. */
  saslError?: string;
}

/** XOAUTH2 initial response: https://developers.google.com/gmail/imap/xoauth2-protocol */
export function xoauth2Response(user: string, token: string): string {
  return Buffer.from(`user=${user}\x01auth=Bearer ${token}\x01\x01`).toString('base64');
}

/** OAUTHBEARER initial response (RFC 7628 §3.1): GS2 header with the authzid, then host, port, auth. */
export function oauthBearerResponse(user: string, token: string, host: string, port: number): string {
  const authzid = user.replace(/=/g, '=3D').replace(/,/g, '=2C');
  return Buffer.from(`n,a=${authzid},\x01host=${host}\x01port=${port}\x01auth=Bearer ${token}\x01\x01`).toString('base64');
}

function decodeSaslError(b64: string): string {
  const text = Buffer.from(b64, 'base64').toString('utf8');
  return text.length > 500 ? text.slice(0, 500) : text;
}

const AUTH_ONLY = [Pop3State.AUTHORIZATION] as const;
const TRANSACTION_ONLY = [Pop3State.TRANSACTION] as const;
const EITHER = [Pop3State.AUTHORIZATION, Pop3State.TRANSACTION] as const;

/**
 * A POP3 client (RFC 1939, CAPA/extended codes from RFC 2449, STLS from RFC 2595). One instance
 * is one session: it owns the socket, sends one command at a time from a queue, and routes the
 * reply bytes to the command that is waiting for them. Commands may be issued without awaiting
 * the previous one; they run in order. Closing without quit() never commits deletions.
 *
 * Emits 'close' (with the error that ended the session, if any). It never emits 'error':
 * every failure reaches the caller through the promise of the command it broke.
 */
export class Pop3Client extends EventEmitter {
  readonly host: string;
  readonly port: number;
  readonly security: Pop3Security;
  private readonly tlsOptions: Omit<tls.ConnectionOptions, 'socket' | 'host' | 'port'>;
  private readonly limits: Pop3Limits;
  private readonly debug: ((line: string) => void) | undefined;

  private current: Pop3State = Pop3State.CLOSED;
  private started = false;
  private socket: net.Socket | null = null;
  private queue: Pending[] = [];
  /** Sent and awaiting their replies, oldest first: replies arrive in this order. */
  private inFlight: Pending[] = [];
  private readonly pipelineDepth: number;
  private lineParts: Buffer[] = [];
  private lineLength = 0;
  private commandTimer: NodeJS.Timeout | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private paused = false;
  private upgrading = false;
  private greetingLine = '';
  private capaLines: string[] | null = null;

  constructor(options: Pop3ClientOptions) {
    super();
    this.host = options.host;
    this.security = options.security ?? 'none';
    this.port = options.port ?? (this.security === 'tls' ? 995 : 110);
    this.tlsOptions = options.tls ?? {};
    this.limits = { ...defaultPop3Limits, ...options.limits };
    this.debug = options.debug;
    this.pipelineDepth = Math.max(1, Math.floor(options.pipelineDepth ?? DEFAULT_PIPELINE_DEPTH));
  }

  /** The command whose reply the bytes arriving now belong to. */
  private get active(): Pending | null {
    return this.inFlight[0] ?? null;
  }

  /** Whether commands are being sent ahead: the server said PIPELINING (after STLS, said it again). */
  get pipelining(): boolean {
    return this.pipelineDepth > 1 && (this.capaLines?.some((line) => /^PIPELINING\b/i.test(line)) ?? false);
  }

  get state(): Pop3State {
    return this.current;
  }

  /** The server's greeting line, e.g. `+OK Dovecot ready.` */
  get greeting(): string {
    return this.greetingLine;
  }

  /** Whether the session runs over TLS (implicit, or after STLS). */
  get secure(): boolean {
    return this.socket instanceof tls.TLSSocket;
  }

  /** The lines of the last CAPA reply, or null before capa() was called. */
  get capabilities(): readonly string[] | null {
    return this.capaLines;
  }

  // ---- connection -------------------------------------------------------------------------

  /** Opens the connection, reads the greeting and, for 'starttls', upgrades with STLS. */
  async connect(): Promise<void> {
    if (this.started) {
      throw pop3Error('ESTATE', { command: 'CONN' }, 'A Pop3Client connects once; make a new one.');
    }
    this.started = true;
    const socket = await this.openSocket();
    this.current = Pop3State.AUTHORIZATION;
    this.attach(socket);
    this.greetingLine = await new Promise<string>((resolve, reject) => {
      this.enqueue({
        command: null,
        label: 'CONN',
        states: null,
        body: 'none',
        errorCode: 'ECONNECTION',
        timeout: this.limits.greetingTimeout,
        handler: { ok: (text) => resolve(`+OK ${text}`.trimEnd()), fail: reject },
      });
    });
    if (this.security === 'starttls') await this.stls();
  }

  /** Drops the connection without QUIT: deletions marked in this session are NOT committed. */
  close(): void {
    this.shutdown(pop3Error('ECONNECTION', {}, 'The client closed the connection.'), false);
  }

  // ---- AUTHORIZATION state ----------------------------------------------------------------

  async capa(): Promise<string[]> {
    const lines = await this.listing('CAPA', EITHER);
    this.capaLines = lines;
    return lines;
  }

  /** Upgrades the plain connection to TLS (RFC 2595); connect() does this for 'starttls'. */
  async stls(): Promise<void> {
    if (this.secure) throw pop3Error('ESTATE', { command: 'STLS' }, 'The connection is already TLS.');
    await new Promise<string>((resolve, reject) => {
      this.enqueue({
        command: 'STLS',
        states: AUTH_ONLY,
        body: 'none',
        errorCode: 'ETLS',
        upgrade: true,
        handler: { ok: resolve, fail: reject },
      });
    });
    // Capabilities seen before TLS may have been forged by a man in the middle (RFC 2595 §4).
    this.capaLines = null;
  }

  async user(name: string): Promise<string> {
    return this.single(`USER ${argument(name, 'USER')}`, AUTH_ONLY, 'EAUTH');
  }

  async pass(password: string): Promise<string> {
    // The parser moves the state to TRANSACTION on +OK, before queued commands are checked.
    return this.single(`PASS ${argument(password, 'PASS')}`, AUTH_ONLY, 'EAUTH');
  }

  /**
   * USER then PASS. Both are queued at once, so commands issued right after login() without
   * awaiting it still run after PASS; if USER is refused, PASS is not sent.
   */
  async login(name: string, password: string): Promise<void> {
    const userLine = `USER ${argument(name, 'USER')}`;
    const passLine = `PASS ${argument(password, 'PASS')}`;
    let refused = false;
    const user = new Promise<string>((resolve, reject) => {
      const fail = (err: Pop3Error) => {
        refused = true;
        reject(err);
      };
      this.enqueue({ command: userLine, states: AUTH_ONLY, body: 'none', errorCode: 'EAUTH', handler: { ok: resolve, fail } });
    });
    const pass = new Promise<string>((resolve, reject) => {
      this.enqueue({
        command: passLine,
        states: AUTH_ONLY,
        body: 'none',
        errorCode: 'EAUTH',
        skip: () => refused,
        handler: { ok: resolve, fail: reject },
      });
    });
    await Promise.all([user, pass]);
  }

  /**
   * SASL sign-in with an OAuth2 bearer token (RFC 5034 AUTH with the initial response):
   * XOAUTH2 (Google's and Microsoft's format) or OAUTHBEARER (RFC 7628). A refused token
   * comes back as a `+ <base64 JSON>` challenge (RFC 7628 §3.2.2), which the client must
   * answer (%x01 for OAUTHBEARER, an empty line for XOAUTH2) before the server says -ERR;
   * the JSON's status (e.g. "invalid_token") is in the error's `response`.
   */
  async authenticate(mechanism: 'XOAUTH2' | 'OAUTHBEARER', user: string, accessToken: string): Promise<string> {
    const initial = mechanism === 'XOAUTH2' ? xoauth2Response(user, accessToken) : oauthBearerResponse(user, accessToken, this.host, this.port);
    return this.single(`AUTH ${mechanism} ${initial}`, AUTH_ONLY, 'EAUTH');
  }

  // ---- TRANSACTION state ------------------------------------------------------------------

  async stat(): Promise<Pop3Stat> {
    const text = await this.single('STAT', TRANSACTION_ONLY);
    const [count, size] = numbers(text, 2, 'STAT');
    return { count, size };
  }

  /** LIST: every message not marked deleted, with its size in octets. */
  list(): Promise<Pop3ListEntry[]>;
  list(n: number): Promise<Pop3ListEntry>;
  async list(n?: number): Promise<Pop3ListEntry[] | Pop3ListEntry> {
    if (n !== undefined) {
      const text = await this.single(`LIST ${messageNumber(n, 'LIST')}`, TRANSACTION_ONLY);
      const [num, size] = numbers(text, 2, 'LIST');
      return { n: num, size };
    }
    const lines = await this.listing('LIST', TRANSACTION_ONLY);
    return lines.map((line) => {
      const [num, size] = numbers(line, 2, 'LIST');
      return { n: num, size };
    });
  }

  /** UIDL: the server's unique, session-independent id of each message. */
  uidl(): Promise<Pop3UidlEntry[]>;
  uidl(n: number): Promise<Pop3UidlEntry>;
  async uidl(n?: number): Promise<Pop3UidlEntry[] | Pop3UidlEntry> {
    if (n !== undefined) {
      return parseUidl(await this.single(`UIDL ${messageNumber(n, 'UIDL')}`, TRANSACTION_ONLY));
    }
    const lines = await this.listing('UIDL', TRANSACTION_ONLY);
    return lines.map(parseUidl);
  }

  /** RETR into memory. For large messages prefer retrTo()/retrStream(). */
  async retr(n: number): Promise<Buffer> {
    return this.buffered(`RETR ${messageNumber(n, 'RETR')}`);
  }

  /**
   * RETR as a stream of the message's bytes, resolved once the server said +OK. The socket is
   * paused while the stream's reader lags, so memory stays flat whatever the message size.
   * Later commands wait until the stream has been read to the end (or destroyed, after which
   * the rest of the message is read and dropped).
   */
  async retrStream(n: number): Promise<Readable> {
    return this.streamed(`RETR ${messageNumber(n, 'RETR')}`);
  }

  /** RETR piped into `destination` (which is ended); resolves to the number of bytes. */
  async retrTo(n: number, destination: Writable): Promise<number> {
    const source = await this.streamed(`RETR ${messageNumber(n, 'RETR')}`);
    await pipeline(source, destination);
    return source.size;
  }

  /** TOP: the header and the first `lines` lines of the body. */
  async top(n: number, lines: number): Promise<Buffer> {
    if (!Number.isSafeInteger(lines) || lines < 0) {
      throw pop3Error('EARGUMENT', { command: `TOP ${n} ${lines}` }, 'The line count must be 0 or more.');
    }
    return this.buffered(`TOP ${messageNumber(n, 'TOP')} ${lines}`);
  }

  /** Marks a message deleted; only quit() makes the server remove it. */
  async dele(n: number): Promise<string> {
    return this.single(`DELE ${messageNumber(n, 'DELE')}`, TRANSACTION_ONLY);
  }

  /** Unmarks every message marked deleted in this session. */
  rset(): Promise<string> {
    return this.single('RSET', TRANSACTION_ONLY);
  }

  noop(): Promise<string> {
    return this.single('NOOP', TRANSACTION_ONLY);
  }

  /** Ends the session; in TRANSACTION this commits deletions (the UPDATE state). */
  async quit(): Promise<void> {
    if (this.current === Pop3State.CLOSED) return;
    await this.single('QUIT', EITHER);
  }

  // ---- command plumbing -------------------------------------------------------------------

  private single(command: string, states: readonly Pop3State[], errorCode: Pop3ErrorCode = 'ECOMMAND'): Promise<string> {
    return new Promise((resolve, reject) => {
      this.enqueue({ command, states, body: 'none', errorCode, handler: { ok: resolve, fail: reject } });
    });
  }

  private listing(command: string, states: readonly Pop3State[]): Promise<string[]> {
    return new Promise((resolve, reject) => {
      const lines: string[] = [];
      this.enqueue({
        command,
        states,
        body: 'lines',
        errorCode: 'ECOMMAND',
        handler: {
          ok: () => {},
          line: (line) => {
            lines.push(line);
          },
          end: () => resolve(lines),
          fail: reject,
        },
      });
    });
  }

  private buffered(command: string): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const pieces: Buffer[] = [];
      let size = 0;
      this.enqueue({
        command,
        states: TRANSACTION_ONLY,
        body: 'content',
        errorCode: 'ECOMMAND',
        handler: {
          ok: () => {},
          chunk: (piece) => {
            pieces.push(piece);
            size += piece.length;
            return true;
          },
          end: () => resolve(Buffer.concat(pieces, size)),
          fail: reject,
        },
      });
    });
  }

  private streamed(command: string): Promise<MessageStream> {
    return new Promise((resolve, reject) => {
      let started = false;
      let discarding = false;
      const stream = new MessageStream({
        read: () => this.resumeReading(),
        destroy: (err, callback) => {
          // The reader gave up: keep the session in step by reading the rest and dropping it.
          discarding = true;
          this.resumeReading();
          callback(err);
        },
      });
      this.enqueue({
        command,
        states: TRANSACTION_ONLY,
        body: 'content',
        errorCode: 'ECOMMAND',
        handler: {
          ok: () => {
            started = true;
            resolve(stream);
          },
          chunk: (piece) => {
            if (discarding) return true;
            stream.size += piece.length;
            return stream.push(piece);
          },
          end: () => {
            if (!discarding) stream.push(null);
          },
          fail: (err) => {
            if (!started) reject(err);
            else if (!stream.destroyed) stream.destroy(err);
          },
        },
      });
    });
  }

  private enqueue(
    spec: Pick<Pending, 'command' | 'states' | 'body' | 'errorCode' | 'handler'> & Partial<Pick<Pending, 'label' | 'timeout' | 'upgrade' | 'skip'>>,
  ): void {
    const label = spec.label ?? maskCommand(spec.command ?? '');
    if (this.current === Pop3State.CLOSED || !this.socket) {
      spec.handler.fail(pop3Error('ECONNECTION', { command: label }, 'The connection is closed.'));
      return;
    }
    this.queue.push({
      ...spec,
      label,
      timeout: spec.timeout ?? this.limits.commandTimeout,
      upgrade: spec.upgrade ?? false,
      skip: spec.skip ?? null,
      phase: 'status',
      decoder: null,
      size: 0,
    });
    this.clearIdleTimer();
    this.pump();
  }

  /**
   * Sends queued commands: one at a time, or with PIPELINING as many as the depth allows while
   * both the waiting ones and the next one may be sent ahead. Commands sent together go out in
   * one write, so a DELE and the next RETR cost one system call and one packet.
   */
  private pump(): void {
    const lines: string[] = [];
    while (this.queue.length > 0 && this.socket && this.current !== Pop3State.CLOSED && this.maySend(this.queue[0] as Pending)) {
      const next = this.queue.shift() as Pending;
      // The state is checked now, not when queued, so login(); stat() works without awaits.
      if (next.states && !next.states.includes(this.current)) {
        next.handler.fail(pop3Error('ESTATE', { command: next.label }, `Not allowed in the ${this.current} state.`));
        continue;
      }
      if (next.skip?.()) {
        next.handler.fail(pop3Error(next.errorCode, { command: next.label }, 'Not sent: an earlier step failed.'));
        continue;
      }
      this.inFlight.push(next);
      if (next.command !== null) {
        if (next.command === 'QUIT' && this.current === Pop3State.TRANSACTION) this.current = Pop3State.UPDATE;
        this.debug?.(`C: ${next.label}`);
        lines.push(`${next.command}\r\n`);
      }
      if (this.inFlight.length === 1) this.armCommandTimer();
    }
    if (lines.length > 0) this.socket?.write(lines.length === 1 ? (lines[0] as string) : lines.join(''));
    if (!this.active && this.queue.length === 0) this.armIdleTimer();
  }

  private maySend(next: Pending): boolean {
    if (this.inFlight.length === 0) return true;
    if (this.inFlight.length >= this.pipelineDepth || !this.pipelining) return false;
    return isPipelinable(next) && this.inFlight.every(isPipelinable);
  }

  /** The oldest command's reply is over: the next one in flight (if any) owns the bytes now. */
  private finish(p: Pending): void {
    if (this.inFlight[0] === p) this.inFlight.shift();
    this.clearCommandTimer();
    if (this.inFlight.length > 0) this.armCommandTimer();
  }

  private complete(p: Pending): void {
    this.finish(p);
    p.handler.end?.();
    this.pump();
  }

  // ---- reading ----------------------------------------------------------------------------

  private onData(chunk: Buffer): void {
    if (this.current === Pop3State.CLOSED) return;
    // Silence is what the command timer measures, so any byte from the server restarts it.
    this.commandTimer?.refresh();
    let buf = chunk;
    // A reply handler can end the session mid-chunk, so re-read the state through a call.
    while (buf.length > 0 && this.state !== Pop3State.CLOSED) {
      if (this.upgrading) {
        // Bytes after "+OK" to STLS would be read as if they came over TLS (CVE-2011-0411 style).
        this.fatal(pop3Error('EPROTOCOL', { command: 'STLS' }, 'Data arrived before the TLS handshake.'));
        return;
      }
      const p = this.active;
      if (!p) {
        // Nothing asked for it (e.g. a server's "-ERR autologout" before it hangs up).
        this.debug?.(`S (unsolicited): ${buf.toString('utf8').trimEnd()}`);
        return;
      }
      if (p.phase === 'content') {
        buf = this.onContent(p, buf);
        continue;
      }
      const taken = this.takeLine(buf);
      if (!taken) return;
      buf = taken.rest;
      if (p.phase === 'status') this.onStatusLine(p, taken.line);
      else this.onListingLine(p, taken.line);
    }
  }

  /** One CRLF-terminated line, or null when the chunk ends mid-line (the part is kept). */
  private takeLine(buf: Buffer): { line: string; rest: Buffer } | null {
    const lf = buf.indexOf(0x0a);
    const end = lf < 0 ? buf.length : lf;
    if (this.lineLength + end > this.limits.maxLineLength + 1) {
      this.fatal(pop3Error('ELINETOOLONG', { command: this.active?.label }, `More than ${this.limits.maxLineLength} bytes without a line break.`));
      return null;
    }
    if (lf < 0) {
      this.lineParts.push(buf);
      this.lineLength += buf.length;
      return null;
    }
    this.lineParts.push(buf.subarray(0, lf));
    let raw = Buffer.concat(this.lineParts, this.lineLength + lf);
    this.lineParts = [];
    this.lineLength = 0;
    if (raw[raw.length - 1] === 0x0d) raw = raw.subarray(0, raw.length - 1);
    if (raw.length > this.limits.maxLineLength) {
      this.fatal(pop3Error('ELINETOOLONG', { command: this.active?.label }, `A line exceeds ${this.limits.maxLineLength} bytes.`));
      return null;
    }
    return { line: raw.toString('utf8'), rest: buf.subarray(lf + 1) };
  }

  private onStatusLine(p: Pending, line: string): void {
    this.debug?.(`S: ${line}`);
    if (line === '+OK' || line.startsWith('+OK ')) {
      const text = line.slice(4);
      if (p.command === 'QUIT') {
        this.finish(p);
        this.shutdown(null, true);
        p.handler.ok(text);
        return;
      }
      if (p.command === 'PASS' || p.command?.startsWith('PASS ') || p.command?.startsWith('AUTH ')) this.current = Pop3State.TRANSACTION;
      if (p.upgrade) {
        this.startTls(p, text);
        return;
      }
      p.handler.ok(text);
      if (p.body === 'none') {
        this.complete(p);
      } else if (p.body === 'lines') {
        p.phase = 'lines';
      } else {
        p.phase = 'content';
        p.decoder = new DotDecoder();
      }
      return;
    }
    if ((line === '+' || line.startsWith('+ ')) && p.command?.startsWith('AUTH ') && p.saslError === undefined) {
      // The server's error challenge: keep its words, acknowledge, and wait for the -ERR.
      p.saslError = decodeSaslError(line.slice(2));
      const ack = p.command.startsWith('AUTH OAUTHBEARER') ? Buffer.from([1]).toString('base64') : '';
      this.debug?.('C: (SASL error acknowledged)');
      this.socket?.write(`${ack}\r\n`);
      return;
    }
    if (line === '-ERR' || line.startsWith('-ERR ')) {
      const err = pop3Error(p.errorCode, { command: p.label, response: p.saslError ? `${line} ${p.saslError}` : line });
      if (p.command === null || p.command === 'QUIT') {
        // A refused greeting or a failed UPDATE ends the session.
        this.finish(p);
        p.handler.fail(err);
        this.shutdown(err, false);
        return;
      }
      this.finish(p);
      p.handler.fail(err);
      this.pump();
      return;
    }
    this.fatal(pop3Error('EPROTOCOL', { command: p.label, response: line.slice(0, 200) }));
  }

  private onListingLine(p: Pending, line: string): void {
    if (line === '.') {
      this.complete(p);
      return;
    }
    p.handler.line?.(line.startsWith('.') ? line.slice(1) : line);
  }

  /** Feeds message bytes to the command; returns what follows the reply. */
  private onContent(p: Pending, buf: Buffer): Buffer {
    const decoder = p.decoder as DotDecoder;
    const { pieces, done, rest } = decoder.push(buf);
    // Every stuffed line splits the chunk; one copy per chunk is cheaper than a stream push
    // per line (a base64 body of dotted lines would otherwise mean one push per 78 bytes).
    const piece = pieces.length === 1 ? (pieces[0] as Buffer) : Buffer.concat(pieces);
    let wantsMore = true;
    if (piece.length > 0) {
      p.size += piece.length;
      if (p.size > this.limits.maxMessageSize) {
        this.fatal(pop3Error('EMSGSIZE', { command: p.label }, `The limit is ${this.limits.maxMessageSize} bytes.`));
        return Buffer.alloc(0);
      }
      if (p.handler.chunk && !p.handler.chunk(piece)) wantsMore = false;
    }
    if (done) {
      this.complete(p);
      return rest;
    }
    if (!wantsMore) this.pauseReading();
    return rest;
  }

  private pauseReading(): void {
    if (this.paused || !this.socket) return;
    this.paused = true;
    this.socket.pause();
    // The reader, not the server, is slow: the silence timer must not blame the server.
    this.clearCommandTimer();
  }

  private resumeReading(): void {
    if (!this.paused || !this.socket || this.current === Pop3State.CLOSED) return;
    this.paused = false;
    this.socket.resume();
    if (this.active) this.armCommandTimer();
  }

  // ---- sockets ----------------------------------------------------------------------------

  private openSocket(): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const implicitTls = this.security === 'tls';
      let tcpUp = false;
      const socket = implicitTls
        ? tls.connect({ ...this.serverName(), ...this.tlsOptions, host: this.host, port: this.port })
        : net.connect({ host: this.host, port: this.port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(pop3Error('ETIMEDOUT', { command: 'CONN' }, `No connection within ${this.limits.connectTimeout} ms.`));
      }, this.limits.connectTimeout);
      const onError = (err: Error) => {
        clearTimeout(timer);
        socket.destroy();
        const code = implicitTls && tcpUp ? 'ETLS' : 'ECONNECTION';
        reject(pop3Error(code, { command: 'CONN', cause: err }, err.message));
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        tcpUp = true;
      });
      socket.once(implicitTls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        socket.removeListener('error', onError);
        resolve(socket);
      });
    });
  }

  private serverName(): { servername?: string } {
    // SNI takes host names only (RFC 6066 §3); Node warns when given an IP address.
    return net.isIP(this.host) ? {} : { servername: this.host };
  }

  private readonly onSocketData = (chunk: Buffer) => this.onData(chunk);
  private readonly onSocketError = (err: Error) => {
    this.fatal(pop3Error('ECONNECTION', { command: this.active?.label, cause: err }, err.message));
  };
  private readonly onSocketClose = () => {
    this.fatal(pop3Error('ECONNECTION', { command: this.active?.label }, 'The server closed the connection.'));
  };

  private attach(socket: net.Socket): void {
    this.socket = socket;
    socket.on('data', this.onSocketData);
    socket.on('error', this.onSocketError);
    socket.on('close', this.onSocketClose);
  }

  private detach(socket: net.Socket): void {
    socket.removeListener('data', this.onSocketData);
    socket.removeListener('error', this.onSocketError);
    socket.removeListener('close', this.onSocketClose);
  }

  private startTls(p: Pending, text: string): void {
    const plain = this.socket as net.Socket;
    this.upgrading = true;
    this.detach(plain);
    // The handshake is a connection step, so it gets the connect budget, not the command one.
    this.armCommandTimer(this.limits.connectTimeout);
    const secure = tls.connect({ ...this.serverName(), ...this.tlsOptions, host: this.host, socket: plain });
    const onError = (err: Error) => {
      this.upgrading = false;
      this.fatal(pop3Error('ETLS', { command: 'STLS', cause: err }, err.message));
    };
    // Until secureConnect, a close is a handshake failure (e.g. a rejected certificate).
    const onClose = () => onError(new Error('The connection closed during the TLS handshake.'));
    secure.once('error', onError);
    secure.once('close', onClose);
    secure.once('secureConnect', () => {
      secure.removeListener('error', onError);
      secure.removeListener('close', onClose);
      this.upgrading = false;
      this.attach(secure);
      this.finish(p);
      p.handler.ok(text);
      this.pump();
    });
    this.socket = secure;
  }

  /** Ends the session after an error: the active command and every queued one fail. */
  private fatal(err: Pop3Error): void {
    this.shutdown(err, false);
  }

  private shutdown(err: Pop3Error | null, graceful: boolean): void {
    if (this.current === Pop3State.CLOSED && !this.socket) return;
    const wasOpen = this.current !== Pop3State.CLOSED;
    this.current = Pop3State.CLOSED;
    this.upgrading = false;
    this.paused = false;
    this.clearCommandTimer();
    this.clearIdleTimer();
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      this.detach(socket);
      // Errors after we let go of the socket concern nobody; without a listener they would crash.
      socket.on('error', () => {});
      if (graceful) socket.end();
      else socket.destroy();
    }
    const [active, ...waiting] = this.inFlight;
    const queued = this.queue;
    this.inFlight = [];
    this.queue = [];
    this.lineParts = [];
    this.lineLength = 0;
    if (err) {
      active?.handler.fail(err);
      for (const w of waiting) w.handler.fail(pop3Error('ECONNECTION', { command: w.label, cause: err }, 'The session ended before the reply came.'));
      for (const q of queued) {
        q.handler.fail(pop3Error('ECONNECTION', { command: q.label, cause: err }, 'The session ended before the command was sent.'));
      }
    }
    if (wasOpen) this.emit('close', err ?? undefined);
  }

  // ---- timers -----------------------------------------------------------------------------

  private armCommandTimer(ms?: number): void {
    this.clearCommandTimer();
    const p = this.active;
    if (!p || this.paused) return;
    const timeout = ms ?? p.timeout;
    this.commandTimer = setTimeout(() => {
      this.commandTimer = null;
      this.fatal(pop3Error('ETIMEDOUT', { command: p.label }, `No reply within ${timeout} ms.`));
    }, timeout);
  }

  private clearCommandTimer(): void {
    if (this.commandTimer) clearTimeout(this.commandTimer);
    this.commandTimer = null;
  }

  private armIdleTimer(): void {
    this.clearIdleTimer();
    if (this.current === Pop3State.CLOSED) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      this.fatal(pop3Error('ETIMEDOUT', {}, `Idle for ${this.limits.idleTimeout} ms; the client closed the session.`));
    }, this.limits.idleTimeout);
    // A forgotten idle session must not keep the process alive by itself.
    this.idleTimer.unref();
  }

  private clearIdleTimer(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }
}

const DEFAULT_PIPELINE_DEPTH = 16;
const PIPELINABLE = /^(RETR|DELE|TOP|LIST|UIDL|STAT|NOOP) ?/;

/** Commands that change no session state, so nothing sent after them depends on their reply. */
function isPipelinable(p: Pending): boolean {
  return p.command !== null && PIPELINABLE.test(p.command);
}

/** The stream retrStream() hands out; `size` counts the bytes delivered so far. */
class MessageStream extends Readable {
  size = 0;
}

// ---- argument checks and reply parsing ----------------------------------------------------

/** A CR or LF in an argument would let a caller (or a stored user name) inject commands. */
function argument(value: string, verb: string): string {
  if (/[\r\n\0]/.test(value) || value.length === 0) {
    throw pop3Error('EARGUMENT', { command: maskCommand(`${verb} x`) }, 'Arguments must be non-empty single-line text.');
  }
  return value;
}

function messageNumber(n: number, verb: string): number {
  if (!Number.isSafeInteger(n) || n < 1) {
    throw pop3Error('EARGUMENT', { command: `${verb} ${n}` }, 'Message numbers start at 1.');
  }
  return n;
}

function numbers(text: string, count: 2, verb: string): [number, number] {
  const parts = text.trim().split(/\s+/);
  const values = parts.slice(0, count).map((s) => (/^\d+$/.test(s) ? Number(s) : NaN));
  if (values.length < count || values.some((v) => !Number.isSafeInteger(v))) {
    throw pop3Error('EPROTOCOL', { command: verb, response: text }, 'Expected message numbers and sizes.');
  }
  return [values[0] as number, values[1] as number];
}

function parseUidl(text: string): Pop3UidlEntry {
  const m = /^\s*(\d+)\s+(\S+)/.exec(text);
  if (!m) throw pop3Error('EPROTOCOL', { command: 'UIDL', response: text }, 'Expected a message number and id.');
  return { n: Number(m[1]), uid: m[2] as string };
}
