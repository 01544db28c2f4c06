/**
 * Shared helpers of the benchmarks: the machine description, timing and statistics, a Mailtrail
 * server on a fresh database (reusing test/support), seeded projects and tracked emails, the
 * Dovecot Maildir of the real mail peers, a raw POP3 client for the baselines, and the SMTP sink
 * in a separate process.
 *
 * Nothing here asserts timings: the benchmarks report them, tests never see them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, chownSync, constants, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import inspector from 'node:inspector';
import net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import type { Config } from '../src/config.js';
import { silentLogger } from '../src/log.js';
import { queueEmail } from '../src/outbound/queue.js';
import type { Module } from '../src/core/module.js';
import { startServer, type Running } from '../src/server.js';
import type { PublicRecord } from '../src/records/records.service.js';
import { findProjectByKey } from '../src/store/projects.repository.js';
import type { EmailRow, ProjectRow } from '../src/store/schema.js';
import { setTrackingSettings } from '../src/store/trackingAccounts.repository.js';
import { ADMIN_PASSWORD, ApiClient, USER_PASSWORD, testConfig } from '../test/support/app.js';
import { freePort } from '../test/support/smtpSink.js';
import { PG_URL, freshDatabase, postgresAvailable, type StoreKind } from '../test/support/stores.js';
import { generateDkimKey } from '../src/dkim/dkim.settings.js';

export type { StoreKind };
export { PG_URL, postgresAvailable };

// ---- output ------------------------------------------------------------------------------

/** Progress goes to stderr, so stdout carries only the table and the final JSON line. */
export function progress(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

/** One line of the results table. */
export interface Row {
  part: string;
  measure: string;
  mailtrail: string;
  raw: string;
  ratio: string;
  target: string;
  verdict: 'met' | 'missed' | '—' | 'not available' | 'failed';
}

export type JsonValue = number | string | boolean | null;

/** What one benchmark part hands back to the runner. */
export interface PartResult {
  rows: Row[];
  json: Record<string, JsonValue>;
  notes: string[];
}

export interface BenchOptions {
  quick: boolean;
  kinds: StoreKind[];
  /** When set, each measured Mailtrail section writes a CPU profile (.cpuprofile) here. */
  profileDir?: string;
}

export function notAvailable(part: string, measure: string, reason: string, target = ''): Row {
  return { part, measure, mailtrail: `not available: ${reason}`, raw: '', ratio: '', target, verdict: 'not available' };
}

export const fmt = {
  rate: (perSecond: number) => `${perSecond >= 100 ? perSecond.toFixed(0) : perSecond.toFixed(1)} msg/s`,
  ms: (ms: number) => `${ms >= 100 ? ms.toFixed(0) : ms.toFixed(1)} ms`,
  s: (ms: number) => `${(ms / 1000).toFixed(2)} s`,
  cpu: (ms: number) => `${ms.toFixed(2)} ms/msg`,
  pct: (ratio: number) => `${(ratio * 100).toFixed(0)}%`,
  kb: (bytes: number) => `${(bytes / 1024).toFixed(1)} kB`,
  mb: (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`,
};

// ---- machine -----------------------------------------------------------------------------

export interface Machine {
  cpu: string;
  cores: number;
  memory: string;
  node: string;
  os: string;
  date: string;
  /** 1-minute load average when the run started: this machine may be shared. */
  load: string;
}

export function machine(): Machine {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    if (line) cpu = line.split(':').slice(1).join(':').trim();
  } catch {
    // not Linux: os.cpus() is the best we have
  }
  return {
    cpu,
    cores: os.availableParallelism(),
    memory: `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    load: os.loadavg()[0]!.toFixed(2),
  };
}

// ---- timing and statistics -----------------------------------------------------------------

/** Wall time of fn, and the CPU time this process spent meanwhile (user + system). */
export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; cpuMs: number; value: T }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const value = await fn();
  const used = process.cpuUsage(cpu);
  return { ms: performance.now() - start, cpuMs: (used.user + used.system) / 1000, value };
}

