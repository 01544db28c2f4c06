/**
 * Anonymous stall (issue 13, finding 1): `GET /api/health` latency while the sign-in route
 * `POST /api/v1/auth/token` is hit, from concurrent clients without any credentials, with the
 * worst bodies of the security review — 11 MB of JSON with a million unknown keys, a 27 MB
 * password, a 30 MB body (also sent chunked, with no Content-Length to refuse it by) — and a
 * 15 KB body of unknown keys that fits the limit, so parsing and validation run too.
 *
 * The server is `mailtrail start` (demo mode: SQLite, the mail sandbox, the poller and the
 * sender running) in its own process, as the review met it. The attackers run in this process;
 * the health probe runs in a worker thread of its own, so neither the attackers' work nor the
 * probe's own timers sit on the other's event loop. Baseline: the same probe with no attack.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { round } from './send.js';
import { fmt, progress, quantile, sleep, type BenchOptions, type PartResult } from './support.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TARGET_P99_MS = 100;
const PROBE_GAP_MS = 10;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

interface Server {
  base: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

async function startServer(): Promise<Server> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mailtrail-bench-stall-'));
  const [port, smtpPort, pop3Port] = [await freePort(), await freePort(), await freePort()];
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'start'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      MAILTRAIL_DATA: dataDir,
      MAILTRAIL_ADMIN_PASSWORD: 'bench-admin-password',
      MAILTRAIL_SANDBOX_SMTP_PORT: String(smtpPort),
      MAILTRAIL_SANDBOX_POP3_PORT: String(pop3Port),
      DATABASE_URL: '',
      MAILTRAIL_DEMO: '',
      MAILTRAIL_SECRET: '',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  };
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`mailtrail start exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${base}/api/health`)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (i > 600) {
      await stop();
      throw new Error('mailtrail start did not answer /api/health within 60 s');
    }
    await sleep(100);
  }
  return { base, child, stop };
}

/**
 * GET /api/health one after another (PROBE_GAP_MS apart) for `ms`, in a worker thread: its
 * event loop is its own, so a busy attacker loop cannot delay the probe's clock.
 */
