/**
 * Send: N tracked emails queued, then sent by Mailtrail's outbox sender through SMTP into a sink
 * in another process. Baseline: a plain nodemailer pool blasting the same raw bytes with the same
 * envelopes at the same concurrency, into the same sink, in the same run (three rounds each,
 * interleaved; the fastest round of each side counts). CPU time per message of this process is
 * shown beside each rate: it moves less than wall time when other work shares the machine.
 */
import nodemailer from 'nodemailer';
import { outboundModule } from '../src/outbound/index.js';
import { Sender } from '../src/outbound/sender.js';
import { loadSendingSettings } from '../src/outbound/sendingSettings.js';
import { trackingIdentity } from '../src/outbound/trackingAddress.js';
import { transportOptions } from '../src/outbound/transport.js';
import { bounceAddress } from '../src/tracking/cookie.js';
import {
  configureSending,
  fmt,
  notAvailable,
  postgresAvailable,
  profiled,
  progress,
  queueTracked,
  startBenchApp,
  startSink,
  timed,
  type BenchApp,
  type BenchOptions,
  type PartResult,
  type Row,
  type StoreKind,
} from './support.js';

const TARGET = 0.5;
const WARMUP = 100;
const MAX_CONNECTIONS = 5;
const ROUNDS = 3;

interface Outgoing {
  raw: Buffer;
  envelope: { from: string; to: string[] };
}

async function outgoingOf(app: BenchApp, ids: string[]): Promise<Outgoing[]> {
  const ctx = app.running.ctx;
  const identity = await trackingIdentity(ctx.store.db);
  const out: Outgoing[] = [];
  for (const id of ids) {
    const email = await ctx.store.db.selectFrom('emails').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const to = [...JSON.parse(email.to_list), ...JSON.parse(email.cc_list)] as { address: string }[];
    out.push({
      raw: await ctx.blobs.get(email.raw_blob!),
      envelope: { from: identity && email.cookie ? bounceAddress(identity.address, email.cookie) : email.from_address, to: to.map((p) => p.address) },
    });
  }
  return out;
}

/** The raw blast: one nodemailer pool with Mailtrail's transport options, every message at once. */
async function rawBlast(app: BenchApp, messages: Outgoing[], warmup: Outgoing[]): Promise<{ ms: number; cpuMs: number }> {
  const settings = await loadSendingSettings(app.running.ctx.store.db, app.config.secret);
  if (!settings) throw new Error('sending is not configured');
  const transport = nodemailer.createTransport(transportOptions(settings));
  try {
    await Promise.all(warmup.map((m) => transport.sendMail(m)));
    const { ms, cpuMs } = await timed(() => Promise.all(messages.map((m) => transport.sendMail(m))));
    return { ms, cpuMs };
  } finally {
    transport.close();
  }
}

interface Measured {
  ms: number;
  cpuMs: number;
}

async function sendOn(
  kind: StoreKind,
  n: number,
  profileDir: string | undefined,
): Promise<{ mailtrail: Measured; raw: Measured; bytes: number; sinkKind: string }> {
  const sink = await startSink();
  let app: BenchApp | undefined;
  try {
    app = await startBenchApp(kind, { modules: [outboundModule()] });
    await configureSending(app, sink.port, MAX_CONNECTIONS);
    const spec = { seed: 11, attachEvery: 20, attachmentBytes: 40_000, textBytes: 1200 };
    progress(`send/${kind}: queueing ${WARMUP} + ${n} tracked emails`);
    const warm = await queueTracked(app, { ...spec, count: WARMUP });
    const warmSender = new Sender(app.running.ctx);
    await warmSender.drain();
    await warmSender.stop();
    const queued = await timed(() => queueTracked(app!, { ...spec, seed: 12, count: n }));
    progress(`send/${kind}: queued in ${fmt.s(queued.ms)}`);
    const messages = await outgoingOf(
      app,
      queued.value.map((e) => e.id),
    );
    const warmup = await outgoingOf(
      app,
      warm.map((e) => e.id),
    );
    const bytes = messages.reduce((s, m) => s + m.raw.length, 0);

    // Interleaved rounds, best of each: raw, Mailtrail, raw, Mailtrail (the queue is refilled between).
    const raws: { ms: number; cpuMs: number }[] = [];
    const mailtrails: { ms: number; cpuMs: number }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      if (round > 0) await queueTracked(app, { ...spec, seed: 12 + round, count: n });
      raws.push(await rawBlast(app, messages, warmup));
      progress(`send/${kind}: raw blast ${fmt.s(raws.at(-1)!.ms)}`);
      const sender = new Sender(app.running.ctx);
      const sent = await profiled(round === 0 ? profileDir : undefined, `send-${kind}-${n}`, () => timed(() => sender.drain()));
      await sender.stop();
      mailtrails.push(sent);
      progress(`send/${kind}: Mailtrail sender ${fmt.s(sent.ms)}`);
      if (sent.value !== n) throw new Error(`the sender handled ${sent.value} of ${n} entries`);
    }
    const ok = await app.running.ctx.store.db
      .selectFrom('emails')
      .select((eb) => eb.fn.countAll<number>().as('c'))
      .where('status', '=', 'sent')
      .where('error', 'is', null)
      .executeTakeFirstOrThrow();
    const expected = ROUNDS * n + WARMUP;
    if (Number(ok.c) !== expected) throw new Error(`${Number(ok.c)} of ${expected} emails are marked sent`);
    const best = (runs: { ms: number; cpuMs: number }[]) => runs.reduce((a, b) => (b.ms < a.ms ? b : a));
    return { mailtrail: best(mailtrails), raw: best(raws), bytes, sinkKind: sink.kind };
  } finally {
    await app?.close();
    await sink.stop();
  }
}