/** The q-quantile (0..1) of samples, nearest-rank. */
export function quantile(samples: number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

/**
 * Runs fn; with a profile directory, under the V8 CPU profiler (the same profile `node
 * --cpu-prof` writes, limited to the measured section), saved as DIR/NAME.cpuprofile.
 */
export async function profiled<T>(profileDir: string | undefined, name: string, fn: () => Promise<T>): Promise<T> {
  if (!profileDir) return fn();
  const session = new inspector.Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) => session.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 500 });
  await post('Profiler.start');
  try {
    return await fn();
  } finally {
    const { profile } = (await post('Profiler.stop')) as { profile: unknown };
    session.disconnect();
    mkdirSync(profileDir, { recursive: true });
    const file = join(profileDir, `${name}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    progress(`CPU profile of ${name}: ${file}`);
  }
}

export const median = (samples: number[]) => quantile(samples, 0.5);

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A small seeded PRNG (mulberry32), so every run generates the same messages. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  'the totals on the invoice report are wrong since the last update we checked the export and the ' +
  'numbers differ from the ledger please find attached the file from this morning could you have a ' +
  'look before friday our accountant needs the corrected figures for the quarterly closing thanks ' +
  'again for the quick answer it works now on the test system but not yet in production'
).split(' ');

/** Plain prose of about `bytes` characters in lines of at most 72, paragraphs of 3–6 lines. */
export function prose(random: () => number, bytes: number): string {
  const lines: string[] = [];
  let line = '';
  let total = 0;
  let inParagraph = 0;
  const paragraphLength = () => 3 + Math.floor(random() * 4);
  let target = paragraphLength();
  while (total < bytes) {
    const word = WORDS[Math.floor(random() * WORDS.length)]!;
    if (line.length + word.length + 1 > 72) {
      lines.push(line);
      total += line.length + 1;
      line = '';
      if (++inParagraph >= target) {
        lines.push('');
        inParagraph = 0;
        target = paragraphLength();
      }
    }
    line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.join('\n');
}

/** Deterministic pseudo-random bytes (attachments that do not compress). */
export function noise(seed: number, bytes: number): Buffer {
  const out = Buffer.allocUnsafe(bytes);
  const random = rng(seed);
  let i = 0;
  for (; i + 4 <= bytes; i += 4) out.writeUInt32LE(Math.floor(random() * 4294967296), i);
  for (; i < bytes; i++) out[i] = Math.floor(random() * 256);
  return out;
}

// ---- a Mailtrail server on a fresh database -------------------------------------------------

export interface BenchApp {
  kind: StoreKind;
  running: Running;
  config: Config;
  admin: ApiClient;
  /** A project member (Developers) who sends and reads the tracked email. */
  dev: ApiClient;
  project: ProjectRow;
  record: PublicRecord;
  close(): Promise<void>;
}

export const TRACKING_DOMAIN = 'example.test';

/**
 * Starts Mailtrail on a fresh SQLite file or PostgreSQL schema (test/support/stores.ts), with
 * workers off (each benchmark drives the sender or poller itself), a project ACC with tracking
 * on, a developer and one record.
 */
export async function startBenchApp(kind: StoreKind, opts: { modules?: Module[]; listen?: boolean; trackingAddress?: string } = {}): Promise<BenchApp> {
  const db = await freshDatabase(kind);
  // MAILTRAIL_MAIL_AUTH=0 measures import without the SPF/DKIM/DMARC check (docs/deliverability.md).
  const config = testConfig({ database: db.config, dataDir: db.dataDir, ...(process.env.MAILTRAIL_MAIL_AUTH === '0' ? { mailAuth: false } : {}) });
  let running: Running;
  try {
    running = await startServer(config, opts.modules ?? [], { log: silentLogger, listen: opts.listen === true });
  } catch (err) {
    await db.drop().catch(() => undefined);
    throw err;
  }
  const close = async () => {
    await running.close().catch(() => undefined);
    await db.drop().catch(() => undefined);
  };
  try {
    const anonymous = new ApiClient(running.app);
    const login = async (username: string, password: string) => {
      const res = await anonymous.post('/api/v1/auth/token', { username, password });
      if (res.status !== 200) throw new Error(`login ${username}: ${res.status}`);
      return new ApiClient(running.app, res.body.token as string);
    };
    const admin = await login('admin', ADMIN_PASSWORD);
    await setTrackingSettings(running.ctx.store.db, { address: opts.trackingAddress ?? `tracking@${TRACKING_DOMAIN}` });
    // MAILTRAIL_BENCH_DKIM=1 measures sending with every message DKIM-signed (docs/deliverability.md).
    if (process.env.MAILTRAIL_BENCH_DKIM === '1') await generateDkimKey(running.ctx.store.db, config.secret, { domain: TRACKING_DOMAIN, enabled: true });
    const p = await admin.post('/api/v1/projects', { key: 'ACC', name: 'Accounting' });
    if (p.status !== 201) throw new Error(`create project: ${p.status} ${JSON.stringify(p.body)}`);
    const u = await admin.post('/api/v1/users', { username: 'dev', fullName: 'Dana Developer', email: `dev@${TRACKING_DOMAIN}`, password: USER_PASSWORD });
    if (u.status !== 201) throw new Error(`create user: ${u.status} ${JSON.stringify(u.body)}`);
    const m = await admin.put('/api/v1/projects/ACC/members/dev', { securityGroup: 'Developers' });
    if (m.status !== 200) throw new Error(`add member: ${m.status} ${JSON.stringify(m.body)}`);
    const dev = await login('dev', USER_PASSWORD);
    const r = await dev.post('/api/v1/projects/ACC/records', { type: 'defect', title: 'Totals are wrong on the quarterly report' });
    if (r.status !== 201) throw new Error(`create record: ${r.status} ${JSON.stringify(r.body)}`);
    const project = await findProjectByKey(running.ctx.store.db, 'ACC');
    if (!project) throw new Error('project ACC vanished');
    return { kind, running, config, admin, dev, project, record: r.body as PublicRecord, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Points the outbound sender at an SMTP server (Server options → Sending). */
export async function configureSending(app: BenchApp, port: number, maxConnections = 5): Promise<void> {
  const res = await app.admin.put('/api/v1/admin/email/sending', { host: '127.0.0.1', port, security: 'none', maxConnections });
  if (res.status !== 200) throw new Error(`sending settings: ${res.status} ${JSON.stringify(res.body)}`);
}

export interface QueueSpec {
  count: number;
  seed: number;
  /** Every n-th email carries an attachment (0: none). */
  attachEvery: number;
  attachmentBytes: number;
  /** Approximate size of the text the person wrote. */
  textBytes: number;
  /** Records to spread the emails over, round-robin (default: the app's one record). */
  records?: PublicRecord[];
}

/** Creates `count` more records (realistic threads: a handful of tracked emails per record). */
export async function createRecords(app: BenchApp, count: number): Promise<PublicRecord[]> {
  const out: PublicRecord[] = [];
  for (let i = 0; i < count; i++) {
    const r = await app.dev.post('/api/v1/projects/ACC/records', { type: i % 3 === 0 ? 'requirement' : 'defect', title: `Customer question ${i}` });
    if (r.status !== 201) throw new Error(`create record: ${r.status} ${JSON.stringify(r.body)}`);
    out.push(r.body as PublicRecord);
  }
  return out;
}

/**
 * Queues tracked emails exactly as the email route does (queueEmail in a transaction: cookie,
 * raw bytes, blobs, rows, outbox entry), a batch of emails per transaction to save time.
 */
export async function queueTracked(app: BenchApp, spec: QueueSpec): Promise<EmailRow[]> {
  const ctx = app.running.ctx;
  const random = rng(spec.seed);
  const rows: EmailRow[] = [];
  const BATCH = 50;
  for (let start = 0; start < spec.count; start += BATCH) {
    const end = Math.min(spec.count, start + BATCH);
    const batch = await ctx.store.db.transaction().execute(async (tx) => {
      const out: EmailRow[] = [];
      for (let i = start; i < end; i++) {
        const attach = spec.attachEvery > 0 && i % spec.attachEvery === spec.attachEvery - 1;
        out.push(
          await queueEmail(ctx, tx, {
            project: app.project,
            record: spec.records?.[i % spec.records.length] ?? app.record,
            from: { name: 'Dana Developer', address: `dev@${TRACKING_DOMAIN}` },
            senderUserId: null,
            forwardTo: `dev@${TRACKING_DOMAIN}`,
            source: 'user',
            to: [{ name: `Customer ${i}`, address: `customer${i % 997}@customer.test` }],
            cc: i % 4 === 0 ? [{ address: `colleague${i % 13}@customer.test` }] : [],
            subject: `Quarterly totals, question ${i}`,
            text: `Hello Customer ${i},\n\n${prose(random, spec.textBytes)}\n\nBest regards,\nDana`,
            ...(attach
              ? { attachments: [{ filename: `report-${i}.pdf`, contentType: 'application/pdf', content: noise(spec.seed * 7919 + i, spec.attachmentBytes) }] }
              : {}),
          }),
        );
      }
      return out;
    });
    rows.push(...batch);
  }
  return rows;
}

// ---- the real mail peers: Dovecot's Maildir and a raw POP3 client ---------------------------

export const PEERS = { host: '127.0.0.1', smtpPort: 25, pop3Port: 110, imapPort: 143, password: 'mailtrail-test', mailDir: '/var/lib/mailtrail-peers/mail' };

function portOpen(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Why the mail peers cannot be used, or undefined when Dovecot answers POP3 and IMAP. */
export async function peersProblem(needs: ('pop3' | 'imap' | 'smtp')[] = ['pop3']): Promise<string | undefined> {
  const ports = { pop3: PEERS.pop3Port, imap: PEERS.imapPort, smtp: PEERS.smtpPort };
  for (const n of needs) {
    if (!(await portOpen(ports[n]))) return `the mail peers are not running (${n} on 127.0.0.1:${ports[n]}); run scripts/mail-peers.sh as root`;
  }
  return undefined;
}

/** A fresh tracking account at the peers' domain (its Maildir exists once filled). */
export function benchAddress(prefix: string): string {
  return `${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 8)}@${TRACKING_DOMAIN}`;
}

function mailboxHome(address: string): string {
  const [local, domain] = address.toLowerCase().split('@');
  if (!local || !domain || !/^[a-z0-9.-]+$/.test(local) || !/^[a-z0-9.-]+$/.test(domain)) throw new Error(`unusable address ${address}`);
  return join(PEERS.mailDir, domain, local);
}

/** Writing into Dovecot's Maildir needs root (the files must belong to its vmail user). */
export function maildirWritable(): boolean {
  try {
    accessSync(PEERS.mailDir, constants.W_OK);
    return process.getuid?.() === 0;
  } catch {
    return false;
  }
}

let fileCounter = 0;

/**
 * Delivers messages the way an MDA does: each written to Maildir/tmp and renamed into new/,
 * owned by Dovecot's vmail user. LF line endings, as Dovecot stores mail. Returns the time of
 * each rename (performance.now()), the moment the message is in the mailbox.
 */
export function deliverToMaildir(address: string, messages: Buffer[]): number[] {
  const home = mailboxHome(address);
  const owner = statSync(PEERS.mailDir);
  const maildir = join(home, 'Maildir');
  for (const dir of [
    join(PEERS.mailDir, address.split('@')[1]!.toLowerCase()),
    home,
    maildir,
    join(maildir, 'tmp'),
    join(maildir, 'new'),
    join(maildir, 'cur'),
  ]) {
    if (!existsSync(dir)) {
      mkdirSync(dir, { mode: 0o700 });
      chownSync(dir, owner.uid, owner.gid);
    }
  }
  const times: number[] = [];
  const now = Math.floor(Date.now() / 1000);
  for (const message of messages) {
    const name = `${now}.M${++fileCounter}P${process.pid}.bench`;
    const tmp = join(maildir, 'tmp', name);
    writeFileSync(tmp, message);
    chownSync(tmp, owner.uid, owner.gid);
    renameSync(tmp, join(maildir, 'new', name));
    times.push(performance.now());
  }
  return times;
}

/** Delivers through Postfix (SMTP on port 25, LMTP into Dovecot): the fallback without root. */
export async function deliverViaPostfix(address: string, messages: Buffer[]): Promise<void> {
  const transport = nodemailer.createTransport({
    host: PEERS.host,
    port: PEERS.smtpPort,
    secure: false,
    pool: true,
    maxConnections: 4,
    tls: { rejectUnauthorized: false },
  });
  try {
    await Promise.all(messages.map((raw) => transport.sendMail({ envelope: { from: `sender@${TRACKING_DOMAIN}`, to: [address] }, raw })));
  } finally {
    transport.close();
  }
}

/** Fills the account's mailbox (Maildir when possible, else Postfix) and waits until POP3 sees it all. */
export async function fillMailbox(address: string, messages: Buffer[]): Promise<{ ms: number; via: 'maildir' | 'postfix' }> {
  const start = performance.now();
  const via = maildirWritable() ? 'maildir' : 'postfix';
  if (via === 'maildir') deliverToMaildir(address, messages);
  else await deliverViaPostfix(address, messages);
  // One login indexes the new mail; neither the baseline nor Mailtrail pays for that.
  const deadline = Date.now() + 120_000;
  for (;;) {
    const n = await pop3Count(address);
    if (n >= messages.length) break;
    if (Date.now() > deadline) throw new Error(`mailbox ${address} holds ${n} of ${messages.length} messages after 120 s`);
    await sleep(200);
  }
  return { ms: performance.now() - start, via };
}

/** Removes the account's mail and Dovecot's index files. */
export async function removeMailbox(address: string): Promise<void> {
  if (maildirWritable()) {
    rmSync(mailboxHome(address), { recursive: true, force: true });
    return;
  }
  const client = new RawPop3();
  await client.open(address);
  const { count } = await client.stat();
  for (let n = 1; n <= count; n++) await client.line(`DELE ${n}`);
  await client.quit();
}

/**
 * The baseline POP3 client: a socket, one command at a time, every RETR body read to its
 * terminating dot line and thrown away. No parsing beyond finding the end, no dot-unstuffing,
 * no copies — the most any POP3 importer could get out of this server.
 */
const TERMINATOR = Buffer.from('\r\n.\r\n');

export class RawPop3 {
  private socket: net.Socket | undefined;
  private waiting: { multi: boolean; resolve: (r: { first: string; bytes: number }) => void; reject: (e: Error) => void } | undefined;
  private first: Buffer[] = [];
  private firstDone = false;
  private firstLine = '';
  private bytes = 0;
  private tail = Buffer.alloc(0);
  private keep: Buffer[] | undefined;

  async open(user: string, password = PEERS.password): Promise<void> {
    this.socket = net.connect({ host: PEERS.host, port: PEERS.pop3Port });
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (err) => this.fail(err));
    this.socket.on('close', () => this.fail(new Error('POP3 connection closed')));
    await this.expect(false);
    await this.line(`USER ${user}`);
    await this.line(`PASS ${password}`);
  }

  private fail(err: Error): void {
    const w = this.waiting;
    this.waiting = undefined;
    w?.reject(err);
  }

  private expect(multi: boolean): Promise<{ first: string; bytes: number }> {
    this.first = [];
    this.firstDone = false;
    this.firstLine = '';
    this.bytes = 0;
    this.tail = Buffer.alloc(0);
    return new Promise((resolve, reject) => {
      this.waiting = { multi, resolve, reject };
    });
  }

  private onData(chunk: Buffer): void {
    const w = this.waiting;
    if (!w) return;
    let body = chunk;
    if (!this.firstDone) {
      const eol = chunk.indexOf('\r\n');
      if (eol < 0) {
        this.first.push(chunk);
        return;
      }
      this.first.push(chunk.subarray(0, eol));
      this.firstLine = Buffer.concat(this.first).toString('latin1');
      this.firstDone = true;
      if (!this.firstLine.startsWith('+OK')) {
        this.waiting = undefined;
        w.reject(new Error(`POP3: ${this.firstLine}`));
        return;
      }
      if (!w.multi) {
        this.waiting = undefined;
        w.resolve({ first: this.firstLine, bytes: 0 });
        return;
      }
      // Keep the CRLF of the status line: an empty body ends with the very next ".\r\n".
      body = chunk.subarray(eol);
    }
    this.bytes += body.length;
    this.keep?.push(body);
    // Not pipelined: the server sends nothing after the terminator, so it is the stream's end.
    const end =
      body.length >= TERMINATOR.length ? body.subarray(body.length - TERMINATOR.length) : Buffer.concat([this.tail, body]).subarray(-TERMINATOR.length);
    const done = end.equals(TERMINATOR);
    this.tail = Buffer.from(end);
    if (done) {
      this.waiting = undefined;
      w.resolve({ first: this.firstLine, bytes: this.bytes });
    }
  }

  async line(command: string): Promise<string> {
    const p = this.expect(false);
    this.socket!.write(`${command}\r\n`);
    return (await p).first;
  }

  async multi(command: string): Promise<number> {
    const p = this.expect(true);
    this.socket!.write(`${command}\r\n`);
    return (await p).bytes;
  }

  /** A multi-line reply kept whole (terminator and dot-stuffing left in: good enough to parse). */
  async multiKeep(command: string): Promise<Buffer> {
    this.keep = [];
    try {
      await this.multi(command);
      return Buffer.concat(this.keep);
    } finally {
      this.keep = undefined;
    }
  }

  async stat(): Promise<{ count: number; octets: number }> {
    const [, count, octets] = (await this.line('STAT')).split(' ');
    return { count: Number(count), octets: Number(octets) };
  }

  async quit(): Promise<void> {
    this.socket!.removeAllListeners('close');
    const closed = new Promise<void>((resolve) => this.socket!.once('close', () => resolve()));
    await this.line('QUIT');
    this.socket!.end();
    await closed;
  }
}

export async function pop3Count(address: string): Promise<number> {
  const client = new RawPop3();
  await client.open(address);
  const { count } = await client.stat();
  await client.quit();
  return count;
}

/** The baseline: RETR and DELE every message, throw it away, QUIT (the deletes happen then). */
export async function rawPop3Drain(address: string): Promise<{ messages: number; bytes: number }> {
  const client = new RawPop3();
  await client.open(address);
  const { count } = await client.stat();
  let bytes = 0;
  for (let n = 1; n <= count; n++) {
    bytes += await client.multi(`RETR ${n}`);
    await client.line(`DELE ${n}`);
  }
  await client.quit();
  return { messages: count, bytes };
}

/**
 * A second reference: the baseline client, but each message is also parsed with mailparser's
 * simpleParser (the library most Node importers would use) — what a minimal importer that
 * stores nothing costs.
 */
export async function rawPop3ParseDrain(address: string): Promise<{ messages: number }> {
  const client = new RawPop3();
  await client.open(address);
  const { count } = await client.stat();
  for (let n = 1; n <= count; n++) {
    const raw = await client.multiKeep(`RETR ${n}`);
    await simpleParser(raw.subarray(raw.indexOf('\r\n') + 2));
    await client.line(`DELE ${n}`);
  }
  await client.quit();
  return { messages: count };
}

/** Retries fn once when the mail peers went away under it (other sessions restart them). */
export async function withPeerRetry<T>(label: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const message = (err as Error).message ?? '';
    if (!/ECONNREFUSED|ECONNRESET|EPIPE|connection (is )?closed|could not be opened|shutting down|not answering/i.test(message)) throw err;
    progress(`${label}: the mail peers dropped the connection (${message}); waiting for them and trying once more`);
    const deadline = Date.now() + 60_000;
    while ((await peersProblem(['pop3', 'imap'])) && Date.now() < deadline) await sleep(1000);
    return fn();
  }
}

// ---- the SMTP sink, in a process of its own -------------------------------------------------

export interface Sink {
  port: number;
  kind: 'smtp-sink' | 'node';
  stop(): Promise<void>;
}

const SMTP_SINK = '/usr/sbin/smtp-sink';

async function waitForPort(port: number, child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await portOpen(port, 200))) {
    if (child.exitCode !== null) throw new Error(`the sink exited with code ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error(`the sink did not listen on ${port} within ${timeoutMs} ms`);
    await sleep(50);
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * An SMTP server that accepts and discards everything, in its own process so it never shares
 * the event loop (or, as far as two cores allow, the CPU) with Mailtrail: Postfix's smtp-sink
 * when installed, else a Node smtp-server child (bench/sinkProcess.ts).
 */
export async function startSink(prefer: 'smtp-sink' | 'node' = 'smtp-sink'): Promise<Sink> {
  const port = await freePort();
  const useSmtpSink = prefer === 'smtp-sink' && existsSync(SMTP_SINK);
  const child = useSmtpSink
    ? spawn(SMTP_SINK, [...(process.getuid?.() === 0 ? ['-u', 'nobody'] : []), `127.0.0.1:${port}`, '256'], { stdio: 'ignore' })
    : spawn(process.execPath, ['--import', 'tsx', new URL('./sinkProcess.ts', import.meta.url).pathname, String(port)], {
        stdio: ['ignore', 'ignore', 'inherit'],
      });
  try {
    await waitForPort(port, child);
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  return { port, kind: useSmtpSink ? 'smtp-sink' : 'node', stop: () => stopChild(child) };
}

/** Runs a Node child (`node ...args`) and returns the JSON object on its last stdout line. */
export async function runChild<T>(args: string[], env: Record<string, string>, timeoutMs: number): Promise<T> {
  const file = args.at(-1) ?? '';
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  const last = out.trim().split('\n').pop() ?? '';
  if (code !== 0) throw new Error(`${file} exited with ${code ?? 'a signal'}${last ? `: ${last}` : ''}`);
  return JSON.parse(last) as T;
}
