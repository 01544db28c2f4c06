/**
 * Helpers for the inbound (tracking) tests: a server with the outbound and tracking modules,
 * a project with a record, a tracked email sent for real through the peers, and replies built
 * the way mail clients build them.
 */
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import type Mail from 'nodemailer/lib/mailer/index.js';
import type { TestContext } from 'node:test';
import { createTrackingModule, type TrackingModuleOptions } from '../../src/inbound/index.js';
import { parseMessage } from '../../src/mail/mime/parseMessage.js';
import type { ParsedMessage } from '../../src/mail/mime/parsedMessage.js';
import { outboundModule } from '../../src/outbound/index.js';
import { Sender } from '../../src/outbound/sender.js';
import type { Config } from '../../src/config.js';
import type { Module } from '../../src/core/module.js';
import type { EmailRow } from '../../src/store/schema.js';
import { ApiClient, startTestApp, type TestApp } from '../support/app.js';
import type { StoreKind } from '../support/stores.js';
import { newAddress, peersConfig, readAllImap, waitForMessageCount } from '../harness/mailPeers.js';

export interface TrackingSetup {
  protocol: 'pop3' | 'imap';
  port?: number;
  security?: 'none' | 'starttls' | 'tls';
  deleteUntracked?: boolean;
  pollSeconds?: number;
  address?: string;
}

export interface World {
  h: TestApp;
  tracking: string;
  dev: ApiClient;
  devAddress: string;
  projectKey: string;
  recordId: string;
}

export async function startWorld(
  t: TestContext,
  kind: StoreKind,
  setup: TrackingSetup,
  opts: { tracking?: TrackingModuleOptions; config?: Partial<Config>; extraModules?: Module[]; projectKey?: string } = {},
): Promise<World | undefined> {
  const h = await startTestApp(t, kind, {
    modules: [outboundModule(), createTrackingModule(opts.tracking), ...(opts.extraModules ?? [])],
    ...(opts.config ? { config: opts.config } : {}),
  });
  if (!h) return undefined;
  const peers = peersConfig();
  const tracking = setup.address ?? newAddress('tracking');
  const security = setup.security ?? 'none';
  const port =
    setup.port ?? (setup.protocol === 'pop3' ? (security === 'tls' ? peers.pop3sPort : peers.pop3Port) : security === 'tls' ? peers.imapsPort : peers.imapPort);
  const put = await h.admin.put('/api/v1/admin/email/tracking', {
    protocol: setup.protocol,
    host: peers.host,
    port,
    security,
    username: tracking,
    password: peers.password,
    address: tracking,
    pollSeconds: setup.pollSeconds ?? 3600,
    deleteUntracked: setup.deleteUntracked ?? false,
    allowSelfSigned: true,
  });
  if (put.status !== 200) throw new Error(`tracking settings: ${put.status} ${JSON.stringify(put.body)}`);
  const sending = await h.admin.put('/api/v1/admin/email/sending', { host: peers.host, port: peers.smtpPort, security: 'none', allowSelfSigned: true });
  if (sending.status !== 200) throw new Error(`sending settings: ${sending.status} ${JSON.stringify(sending.body)}`);
  const projectKey = opts.projectKey ?? 'TRK';
  const p = await h.admin.post('/api/v1/projects', { key: projectKey, name: 'Tracking test' });
  if (p.status !== 201) throw new Error(`project: ${JSON.stringify(p.body)}`);
  const devAddress = newAddress('dev');
  const dev = await h.user(`dev${projectKey.toLowerCase()}`, { project: projectKey, group: 'Developers', email: devAddress });
  const record = await dev.post(`/api/v1/projects/${projectKey}/records`, { type: 'defect', title: 'Totals are off by one' });
  if (record.status !== 201) throw new Error(`record: ${JSON.stringify(record.body)}`);
  return { h, tracking, dev, devAddress, projectKey, recordId: record.body.id as string };
}

/** Drains the outbox once through the real sender (workers are off in these tests). */
export async function drainOutbox(h: TestApp): Promise<number> {
  const sender = new Sender(h.running.ctx);
  try {
    return await sender.drain();
  } finally {
    // Closes its pooled SMTP transport, which would otherwise keep the test process alive.
    await sender.stop();
  }
}

export interface SentOriginal {
  id: string;
  row: EmailRow;
  /** The message as the recipient's mailbox received it. */
  received: ParsedMessage;
  receivedRaw: Buffer;
}

/** Sends a tracked email through the API and the real sender; returns it as the recipient got it. */
export async function sendOriginal(w: World, to: string, text = 'Could you check the totals on the March invoice?'): Promise<SentOriginal> {
  const res = await w.dev.post(`/api/v1/projects/${w.projectKey}/records/${w.recordId}/emails`, { to: [to], subject: 'Invoice totals', text });
  if (res.status !== 202) throw new Error(`send: ${res.status} ${JSON.stringify(res.body)}`);
  await drainOutbox(w.h);
  const before = (await readAllImap(to)).length;
  await waitForMessageCount(to, Math.max(1, before));
  const all = await readAllImap(to);
  const receivedRaw = all[all.length - 1]!;
  const row = await w.h.running.ctx.store.db.selectFrom('emails').selectAll().where('id', '=', res.body.id).executeTakeFirstOrThrow();
  return { id: res.body.id as string, row, received: await parseMessage(receivedRaw), receivedRaw };
}

export function compose(options: Mail.Options): Promise<Buffer> {
  return new Promise((resolve, reject) => new MailComposer(options).compile().build((err, msg) => (err ? reject(err) : resolve(msg))));
}

/** A reply as a typical client writes it: Re: subject, In-Reply-To/References, the original quoted below. */
export async function buildReply(original: ParsedMessage, opts: { from: string; to: string; text: string; headers?: Record<string, string> }): Promise<Buffer> {
  const id = original.messageId ? `<${original.messageId}>` : undefined;
  const quoted = (original.text ?? '')
    .split('\n')
    .map((l) => `> ${l}`)
    .join('\n');
  return compose({
    from: opts.from,
    to: opts.to,
    subject: `Re: ${original.subject}`,
    text: `${opts.text}\n\nOn Tue, 3 Mar 2026 at 10:00, ${original.from?.address ?? 'someone'} wrote:\n${quoted}\n`,
    ...(id ? { inReplyTo: id, references: [...original.references.map((r) => `<${r}>`), id] } : {}),
    ...(opts.headers ? { headers: opts.headers } : {}),
  });
}

/** Polls until `check` passes or the time is up (for asynchronous workers). */
export async function eventually<T>(check: () => Promise<T | undefined | false>, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