export async function sendBench(opts: BenchOptions): Promise<PartResult> {
  const n = opts.quick ? 1000 : 5000;
  const result: PartResult = { rows: [], json: {}, notes: [] };
  const ratios: number[] = [];
  for (const kind of opts.kinds) {
    const label = kind === 'sqlite' ? 'SQLite' : 'PostgreSQL';
    const measure = `send ${n.toLocaleString('en')} tracked emails (${label})`;
    if (kind === 'postgres' && !(await postgresAvailable())) {
      result.rows.push(notAvailable('Send', measure, 'PostgreSQL is not reachable', `≥ ${fmt.pct(TARGET)} of raw`));
      result.json.sendRatioPostgres = null;
      continue;
    }
    try {
      const r = await sendOn(kind, n, opts.profileDir);
      const rate = n / (r.mailtrail.ms / 1000);
      const rawRate = n / (r.raw.ms / 1000);
      const ratio = rate / rawRate;
      ratios.push(ratio);
      const row: Row = {
        part: 'Send',
        measure,
        mailtrail: `${fmt.rate(rate)} (${fmt.s(r.mailtrail.ms)}; CPU ${fmt.cpu(r.mailtrail.cpuMs / n)})`,
        raw: `${fmt.rate(rawRate)} (${fmt.s(r.raw.ms)}; CPU ${fmt.cpu(r.raw.cpuMs / n)})`,
        ratio: fmt.pct(ratio),
        target: `≥ ${fmt.pct(TARGET)} of raw`,
        verdict: ratio >= TARGET ? 'met' : 'missed',
      };
      result.rows.push(row);
      const suffix = kind === 'sqlite' ? 'Sqlite' : 'Postgres';
      result.json[`sendRate${suffix}`] = round(rate);
      result.json[`sendRawRate${suffix}`] = round(rawRate);
      result.json[`sendRatio${suffix}`] = round(ratio, 3);
      if (kind === opts.kinds[0]) {
        result.notes.push(
          `Send: ${n} emails of ${fmt.kb(r.bytes / n)} on average (every 20th with a 40 kB PDF), sink: ${r.sinkKind === 'smtp-sink' ? "Postfix's smtp-sink" : 'a Node smtp-server'} in its own process, ${MAX_CONNECTIONS} pooled SMTP connections on both sides; ${ROUNDS} interleaved rounds, the fastest of each side counts; CPU = user + system time of the Node process per message.`,
        );
      }
    } catch (err) {
      result.rows.push({
        part: 'Send',
        measure,
        mailtrail: `failed: ${(err as Error).message}`,
        raw: '',
        ratio: '',
        target: `≥ ${fmt.pct(TARGET)} of raw`,
        verdict: 'failed',
      });
    }
  }
  result.json.sendRatio = ratios.length > 0 ? round(Math.min(...ratios), 3) : null;
  result.json.sendRawRate = (result.json.sendRawRateSqlite ?? result.json.sendRawRatePostgres ?? null) as number | null;
  return result;
}

export function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
