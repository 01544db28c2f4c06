/**
 * `npm run bench` — Mailtrail's benchmarks, each figure next to a raw baseline measured in the
 * same run on the same machine; writes the table to BENCHMARKS.md.
 *
 *   npm run bench                          full run (N = 1,000 and 10,000 imports, 5,000 sends, …)
 *   npm run bench -- --quick --json        reduced run (N = 1,000); last stdout line is one JSON object
 *   npm run bench -- --only send,import    some parts only (send, import, latency, memory, api, stall)
 *   npm run bench -- --kinds sqlite        one database only (default: sqlite,postgres)
 *   npm run bench -- --profile DIR         CPU profiles of the measured Mailtrail sections into DIR
 *   npm run bench -- --write / --no-write  write BENCHMARKS.md or not (default: only a full run of every part on both databases writes)
 *
 * Progress goes to stderr. Parts whose dependency is missing say "not available: …" in the table.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { apiBench } from './api.js';
import { importBench } from './import.js';
import { latencyBench } from './latency.js';
import { memoryBench } from './memory.js';
import { sendBench } from './send.js';
import { stallBench } from './stall.js';
import { machine, progress, type BenchOptions, type JsonValue, type Machine, type PartResult, type Row, type StoreKind } from './support.js';

const PARTS: Record<string, (o: BenchOptions) => Promise<PartResult>> = {
  send: sendBench,
  import: importBench,
  latency: latencyBench,
  memory: memoryBench,
  api: apiBench,
  stall: stallBench,
};

interface Args extends BenchOptions {
  json: boolean;
  only: string[];
  write: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false, json: false, only: Object.keys(PARTS), kinds: ['sqlite', 'postgres'], write: true };
  let writeGiven: boolean | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--quick') args.quick = true;
    else if (a === '--json') args.json = true;
    else if (a === '--write') writeGiven = true;
    else if (a === '--no-write') writeGiven = false;
    else if (a.startsWith('--only')) args.only = value().split(',').map((s) => s.trim());
    else if (a.startsWith('--profile')) args.profileDir = value();
    else if (a.startsWith('--kinds')) args.kinds = value().split(',').map((s) => s.trim()) as StoreKind[];
    else throw new Error(`unknown argument ${a} (see bench/run.ts for the usage)`);
  }
  for (const p of args.only) if (!(p in PARTS)) throw new Error(`unknown part ${p}; parts: ${Object.keys(PARTS).join(', ')}`);
  for (const k of args.kinds) if (k !== 'sqlite' && k !== 'postgres') throw new Error(`unknown database kind ${k}`);
  // Only a full run replaces the table by default; --write forces it (a partial table replaces the whole one).
  args.write = writeGiven ?? (!args.quick && args.only.length === Object.keys(PARTS).length && args.kinds.length === 2);
  return args;
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function table(rows: Row[]): string {
  const head = ['Part', 'Measure', 'Mailtrail', 'Raw baseline', 'Ratio', 'Target', 'Verdict'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) lines.push(`| ${[r.part, r.measure, r.mailtrail, r.raw, r.ratio, r.target, r.verdict].map(cell).join(' | ')} |`);
  return lines.join('\n');
}

/** Everything from this line on in BENCHMARKS.md is written by people and kept across runs. */
const ANALYSIS_MARK = '<!-- analysis: kept by bench/run.ts across runs -->';

function keptAnalysis(file: string): string {
  if (!existsSync(file)) return '';
  const text = readFileSync(file, 'utf8');
  const at = text.indexOf(ANALYSIS_MARK);
  return at >= 0 ? `\n${text.slice(at)}` : '';
}

function markdown(m: Machine, command: string, rows: Row[], notes: string[], totalMs: number, analysis: string): string {
  return `# Benchmarks

Measured by \`${command}\` (bench/run.ts) on ${m.date}, in ${(totalMs / 60_000).toFixed(1)} minutes.
Each Mailtrail figure stands next to a raw baseline measured in the same run on the same machine;
the ratio is what matters, the absolute numbers move with the machine. Timings never go into tests.

**Machine:** ${m.cpu}, ${m.cores} cores, ${m.memory} memory, Node.js ${m.node}, ${m.os}.
Load average when the run started: ${m.load}, at its end: ${os.loadavg()[0]!.toFixed(2)} (other work on the
machine moves wall-clock rates; the CPU time per message beside them moves much less).

${table(rows)}

## How each figure is measured

${notes.map((n) => `- ${n}`).join('\n')}

Re-run with \`npm run bench\` (under 20 minutes here); \`npm run bench -- --quick --json\` is the
reduced run (N = 1,000) whose last line is a JSON object. Parts and databases can be chosen with
\`--only send,import,latency,memory,api\` and \`--kinds sqlite,postgres\`; \`--profile DIR\` writes a CPU
profile (.cpuprofile, as \`node --cpu-prof\` does) of each measured Mailtrail section.
${analysis}`;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const m = machine();
  progress(`${m.cpu}, ${m.cores} cores, ${m.memory}, Node ${m.node}; parts: ${args.only.join(', ')}${args.quick ? ' (quick)' : ''}`);
  const started = Date.now();
  const rows: Row[] = [];
  const notes: string[] = [];
  const json: Record<string, JsonValue> = { quick: args.quick };
  for (const name of args.only) {
    progress(`--- ${name}`);
    const partStart = Date.now();
    try {
      const r = await PARTS[name]!(args);
      rows.push(...r.rows);
      notes.push(...r.notes);
      Object.assign(json, r.json);
    } catch (err) {
      rows.push({ part: name, measure: '', mailtrail: `failed: ${(err as Error).message}`, raw: '', ratio: '', target: '', verdict: 'failed' });
      progress(`${name} failed: ${(err as Error).stack ?? String(err)}`);
    }
    progress(`${name} took ${((Date.now() - partStart) / 1000).toFixed(1)} s`);
  }
  const totalMs = Date.now() - started;
  json.totalSeconds = Math.round(totalMs / 1000);
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  process.stdout.write(`\n${table(rows)}\n\n`);
  if (args.write) {
    const file = fileURLToPath(new URL('../BENCHMARKS.md', import.meta.url));
    writeFileSync(file, markdown(m, command, rows, notes, totalMs, keptAnalysis(file)));
    progress(`wrote ${file}`);
  }
  if (args.json) process.stdout.write(`${JSON.stringify(json)}\n`);
}

main().then(
  // Pools, sockets and timers of a failed part must not keep the process alive.
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
