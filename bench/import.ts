/**
 * Import: a tracking mailbox on the real Dovecot holding N tracked replies. Mailtrail's full
 * import — one `pollOnce` over POP3: fetch, store raw, parse, verify the cookie, file the reply
 * on its thread with its attachments, queue the forward (not send it), delete from the server —
 * against the raw baseline: a plain socket POP3 client that RETRs and DELEs every message and
 * throws it away, same server, same mailbox contents, in the same run.
 *
 * The mailbox is filled by writing straight into Dovecot's Maildir (as root; else through
 * Postfix), then indexed by one POP3 login; the fill is timed separately and is not part of any
 * figure. Each measured drain starts from a freshly filled, freshly indexed mailbox.
 */
import { pollOnce } from '../src/inbound/poller.js';
import { saveTrackingSettings } from '../src/inbound/trackingSettings.js';
import { pop3Client } from '../test/harness/mailPeers.js';
import { pipelinedPop3Drain } from './pipelinedPop3.js';
import { replyTo } from './replies.js';
import { round } from './send.js';
import {
  PEERS,
  benchAddress,
  createRecords,
  fillMailbox,
  fmt,
  notAvailable,
  peersProblem,
  pop3Count,
  postgresAvailable,
  profiled,
  progress,
  queueTracked,
  rawPop3Drain,
  rawPop3ParseDrain,
  removeMailbox,
  startBenchApp,
  timed,
  type BenchApp,
  type BenchOptions,
  type PartResult,
  type StoreKind,
  withPeerRetry,
} from './support.js';

const TARGET = 0.3;
const PIPELINED_TARGET = 0.05;
const SCALE_LIMIT = 11;
const EMAILS_PER_RECORD = 10;

interface ImportRun {
  n: number;
  bytes: number;
  fillMs: number;
  fillVia: string;
  rawMs: number;
  rawCpuMs: number;
  /** The stricter baseline: the same drain with RETR/DELE pipelined (the wire and Dovecot's own speed). */
  pipelinedMs: number;
  mailtrailMs: number;
  mailtrailCpuMs: number;
  /** Our own POP3 client (src/mail/pop3) draining the same mailbox: where the client's share goes. */
  clientMs?: number;
  /** The baseline client plus mailparser's simpleParser per message: a minimal importer. */
  parseMs?: number;
}

async function prepare(kind: StoreKind, n: number, address: string): Promise<{ app: BenchApp; messages: Buffer[] }> {
  const app = await startBenchApp(kind, { trackingAddress: address });
  try {
    const db = app.running.ctx.store.db;
    await saveTrackingSettings(db, app.config.secret, {
      protocol: 'pop3',
      host: PEERS.host,
      port: PEERS.pop3Port,
      security: 'none',
      username: address,
      password: PEERS.password,
      address,
      pollSeconds: 60,
      deleteUntracked: false,
    });
    // Realistic threads: about ten tracked emails per record.
    const records = await createRecords(app, Math.ceil(n / EMAILS_PER_RECORD));
    const tags = new Map(records.map((r) => [r.id, r.tag]));
    const queued = await timed(() => queueTracked(app, { count: n, seed: 21, attachEvery: 0, attachmentBytes: 0, textBytes: 800, records }));
    progress(`import/${kind}/${n}: ${n} tracked originals queued in ${fmt.s(queued.ms)}`);
    // The originals went out long ago: nothing left in the outbox, every one sent.
    await db.updateTable('outbox').set({ state: 'done', done_at: new Date().toISOString() }).execute();
    await db.updateTable('emails').set({ status: 'sent' }).execute();
    const messages = queued.value.map((original, i) => replyTo(original, { i, seed: 21, recordTag: tags.get(original.record_id)!, trackingAddress: address }));
    return { app, messages };
  } catch (err) {
    await app.close();
    throw err;
  }
}

