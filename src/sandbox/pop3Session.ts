import { createHash, timingSafeEqual } from 'node:crypto';
import type { Socket } from 'node:net';
import { AppError } from '../errors.js';
import { MAX_POP3_LINE_BYTES, MAX_POP3_PIPELINED_COMMANDS } from './limits.js';
import type { SandboxLogger } from './logger.js';
import { normalizeAddress, type MailboxStore } from './mailboxStore.js';
import { MultilineEncoder } from './multilineEncoder.js';

/** Returns the password an address logs in with, or undefined when the address may not log in. */
export type PasswordLookup = (address: string) => string | undefined | Promise<string | undefined>;

/** What every session of one server shares. */
export interface Pop3Context {
  store: MailboxStore;
  /** undefined: any password is accepted (demo mode). */
  passwordFor: PasswordLookup | undefined;
  /** Addresses of the mailboxes a session holds in TRANSACTION state (the RFC 1939 maildrop lock). */
  locks: Set<string>;
  log: SandboxLogger;
}

/** RFC 1939 section 3; CLOSED is ours, for a session whose socket is gone. */
type State = 'AUTHORIZATION' | 'TRANSACTION' | 'UPDATE' | 'CLOSED';

interface MaildropEntry {
  id: string;
  size: number;
  deleted: boolean;
}

interface Command {
  states: readonly State[];
  run(session: Pop3Session, args: string): Promise<void> | void;
}

const BOTH: readonly State[] = ['AUTHORIZATION', 'TRANSACTION'];
const AUTH: readonly State[] = ['AUTHORIZATION'];
const TRANS: readonly State[] = ['TRANSACTION'];

const LINE_TOO_LONG = Symbol('line too long');
type QueuedInput = string | typeof LINE_TOO_LONG;

/** RFC 2449 section 5: listed in the order clients usually look for them. */
const CAPABILITIES = ['USER', 'TOP', 'UIDL', 'PIPELINING', 'RESP-CODES', 'AUTH-RESP-CODE', 'IMPLEMENTATION Mailtrail-sandbox'];

const MESSAGE_NUMBER = /^[0-9]{1,9}$/;

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function splitArgs(args: string): string[] {
  return args.split(' ').filter((part) => part !== '');
}

/**
 * One POP3 connection: reads command lines (pipelined or not), runs them strictly one after
 * the other, and owns the maildrop snapshot taken at login. Deletions only mark entries; they
 * reach the store in the UPDATE state after QUIT, so a dropped connection commits nothing.
 */
export class Pop3Session {
  private state: State = 'AUTHORIZATION';
  /** Address given with USER, waiting for PASS. */
  private pendingUser: string | undefined;
  /** Locked mailbox, in TRANSACTION state. */
  private address: string | undefined;
  private holdsLock = false;
  private maildrop: MaildropEntry[] = [];
  private pending: Buffer = Buffer.alloc(0);
  private readonly queue: QueuedInput[] = [];
  private running = false;
  /** After an over-long line: nothing more is read, the session is about to close. */
  private discarding = false;

  constructor(
    private readonly socket: Socket,
    private readonly context: Pop3Context,
    private readonly sessionId: string,
  ) {}

  start(): void {
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('close', () => this.onClose());
    this.socket.on('error', (err) => this.context.log.debug({ session: this.sessionId, err: err.message }, 'pop3 socket error'));
    // no <timestamp> in the greeting: it would invite APOP, which we do not offer
    this.reply('+OK Mailtrail sandbox POP3 server ready');
  }

  /** Cuts the connection without committing anything, as if the client had dropped it. */
  drop(): void {
    this.socket.destroy();
  }

  // ---- input ----