function probe(url: string, ms: number): Promise<{ samples: number[]; errors: number }> {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { performance } = require('node:perf_hooks');
    (async () => {
      const samples = [];
      let errors = 0;
      const end = performance.now() + workerData.ms;
      while (performance.now() < end) {
        const t0 = performance.now();
        try {
          const res = await fetch(workerData.url);
          await res.text();
          if (res.status !== 200) errors++;
          samples.push(performance.now() - t0);
        } catch {
          errors++;
        }
        await new Promise((r) => setTimeout(r, workerData.gap));
      }
      parentPort.postMessage({ samples, errors });
    })();
  `;
  return new Promise((resolve, reject) => {
    const worker = new Worker(code, { eval: true, workerData: { url, ms, gap: PROBE_GAP_MS } });
    worker.once('message', (m: { samples: number[]; errors: number }) => {
      resolve(m);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

interface Attack {
  name: string;
  body: Buffer;
  chunked: boolean;
}

function attacks(): Attack[] {
  const millionKeys = Buffer.from(`{${Array.from({ length: 1_000_000 }, (_, i) => `"k${i}":1`).join(',')}}`);
  const password = Buffer.from(JSON.stringify({ username: 'dana', password: 'x'.repeat(27 * 1024 * 1024) }));
  const thirty = Buffer.from(JSON.stringify({ username: 'dana', password: 'p', pad: 'y'.repeat(30 * 1024 * 1024) }));
  const fitting = Buffer.from(JSON.stringify(Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`key${i}`, 1]))));
  return [
    { name: `${fmt.mb(millionKeys.length)} JSON, a million unknown keys`, body: millionKeys, chunked: false },
    { name: `${fmt.mb(password.length)} password`, body: password, chunked: false },
    { name: `${fmt.mb(thirty.length)} body`, body: thirty, chunked: false },
    { name: `${fmt.mb(thirty.length)} body, chunked (no Content-Length)`, body: thirty, chunked: true },
    { name: `${(fitting.length / 1024).toFixed(0)} KB of 1,000 unknown keys (under the limit)`, body: fitting, chunked: false },
  ];
}

/** One anonymous sign-in attempt with `a`'s body; resolves with the status, or 'cut' when the server hung up while we wrote. */
function attempt(url: string, a: Attack): Promise<number | 'cut'> {
  return new Promise((resolve) => {
    let status: number | undefined;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (!a.chunked) headers['content-length'] = String(a.body.length);
    const req = httpRequest(url, { method: 'POST', headers, agent: false }, (res) => {
      status = res.statusCode;
      res.resume();
      res.on('end', () => resolve(status!));
      res.on('error', () => resolve(status ?? 'cut'));
    });
    req.on('error', () => resolve(status ?? 'cut'));
    if (a.chunked) {
      // In 1 MiB pieces, as a client streaming an upload would.
      for (let off = 0; off < a.body.length; off += 1 << 20) req.write(a.body.subarray(off, off + (1 << 20)));
      req.end();
    } else {
      req.end(a.body);
    }
  });
}

async function attackFor(url: string, list: Attack[], clients: number, ms: number) {
  const counts = new Map<string, Map<string, number>>(list.map((a) => [a.name, new Map()]));
  const end = Date.now() + ms;
  let sent = 0;
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = c; Date.now() < end; i++) {
        const a = list[i % list.length]!;
        const got = String(await attempt(url, a));
        const per = counts.get(a.name)!;
        per.set(got, (per.get(got) ?? 0) + 1);
        sent++;
      }
    }),
  );
  return { counts, sent };
}

export async function stallBench(opts: BenchOptions): Promise<PartResult> {
  const result: PartResult = { rows: [], json: {}, notes: [] };
  const clients = 8;
  const attackMs = opts.quick ? 15_000 : 60_000;
  const baselineMs = opts.quick ? 5_000 : 15_000;
  const measure = `GET /api/health while ${clients} anonymous clients send the worst sign-in bodies for ${attackMs / 1000} s`;
  progress('stall: building the attack bodies');
  const list = attacks();
  progress('stall: starting mailtrail start');
  const server = await startServer();
  try {
    // Let the demo seed, the first poll and the JIT settle before anything is measured.
    await sleep(2000);
    progress(`stall: baseline, ${baselineMs / 1000} s of health probes without an attack`);
    const quiet = await probe(`${server.base}/api/health`, baselineMs);
    progress(`stall: attack, ${clients} clients for ${attackMs / 1000} s, health probed meanwhile`);
    const [loud, hit] = await Promise.all([probe(`${server.base}/api/health`, attackMs), attackFor(`${server.base}/api/v1/auth/token`, list, clients, attackMs)]);
    const p99 = quantile(loud.samples, 0.99);
    const max = Math.max(...loud.samples);
    const quietP99 = quantile(quiet.samples, 0.99);
    const outcome = [...hit.counts].map(([name, per]) => `${name}: ${[...per].map(([s, n]) => `${n}× ${s}`).join(', ')}`).join('; ');
    progress(`stall: answers per body: ${outcome}`);
    result.rows.push({
      part: 'Stall',
      measure,
      mailtrail: `p99 ${fmt.ms(p99)}, max ${fmt.ms(max)}, median ${fmt.ms(quantile(loud.samples, 0.5))} (${loud.samples.length} probes, ${loud.errors} failed; ${hit.sent} attack requests)`,
      raw: `no attack: p99 ${fmt.ms(quietP99)}, median ${fmt.ms(quantile(quiet.samples, 0.5))} (${quiet.samples.length} probes)`,
      ratio: `${(p99 / quietP99).toFixed(1)}× the quiet p99`,
      target: `p99 < ${TARGET_P99_MS} ms`,
      verdict: p99 < TARGET_P99_MS && loud.errors === 0 ? 'met' : 'missed',
    });
    result.json['stallHealthP99Ms'] = round(p99);
    result.json['stallHealthMaxMs'] = round(max);
    result.json['stallHealthMedianMs'] = round(quantile(loud.samples, 0.5));
    result.json['stallHealthQuietP99Ms'] = round(quietP99);
    result.json['stallProbeErrors'] = loud.errors;
    result.json['stallAttackRequests'] = hit.sent;
    result.notes.push(
      `Stall: \`mailtrail start\` (demo mode, SQLite) in its own process; ${clients} concurrent anonymous clients in the bench process, each a new connection per request, cycling through the bodies; health probed one GET at a time ${PROBE_GAP_MS} ms apart from a worker thread. Answers per body (status, or "cut" when the server hung up mid-body): ${outcome}.`,
    );
  } finally {
    await server.stop();
  }
  return result;
}