async function importOn(kind: StoreKind, n: number, withClient: boolean, profileDir: string | undefined): Promise<ImportRun> {
  const address = benchAddress(`import-${kind}`);
  const { app, messages } = await prepare(kind, n, address);
  try {
    const bytes = messages.reduce((s, m) => s + m.length, 0);
    const fill = await fillMailbox(address, messages);
    progress(`import/${kind}/${n}: mailbox filled (${fmt.mb(bytes)}) via ${fill.via} in ${fmt.s(fill.ms)}`);
    // The baseline twice (refilled in between), the faster counts.
    let rawMs = Number.POSITIVE_INFINITY;
    let rawCpuMs = 0;
    for (let round = 0; round < 2; round++) {
      if (round > 0) {
        await removeMailbox(address);
        await fillMailbox(address, messages);
      }
      const raw = await timed(() => rawPop3Drain(address));
      if (raw.value.messages !== n) throw new Error(`the baseline saw ${raw.value.messages} of ${n} messages`);
      progress(`import/${kind}/${n}: raw POP3 drain ${fmt.s(raw.ms)}`);
      if (raw.ms < rawMs) {
        rawMs = raw.ms;
        rawCpuMs = raw.cpuMs;
      }
    }

    // The pipelined baseline, also the faster of two drains.
    let pipelinedMs = Number.POSITIVE_INFINITY;
    for (let round = 0; round < 2; round++) {
      await removeMailbox(address);
      await fillMailbox(address, messages);
      const piped = await timed(() => pipelinedPop3Drain(address));
      if (piped.value.messages !== n) throw new Error(`the pipelined baseline saw ${piped.value.messages} of ${n} messages`);
      progress(`import/${kind}/${n}: pipelined POP3 drain ${fmt.s(piped.ms)}`);
      pipelinedMs = Math.min(pipelinedMs, piped.ms);
    }

    let clientMs: number | undefined;
    let parseMs: number | undefined;
    if (withClient) {
      await removeMailbox(address);
      await fillMailbox(address, messages);
      clientMs = (await timed(() => ownClientDrain(address, n))).ms;
      progress(`import/${kind}/${n}: our Pop3Client drain ${fmt.s(clientMs)}`);
      await removeMailbox(address);
      await fillMailbox(address, messages);
      parseMs = (await timed(() => rawPop3ParseDrain(address))).ms;
      progress(`import/${kind}/${n}: baseline + simpleParser ${fmt.s(parseMs)}`);
    }

    await removeMailbox(address);
    await fillMailbox(address, messages);
    const polled = await profiled(profileDir, `import-${kind}-${n}`, () => timed(() => pollOnce(app.running.ctx)));
    progress(`import/${kind}/${n}: Mailtrail import ${fmt.s(polled.ms)} ${JSON.stringify(polled.value)}`);
    if (polled.value.fetched !== n || polled.value.imported !== n) {
      throw new Error(`Mailtrail fetched ${polled.value.fetched} and filed ${polled.value.imported} of ${n} replies (${JSON.stringify(polled.value)})`);
    }
    const left = await pop3Count(address);
    if (left !== 0) throw new Error(`${left} messages are still on the server after the import`);
    const attached = await app.running.ctx.store.db
      .selectFrom('emails')
      .select((eb) => eb.fn.countAll<number>().as('c'))
      .where('direction', '=', 'inbound')
      .executeTakeFirstOrThrow();
    if (Number(attached.c) !== n) throw new Error(`${Number(attached.c)} of ${n} replies are on the record`);
    return {
      n,
      bytes,
      fillMs: fill.ms,
      fillVia: fill.via,
      rawMs,
      rawCpuMs,
      pipelinedMs,
      mailtrailMs: polled.ms,
      mailtrailCpuMs: polled.cpuMs,
      ...(clientMs !== undefined ? { clientMs } : {}),
      ...(parseMs !== undefined ? { parseMs } : {}),
    };
  } finally {
    await removeMailbox(address).catch(() => undefined);
    await app.close();
  }
}

