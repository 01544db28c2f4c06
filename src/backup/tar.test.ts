import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { readTar, TarWriter } from './tar.js';

async function* from(parts: Buffer[]): AsyncGenerator<Buffer> {
  yield* parts;
}

async function archive(entries: [string, Buffer][]): Promise<Buffer> {
  const out = new PassThrough();
  const parts: Buffer[] = [];
  out.on('data', (d: Buffer) => parts.push(d));
  const tar = new TarWriter(out);
  for (const [name, body] of entries) {
    // Streamed in odd pieces, as a blob store hands them over.
    async function* pieces() {
      for (let at = 0; at < body.length; at += 70_001) yield body.subarray(at, at + 70_001);
    }
    await tar.entry(name, body.length, pieces());
  }
  await tar.finish();
  out.end();
  return Buffer.concat(parts);
}

test('entries round-trip in order, a body left half-read is skipped, and tar(1) reads the file', async (t) => {
  const big = randomBytes(1024 * 1024 + 3);
  const bytes = await archive([
    ['mailtrail-backup.json', Buffer.from('{}')],
    [`blobs/${'a'.repeat(64)}`, big],
    ['empty', Buffer.alloc(0)],
    ['summary.json', Buffer.from('{"rows":{}}')],
  ]);
  const seen: [string, number][] = [];
  for await (const entry of readTar(from([bytes.subarray(0, 1000), bytes.subarray(1000)]))) {
    if (entry.name.startsWith('blobs/')) {
      const first = await entry.body.next();
      assert.ok(!first.done && first.value.length > 0);
      seen.push([entry.name, -1]);
      continue;
    }
    const parts: Buffer[] = [];
    for await (const p of entry.body) parts.push(p);
    seen.push([entry.name, Buffer.concat(parts).length]);
  }
  assert.deepEqual(seen, [
    ['mailtrail-backup.json', 2],
    [`blobs/${'a'.repeat(64)}`, -1],
    ['empty', 0],
    ['summary.json', 11],
  ]);

  const dir = mkdtempSync(join(tmpdir(), 'mailtrail-tar-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'b.tar'), bytes);
  assert.deepEqual(
    execFileSync('tar', ['tf', join(dir, 'b.tar')], { encoding: 'utf8' })
      .trim()
      .split('\n'),
    ['mailtrail-backup.json', `blobs/${'a'.repeat(64)}`, 'empty', 'summary.json'],
  );
});

test('a file cut short, or one that is not a tar, is refused', async () => {
  const bytes = await archive([['summary.json', randomBytes(5000)]]);
  const drain = async (b: Buffer) => {
    for await (const e of readTar(from([b]))) for await (const _ of e.body) void _;
  };
  await assert.rejects(drain(bytes.subarray(0, 3000)), /ends in the middle of an entry/);
  await assert.rejects(drain(bytes.subarray(0, 512 + 5120)), /cut short/);
  const bad = Buffer.from(bytes);
  bad[10] = 0x41;
  await assert.rejects(drain(bad), /checksum/);
});
