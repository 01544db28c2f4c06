/**
 * API: the Email tab of a record with 2,000 tracked emails —
 * `GET /api/v1/projects/ACC/records/{id}/emails` over HTTP on loopback, one request at a time
 * (what one person opening the tab waits for), median and p95. A simple bounded loop with
 * Node's own fetch: it needs no extra dependency, and at concurrency 1 it measures exactly the
 * latency a load generator would.
 *
 * References on the same server: the two SELECTs the route runs (the record's emails and their
 * attachments) straight through the store — the data-access floor — and `GET /api/health`.
 */
import { performance } from 'node:perf_hooks';
import { outboundModule } from '../src/outbound/index.js';
import { listAttachments, listRecordEmails } from '../src/store/emails.repository.js';
import { round } from './send.js';
import {
  fmt,
  median,
  notAvailable,
  postgresAvailable,
  progress,
  quantile,
  queueTracked,
  startBenchApp,
  type BenchApp,
  type BenchOptions,
  type PartResult,
  type StoreKind,
} from './support.js';

const EMAILS = 2000;
const WARMUP = 10;

async function loop(count: number, fn: () => Promise<void>): Promise<number[]> {
  for (let i = 0; i < WARMUP; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  return samples;
}

async function apiOn(kind: StoreKind, requests: number): Promise<{ route: number[]; queries: number[]; health: number[]; bytes: number }> {
  const app: BenchApp = await startBenchApp(kind, { modules: [outboundModule()], listen: true });
  try {
    progress(`api/${kind}: queueing ${EMAILS} tracked emails on one record`);
    await queueTracked(app, { count: EMAILS, seed: 61, attachEvery: 10, attachmentBytes: 20_000, textBytes: 1000 });
    const db = app.running.ctx.store.db;
    await db.updateTable('emails').set({ status: 'sent' }).execute();
    const token = app.dev.token!;
    const url = `${app.running.url}/api/v1/projects/ACC/records/${app.record.id}/emails`;
    let bytes = 0;
    const route = await loop(requests, async () => {
      const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      const body = await res.text();
      if (res.status !== 200) throw new Error(`GET emails: ${res.status} ${body.slice(0, 200)}`);
      bytes = body.length;
    });
    const parsed = JSON.parse(await (await fetch(url, { headers: { authorization: `Bearer ${token}` } })).text()) as { emails: unknown[] };
    if (parsed.emails.length !== EMAILS) throw new Error(`the Email tab lists ${parsed.emails.length} of ${EMAILS} emails`);
    const queries = await loop(requests, async () => {
      const rows = await listRecordEmails(db, app.record.id);
      await listAttachments(
        db,
        rows.map((r) => r.id),
      );
    });
    const health = await loop(requests, async () => {
      const res = await fetch(`${app.running.url}/api/health`);
      await res.text();
    });
    return { route, queries, health, bytes };
  } finally {
    await app.close();
  }
}

export async function apiBench(opts: BenchOptions): Promise<PartResult> {
  const requests = opts.quick ? 50 : 200;
  const result: PartResult = { rows: [], json: {}, notes: [] };
  for (const kind of opts.kinds) {
    const label = kind === 'sqlite' ? 'SQLite' : 'PostgreSQL';
    const suffix = kind === 'sqlite' ? 'Sqlite' : 'Postgres';
    const measure = `Email tab of a record with ${EMAILS.toLocaleString('en')} tracked emails, ${requests} GETs (${label})`;
    if (kind === 'postgres' && !(await postgresAvailable())) {
      result.rows.push(notAvailable('API', measure, 'PostgreSQL is not reachable'));
      continue;
    }
    try {
      const r = await apiOn(kind, requests);
      result.rows.push({
        part: 'API',
        measure,
        mailtrail: `median ${fmt.ms(median(r.route))}, p95 ${fmt.ms(quantile(r.route, 0.95))} (${fmt.mb(r.bytes)} JSON)`,
        raw: `its 2 SELECTs: median ${fmt.ms(median(r.queries))}, p95 ${fmt.ms(quantile(r.queries, 0.95))}; /api/health: median ${fmt.ms(median(r.health))}`,
        ratio: `${(median(r.route) / median(r.queries)).toFixed(1)}× the queries`,
        target: 'report (no target set)',
        verdict: '—',
      });
      result.json[`apiEmailsMedianMs${suffix}`] = round(median(r.route));
      result.json[`apiEmailsP95Ms${suffix}`] = round(quantile(r.route, 0.95));
      result.json[`apiEmailsQueriesMedianMs${suffix}`] = round(median(r.queries));
      if (kind === opts.kinds[0]) {
        result.notes.push(
          `API: one record with ${EMAILS} tracked emails (every 10th with a 20 kB attachment), Fastify listening on loopback, ${requests} sequential GETs with Node's fetch after ${WARMUP} warm-up requests (no autocannon: at concurrency 1 a bounded loop measures the same thing without a new dependency). Reference: the route's two SELECTs through the store, and GET /api/health.`,
        );
      }
    } catch (err) {
      result.rows.push({ part: 'API', measure, mailtrail: `failed: ${(err as Error).message}`, raw: '', ratio: '', target: '', verdict: 'failed' });
      progress(`api/${kind} failed: ${(err as Error).stack}`);
    }
  }
  return result;
}