/** Our POP3 client, streaming each RETR to nowhere: the protocol cost as Mailtrail's poller pays it. */
async function ownClientDrain(address: string, n: number): Promise<void> {
  const client = pop3Client('none');
  await client.connect();
  try {
    await client.login(address, PEERS.password);
    const list = await client.list();
    if (list.length !== n) throw new Error(`our client saw ${list.length} of ${n} messages`);
    for (const { n: number } of list) {
      const stream = await client.retrStream(number);
      for await (const _chunk of stream) {
        // thrown away, like the baseline
      }
      await client.dele(number);
    }
    await client.quit();
  } finally {
    client.close();
  }
}

export async function importBench(opts: BenchOptions): Promise<PartResult> {
  const sizes = opts.quick ? [1000] : [1000, 10_000];
  const result: PartResult = { rows: [], json: {}, notes: [] };
  const problem = await peersProblem(['pop3']);
  for (const kind of opts.kinds) {
    const label = kind === 'sqlite' ? 'SQLite' : 'PostgreSQL';
    const suffix = kind === 'sqlite' ? 'Sqlite' : 'Postgres';
    const target = `≥ ${fmt.pct(TARGET)} of raw`;
    const reason = problem ?? (kind === 'postgres' && !(await postgresAvailable()) ? 'PostgreSQL is not reachable' : undefined);
    if (reason) {
      for (const n of sizes) result.rows.push(notAvailable('Import', `import ${n.toLocaleString('en')} replies over POP3 (${label})`, reason, target));
      result.json[`importRatio${suffix}`] = null;
      continue;
    }
    const runs: ImportRun[] = [];
    for (const n of sizes) {
      const measure = `import ${n.toLocaleString('en')} replies over POP3 (${label})`;
      try {
        const r = await withPeerRetry(`import/${kind}/${n}`, () => importOn(kind, n, kind === opts.kinds[0], opts.profileDir));
        runs.push(r);
        const rate = n / (r.mailtrailMs / 1000);
        const rawRate = n / (r.rawMs / 1000);
        const ratio = rate / rawRate;
        result.rows.push({
          part: 'Import',
          measure,
          mailtrail: `${fmt.rate(rate)} (${fmt.s(r.mailtrailMs)}; CPU ${fmt.cpu(r.mailtrailCpuMs / n)})`,
          raw: `${fmt.rate(rawRate)} (${fmt.s(r.rawMs)}; CPU ${fmt.cpu(r.rawCpuMs / n)})`,
          ratio: fmt.pct(ratio),
          target,
          verdict: ratio >= TARGET ? 'met' : 'missed',
        });
        const key = `${n / 1000}k`;
        const pipelinedRate = n / (r.pipelinedMs / 1000);
        result.rows.push({
          part: 'Import',
          measure: `${measure}, against the pipelined download`,
          mailtrail: `${fmt.rate(rate)}`,
          raw: `${fmt.rate(pipelinedRate)} (${fmt.s(r.pipelinedMs)}; RETR/DELE pipelined, 32 pairs in flight)`,
          ratio: fmt.pct(rate / pipelinedRate),
          target: `≥ ${fmt.pct(PIPELINED_TARGET)} of pipelined`,
          verdict: rate / pipelinedRate >= PIPELINED_TARGET ? 'met' : 'missed',
        });
        result.json[`importPipelinedRate${suffix}${key}`] = round(pipelinedRate);
        result.json[`importPipelinedRatio${suffix}${key}`] = round(rate / pipelinedRate, 3);
        result.json[`importRate${suffix}${key}`] = round(rate);
        result.json[`importRawRate${suffix}${key}`] = round(rawRate);
        result.json[`importRatio${suffix}${key}`] = round(ratio, 3);
        result.json[`importCpuMsPerMsg${suffix}${key}`] = round(r.mailtrailCpuMs / n, 2);
        if (r.clientMs !== undefined) {
          const clientRate = n / (r.clientMs / 1000);
          result.rows.push({
            part: 'Import',
            measure: `${n.toLocaleString('en')} messages: our Pop3Client alone (RETR streamed to nowhere + DELE)`,
            mailtrail: `${fmt.rate(clientRate)} (${fmt.s(r.clientMs)})`,
            raw: `${fmt.rate(rawRate)} (${fmt.s(r.rawMs)})`,
            ratio: fmt.pct(clientRate / rawRate),
            target: 'for reference',
            verdict: '—',
          });
          result.json[`importClientRate${key}`] = round(clientRate);
        }
        if (r.parseMs !== undefined) {
          const parseRate = n / (r.parseMs / 1000);
          result.rows.push({
            part: 'Import',
            measure: `${n.toLocaleString('en')} messages: baseline client + mailparser simpleParser per message (a minimal importer)`,
            mailtrail: `${fmt.rate(parseRate)} (${fmt.s(r.parseMs)})`,
            raw: `${fmt.rate(rawRate)} (${fmt.s(r.rawMs)})`,
            ratio: fmt.pct(parseRate / rawRate),
            target: 'for reference',
            verdict: '—',
          });
          result.json[`importParseOnlyRate${key}`] = round(parseRate);
        }
        if (kind === opts.kinds[0] && n === sizes[0]) {
          result.notes.push(
            `Import: replies of about ${fmt.kb(r.bytes / n)} on average (text + HTML quoting the original, a Received chain and a DKIM signature; every 10th with a 50–300 kB PDF, every 100th with a 1.5 MB photo), filled into Dovecot's Maildir via ${r.fillVia} (${fmt.s(r.fillMs)} for ${n}, not counted). Mailtrail: one \`pollOnce\` (fetch, store raw, parse, verify cookie, file with attachments, queue the forward, DELE). Baseline: a bare socket POP3 client, RETR + DELE per message, body discarded (best of two drains). The originals are spread over records, ten per record. POP3 without TLS on loopback.`,
          );
        }
      } catch (err) {
        result.rows.push({ part: 'Import', measure, mailtrail: `failed: ${(err as Error).message}`, raw: '', ratio: '', target, verdict: 'failed' });
        progress(`import/${kind}/${n} failed: ${(err as Error).stack}`);
      }
    }
    const ratios = runs.map((r) => r.rawMs / r.mailtrailMs);
    result.json[`importRatio${suffix}`] = ratios.length > 0 ? round(Math.min(...ratios), 3) : null;
    result.json[`importRawRate${suffix}`] = runs.length > 0 ? round(runs[0]!.n / (runs[0]!.rawMs / 1000)) : null;
    result.json[`importRate${suffix}`] = runs.length > 0 ? round(runs[0]!.n / (runs[0]!.mailtrailMs / 1000)) : null;
    const small = runs.find((r) => r.n === 1000);
    const large = runs.find((r) => r.n === 10_000);
    if (small && large) {
      const factor = large.mailtrailMs / small.mailtrailMs;
      result.rows.push({
        part: 'Import',
        measure: `10k time / 1k time (${label})`,
        // CPU time scales like wall time when the machine is quiet; under other load it is the steadier figure.
        mailtrail: `${factor.toFixed(1)}× (CPU time ${(large.mailtrailCpuMs / small.mailtrailCpuMs).toFixed(1)}×)`,
        raw: `${(large.rawMs / small.rawMs).toFixed(1)}×`,
        ratio: '',
        target: `≤ ${SCALE_LIMIT}×`,
        verdict: factor <= SCALE_LIMIT ? 'met' : 'missed',
      });
      result.json[`importScale${suffix}`] = round(factor, 2);
      result.json[`importCpuScale${suffix}`] = round(large.mailtrailCpuMs / small.mailtrailCpuMs, 2);
    }
  }
  return result;
}