  private onData(chunk: Buffer): void {
    if (this.state === 'CLOSED' || this.discarding) return;
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    for (;;) {
      const newline = this.pending.indexOf(0x0a);
      if (newline === -1 ? this.pending.length >= MAX_POP3_LINE_BYTES : newline + 1 > MAX_POP3_LINE_BYTES) {
        this.queue.push(LINE_TOO_LONG);
        this.discarding = true;
        this.pending = Buffer.alloc(0);
        break;
      }
      if (newline === -1) break;
      const end = newline > 0 && this.pending[newline - 1] === 0x0d ? newline - 1 : newline;
      this.queue.push(this.pending.subarray(0, end).toString('utf8'));
      this.pending = this.pending.subarray(newline + 1);
    }
    if (this.queue.length >= MAX_POP3_PIPELINED_COMMANDS) this.socket.pause();
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length > 0 && this.state !== 'CLOSED') {
        const input = this.queue.shift() as QueuedInput;
        if (this.socket.isPaused() && this.queue.length < MAX_POP3_PIPELINED_COMMANDS / 2) this.socket.resume();
        if (input === LINE_TOO_LONG) {
          // the rest of an over-long line cannot be told apart from the next command, so the
          // session cannot safely continue; closing it also drops any pending deletions
          this.reply(`-ERR line too long (limit ${MAX_POP3_LINE_BYTES} octets)`);
          this.socket.end();
          this.state = 'CLOSED';
          break;
        }
        await this.execute(input);
      }
    } finally {
      this.running = false;
    }
  }

  private async execute(line: string): Promise<void> {
    const space = line.indexOf(' ');
    const verb = (space === -1 ? line : line.slice(0, space)).toUpperCase();
    const args = space === -1 ? '' : line.slice(space + 1);
    const command = Object.hasOwn(Pop3Session.COMMANDS, verb) ? Pop3Session.COMMANDS[verb] : undefined;
    if (command === undefined) {
      this.reply('-ERR unknown command');
      return;
    }
    if (!command.states.includes(this.state)) {
      this.reply(`-ERR ${verb} is not valid in the ${this.state} state`);
      return;
    }
    try {
      await command.run(this, args);
    } catch (err) {
      this.context.log.error({ session: this.sessionId, verb, err: err instanceof Error ? err.message : String(err) }, 'pop3 command failed');
      if (this.state !== 'CLOSED') this.reply('-ERR [SYS/TEMP] internal error, try again');
    }
  }

  private onClose(): void {
    const wasIn = this.state;
    this.state = 'CLOSED';
    this.releaseLock();
    this.queue.length = 0;
    if (wasIn === 'TRANSACTION') {
      const marked = this.maildrop.filter((m) => m.deleted).length;
      this.context.log.info({ session: this.sessionId, address: this.address, discardedDeletions: marked }, 'pop3 connection dropped without QUIT');
    }
  }

  // ---- output ----

  private reply(line: string): void {
    if (!this.socket.destroyed) this.socket.write(`${line}\r\n`);
  }

  private multiline(first: string, lines: readonly string[]): void {
    const body = lines.map((line) => (line.startsWith('.') ? `.${line}` : line));
    this.reply([first, ...body, '.'].join('\r\n'));
  }

  /** Waits for the socket to take more when it is full, so RETR of a large message streams. */
  private async write(chunks: readonly Buffer[]): Promise<void> {
    for (const chunk of chunks) {
      if (this.socket.destroyed) return;
      if (!this.socket.write(chunk)) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            this.socket.off('drain', done);
            this.socket.off('close', done);
            resolve();
          };
          this.socket.on('drain', done);
          this.socket.on('close', done);
        });
      }
    }
  }

  private async sendMessage(entry: MaildropEntry, first: string, bodyLines?: number): Promise<void> {
    const address = this.address as string;
    let stream;
    try {
      stream = await this.context.store.createReadStream(address, entry.id);
    } catch (err) {
      if (err instanceof AppError && err.kind === 'not_found') {
        this.reply('-ERR [SYS/PERM] message was removed from the mailbox by someone else');
        return;
      }
      throw err;
    }
    this.reply(first);
    const encoder = new MultilineEncoder(bodyLines === undefined ? {} : { bodyLines });
    try {
      for await (const chunk of stream) {
        await this.write(encoder.encode(chunk as Buffer));
        if (encoder.done || this.socket.destroyed) break;
      }
    } finally {
      stream.destroy();
    }
    await this.write([...encoder.end(), Buffer.from('.\r\n')]);
  }

  // ---- maildrop ----

  private visible(): MaildropEntry[] {
    return this.maildrop.filter((m) => !m.deleted);
  }

  private summary(): string {
    const visible = this.visible();
    const octets = visible.reduce((sum, m) => sum + m.size, 0);
    return `${visible.length} messages (${octets} octets)`;
  }

  /** The entry for a message-number argument, or undefined after replying with the reason. */
  private entry(arg: string | undefined): MaildropEntry | undefined {
    if (arg === undefined || !MESSAGE_NUMBER.test(arg)) {
      this.reply('-ERR invalid message number');
      return undefined;
    }
    const n = Number(arg);
    const entry = this.maildrop[n - 1];
    if (n < 1 || entry === undefined) {
      this.reply(`-ERR no such message, only ${this.maildrop.length} in maildrop`);
      return undefined;
    }
    if (entry.deleted) {
      this.reply(`-ERR message ${n} already deleted`);
      return undefined;
    }
    return entry;
  }

  /** Argument list of a command taking at most `max` of them, or undefined after replying. */
  private args(args: string, max: number): string[] | undefined {
    const parts = splitArgs(args);
    if (parts.length > max) {
      this.reply('-ERR too many arguments');
      return undefined;
    }
    return parts;
  }

  /** LIST and UIDL: one line for a message number, the whole maildrop without one. */
  private listing(args: string, value: (entry: MaildropEntry) => string): void {
    const parts = this.args(args, 1);
    if (parts === undefined) return;
    if (parts[0] !== undefined) {
      const entry = this.entry(parts[0]);
      if (entry !== undefined) this.reply(`+OK ${parts[0]} ${value(entry)}`);
      return;
    }
    const lines: string[] = [];
    this.maildrop.forEach((entry, index) => {
      if (!entry.deleted) lines.push(`${index + 1} ${value(entry)}`);
    });
    this.multiline(`+OK ${this.summary()}`, lines);
  }

  private acquireLock(address: string): boolean {
    if (this.context.locks.has(address)) return false;
    this.context.locks.add(address);
    this.address = address;
    this.holdsLock = true;
    return true;
  }

  /** Only ever releases our own lock: by now another session may hold the same mailbox. */
  private releaseLock(): void {
    if (this.holdsLock && this.address !== undefined) this.context.locks.delete(this.address);
    this.holdsLock = false;
  }

  // ---- commands (RFC 1939 sections 4-7, RFC 2449) ----

  private static readonly capa = (s: Pop3Session): void => s.multiline('+OK capability list follows', CAPABILITIES);

  private static readonly user = (s: Pop3Session, args: string): void => {
    s.pendingUser = undefined;
    try {
      s.pendingUser = normalizeAddress(args);
    } catch {
      s.reply('-ERR [AUTH] the user name must be a mailbox address');
      return;
    }
    s.reply(`+OK send PASS for ${s.pendingUser}`);
  };

  private static readonly pass = async (s: Pop3Session, password: string): Promise<void> => {
    const user = s.pendingUser;
    s.pendingUser = undefined;
    if (user === undefined) {
      s.reply('-ERR send USER first');
      return;
    }
    const lookup = s.context.passwordFor;
    if (lookup !== undefined) {
      const expected = await lookup(user);
      if (expected === undefined || !timingSafeEqual(digest(expected), digest(password))) {
        s.context.log.info({ session: s.sessionId, address: user }, 'pop3 login refused');
        s.reply('-ERR [AUTH] invalid user name or password');
        return;
      }
    }
    if (s.state !== 'AUTHORIZATION') return; // the connection went away during the lookup
    if (!s.acquireLock(user)) {
      s.reply('-ERR [IN-USE] mailbox is locked by another POP3 session');
      return;
    }
    try {
      const messages = await s.context.store.list(user);
      s.maildrop = messages.map((m) => ({ id: m.id, size: m.size, deleted: false }));
    } catch (err) {
      s.releaseLock();
      throw err;
    }
    if (s.state !== 'AUTHORIZATION') return; // dropped during the listing; onClose released the lock
    s.state = 'TRANSACTION';
    // The demo's poller logs in every few seconds: a login is routine, the logout says what changed.
    s.context.log.debug({ session: s.sessionId, address: user, messages: s.maildrop.length }, 'pop3 login');
    s.reply(`+OK maildrop has ${s.summary()}`);
  };

  private static readonly stat = (s: Pop3Session, args: string): void => {
    if (s.args(args, 0) === undefined) return;
    const visible = s.visible();
    s.reply(`+OK ${visible.length} ${visible.reduce((sum, m) => sum + m.size, 0)}`);
  };

  private static readonly list = (s: Pop3Session, args: string): void => s.listing(args, (entry) => String(entry.size));

  private static readonly uidl = (s: Pop3Session, args: string): void => s.listing(args, (entry) => entry.id);

  private static readonly retr = async (s: Pop3Session, args: string): Promise<void> => {
    const parts = s.args(args, 1);
    if (parts === undefined) return;
    const entry = s.entry(parts[0]);
    if (entry !== undefined) await s.sendMessage(entry, `+OK ${entry.size} octets`);
  };

  private static readonly top = async (s: Pop3Session, args: string): Promise<void> => {
    const parts = s.args(args, 2);
    if (parts === undefined) return;
    const lines = parts[1];
    if (lines === undefined || !MESSAGE_NUMBER.test(lines)) {
      s.reply('-ERR usage: TOP message-number lines');
      return;
    }
    const entry = s.entry(parts[0]);
    if (entry !== undefined) await s.sendMessage(entry, '+OK top of message follows', Number(lines));
  };

  private static readonly dele = (s: Pop3Session, args: string): void => {
    const parts = s.args(args, 1);
    if (parts === undefined) return;
    const entry = s.entry(parts[0]);
    if (entry === undefined) return;
    entry.deleted = true;
    s.reply(`+OK message ${parts[0]} deleted`);
  };

  private static readonly rset = (s: Pop3Session): void => {
    for (const entry of s.maildrop) entry.deleted = false;
    s.reply(`+OK maildrop has ${s.summary()}`);
  };

  private static readonly noop = (s: Pop3Session): void => s.reply('+OK');

  private static readonly quit = async (s: Pop3Session): Promise<void> => {
    if (s.state === 'AUTHORIZATION') {
      s.reply('+OK bye');
      s.socket.end();
      return;
    }
    s.state = 'UPDATE';
    const address = s.address as string;
    let failed = 0;
    let removed = 0;
    for (const entry of s.maildrop.filter((m) => m.deleted)) {
      try {
        await s.context.store.remove(address, entry.id);
        removed += 1;
      } catch (err) {
        failed += 1;
        s.context.log.error(
          { session: s.sessionId, address, id: entry.id, err: err instanceof Error ? err.message : String(err) },
          'pop3 could not remove message',
        );
      }
    }
    s.releaseLock();
    s.context.log[removed > 0 || failed > 0 ? 'info' : 'debug']({ session: s.sessionId, address, removed, failed }, 'pop3 logout');
    // RFC 1939 section 6: a failure to remove is reported with -ERR, the session still ends
    s.reply(failed === 0 ? `+OK ${removed} messages deleted, bye` : `-ERR [SYS/TEMP] ${failed} messages could not be deleted`);
    s.state = 'CLOSED';
    s.socket.end();
  };

  /** Every verb we answer; anything else gets -ERR. */
  private static readonly COMMANDS: Readonly<Record<string, Command>> = {
    CAPA: { states: BOTH, run: Pop3Session.capa },
    USER: { states: AUTH, run: Pop3Session.user },
    PASS: { states: AUTH, run: Pop3Session.pass },
    QUIT: { states: BOTH, run: Pop3Session.quit },
    STAT: { states: TRANS, run: Pop3Session.stat },
    LIST: { states: TRANS, run: Pop3Session.list },
    UIDL: { states: TRANS, run: Pop3Session.uidl },
    RETR: { states: TRANS, run: Pop3Session.retr },
    TOP: { states: TRANS, run: Pop3Session.top },
    DELE: { states: TRANS, run: Pop3Session.dele },
    RSET: { states: TRANS, run: Pop3Session.rset },
    NOOP: { states: TRANS, run: Pop3Session.noop },
  };
}
