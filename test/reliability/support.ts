/**
 * Helpers shared by the reliability tests: child processes that can be killed with SIGKILL,
 * waiting for conditions, the real-world corpus, a tracked-email world on an in-memory or
 * scripted mailbox, and counting what reached the SMTP side.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../src/config.js';
import { createTrackingModule, type TrackingModuleOptions } from '../../src/inbound/index.js';
import { outboundModule } from '../../src/outbound/index.js';
import type { Module } from '../../src/core/module.js';
import type { EmailRow } from '../../src/store/schema.js';
import { bounceAddress } from '../../src/tracking/cookie.js';
import { startTestApp, type ApiClient, type TestApp } from '../support/app.js';
import { CORPUS_DIR } from '../support/corpus.js';
import type { StoreKind } from '../support/stores.js';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CORPUS = CORPUS_DIR.replace(/\/$/, '');

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Child {
  process: ChildProcess;
  /** Everything the child printed so far. */
  stdout(): string;
  exited: Promise<ChildResult>;
  kill9(): void;
}

/** Starts `node --import tsx <script>` from the repository root; `t.after` kills it if still running. */
export function startChild(t: TestContext, script: string, env: Record<string, string>, args: string[] = []): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<ChildResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { process: child, stdout: () => stdout, exited, kill9: () => void child.kill('SIGKILL') };
}

/** Runs a child to its end. */
export function runChild(t: TestContext, script: string, env: Record<string, string>, args: string[] = []): Promise<ChildResult> {
  return startChild(t, script, env, args).exited;
}

/** Polls until `check` returns something truthy, or fails after `timeoutMs` naming `what`. */
export async function eventually<T>(check: () => Promise<T | undefined | false | null>, what: string, timeoutMs = 30_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Every .eml file of the corpus (real client replies and real bounces), sorted for reproducible runs. */
export function corpusMessages(): { name: string; raw: Buffer }[] {
  const out: { name: string; raw: Buffer }[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.eml')) out.push({ name: path.slice(CORPUS.length + 1), raw: readFileSync(path) });
    }
  };
  walk(CORPUS);
  return out;
}

export const TRACKING = 'tracking@example.test';
export const SENDER = 'dev@example.test';
export const CUSTOMER = 'customer@customer.example';

export interface World {
  h: TestApp;
  /** The tracking account's address. */
  tracking: string;
  dev: ApiClient;
  projectKey: string;
  recordId: string;
  /** The tracked email replies answer (queued, never sent: no SMTP needed). */
  original: EmailRow;
  /** Placeholders of test/fixtures/emails for `original`. */
  vars: Record<string, string>;
}

/**
 * A server with the outbound and tracking modules, the tracking account configured (pointing
 * at `tracking.pollOptions.opener` or a real host:port), a project, a developer and one tracked
 * email to answer.
 */
export async function startWorld(
  t: TestContext,
  kind: StoreKind,
  opts: {
    tracking?: TrackingModuleOptions;
    config?: Partial<Config>;
    account?: { host: string; port: number; protocol?: 'pop3' | 'imap'; username?: string; password?: string; address?: string; pollSeconds?: number };
    deleteUntracked?: boolean;
    modules?: Module[];
  } = {},
): Promise<World | undefined> {
  const h = await startTestApp(t, kind, {
    modules: opts.modules ?? [outboundModule(), createTrackingModule(opts.tracking)],
    ...(opts.config ? { config: opts.config } : {}),
  });
  if (!h) return undefined;
  const tracking = opts.account?.address ?? TRACKING;
  const put = await h.admin.put('/api/v1/admin/email/tracking', {
    protocol: opts.account?.protocol ?? 'pop3',
    host: opts.account?.host ?? 'mail.invalid',
    port: opts.account?.port ?? 110,
    security: 'none',
    username: opts.account?.username ?? 'tracking',
    password: opts.account?.password ?? 'tracking-password',
    address: tracking,
    pollSeconds: opts.account?.pollSeconds ?? 3600,
    deleteUntracked: opts.deleteUntracked ?? false,
  });
  if (put.status !== 200) throw new Error(`tracking settings: ${put.status} ${JSON.stringify(put.body)}`);
  const projectKey = 'TRK';
  if ((await h.admin.post('/api/v1/projects', { key: projectKey, name: 'Tracking' })).status !== 201) throw new Error('project');
  const dev = await h.user('dev', { project: projectKey, group: 'Developers', email: SENDER });
  const record = await dev.post(`/api/v1/projects/${projectKey}/records`, { type: 'defect', title: 'Totals are off by one' });
  const sent = await dev.post(`/api/v1/projects/${projectKey}/records/${record.body.id}/emails`, {
    to: [CUSTOMER],
    subject: 'Invoice totals',
    text: 'Could you check the totals?',
  });
  if (sent.status !== 202) throw new Error(`send: ${sent.status} ${JSON.stringify(sent.body)}`);
  const original = await h.running.ctx.store.db.selectFrom('emails').selectAll().where('id', '=', sent.body.id).executeTakeFirstOrThrow();
  if (!original.cookie) throw new Error('the original is not tracked');
  const vars = {
    COOKIE: original.cookie,
    MESSAGE_ID: original.message_id!.replace(/^<|>$/g, ''),
    TRACKING: tracking,
    VERP: bounceAddress(tracking, original.cookie),
    SENDER,
    CUSTOMER,
  };
  return { h, dev, tracking, projectKey, recordId: record.body.id as string, original, vars };
}

/** A reply to `w.original` as a mail client writes it, with a distinct Message-ID and text. */
export function replyTo(w: Pick<World, 'original' | 'vars'>, n: number | string, opts: { from?: string; extraHeaders?: string[]; body?: string } = {}): Buffer {
  return Buffer.from(
    [
      `From: Customer <${opts.from ?? CUSTOMER}>`,
      `To: ${w.vars.TRACKING ?? TRACKING}`,
      `Subject: Re: ${w.original.subject}`,
      `Date: Tue, 3 Mar 2026 10:00:00 +0000`,
      `Message-ID: <reply-${n}@customer.example>`,
      `In-Reply-To: ${w.original.message_id}`,
      `References: ${w.original.message_id}`,
      ...(opts.extraHeaders ?? []),
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      opts.body ?? `Reply number ${n}.`,
      '',
      `On Mon, 2 Mar 2026, ${SENDER} wrote:`,
      `> Could you check the totals?`,
      '',
    ].join('\r\n'),
    'utf8',
  );
}

/** The inbound emails of the world's record, by Message-ID, for "attached once" checks. */
export async function inboundByMessageId(w: World): Promise<Map<string, number>> {
  const rows = await w.h.running.ctx.store.db.selectFrom('emails').select('message_id').where('direction', '=', 'inbound').execute();
  const out = new Map<string, number>();
  for (const r of rows) out.set(r.message_id ?? '', (out.get(r.message_id ?? '') ?? 0) + 1);
  return out;
}
