/**
 * The process whose memory the memory benchmark measures: opens the store the parent prepared,
 * imports the tracking mailbox with one `pollOnce`, and reports its peak RSS (VmHWM) before and
 * after, plus the SHA-256 of every attachment it filed, as one JSON line on stdout.
 * Config comes from MAILTRAIL_BENCH_CONFIG (a JSON Config).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Config } from '../src/config.js';
import { pollOnce } from '../src/inbound/poller.js';
import { silentLogger } from '../src/log.js';
import { openBlobStore } from '../src/store/blobs.open.js';
import { openStore } from '../src/store/db.js';

function status(field: 'VmHWM' | 'VmRSS'): number {
  const line = readFileSync('/proc/self/status', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${field}:`));
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? Number.NaN) * 1024;
}

const config = JSON.parse(process.env.MAILTRAIL_BENCH_CONFIG ?? '{}') as Config;
const store = await openStore(config.database);
// The backend the server would use: the folder on SQLite, the database (chunked) on PostgreSQL.
const blobs = await openBlobStore(config, store);
const ctx = { store, config, log: silentLogger, blobs };
const before = { hwm: status('VmHWM'), rss: status('VmRSS') };
const started = performance.now();
const result = await pollOnce(ctx);
const ms = performance.now() - started;
const hwm = status('VmHWM');
const attachments = await store.db
  .selectFrom('email_attachments')
  .innerJoin('emails', 'emails.id', 'email_attachments.email_id')
  .select(['email_attachments.blob', 'email_attachments.size', 'email_attachments.filename'])
  .where('emails.direction', '=', 'inbound')
  .execute();
const hashes: { filename: string; size: number; sha256: string }[] = [];
for (const a of attachments) {
  const hash = createHash('sha256');
  for await (const chunk of blobs.stream(a.blob)) hash.update(chunk as Buffer);
  hashes.push({ filename: a.filename, size: Number(a.size), sha256: hash.digest('hex') });
}
const inbound = await store.db
  .withTables<{ inbound_messages: { state: string; reason: string | null; detail: string | null } }>()
  .selectFrom('inbound_messages')
  .select(['state', 'reason', 'detail'])
  .execute();
await store.close();
process.stdout.write(`${JSON.stringify({ before, hwm, ms, result, inbound, attachments: hashes, blobs: blobs.backend })}\n`);
