import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { BlobStore } from './blobs.js';

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

test('buffers and streams of the same bytes land on one blob, named by their SHA-256, with no temp file left', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mailtrail-blobs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const blobs = new BlobStore(dir);
  const bytes = Buffer.from('Subject: hi\r\n\r\nbody\r\n'.repeat(1000));
  const sha = createHash('sha256').update(bytes).digest('hex');

  const a = await blobs.put(bytes);
  const b = await blobs.put(Readable.from([bytes.subarray(0, 7), bytes.subarray(7)]));
  const c = await blobs.put(bytes);
  assert.deepEqual(a, { key: sha, size: bytes.length });
  assert.deepEqual(b, a);
  assert.deepEqual(c, a);
  assert.deepEqual(await blobs.get(a.key), bytes);
  assert.deepEqual(await collect(blobs.stream(a.key)), bytes);
  assert.deepEqual(await collect(blobs.stream(a.key, { start: 5, end: 20 })), bytes.subarray(5, 20));
  assert.equal(await blobs.size(a.key), bytes.length);
  assert.deepEqual(readdirSync(join(dir, 'blobs', 'tmp')), []);
});

test('a fan-out folder removed behind the store is made again', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mailtrail-blobs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const blobs = new BlobStore(dir);
  const first = await blobs.put(Buffer.from('one'));
  rmSync(dirname(dirname(blobs.pathOf(first.key))), { recursive: true });
  const again = await blobs.put(Buffer.from('one'));
  assert.deepEqual(await blobs.get(again.key), Buffer.from('one'));
  const streamed = await blobs.put(Readable.from([Buffer.from('one')]));
  assert.equal(streamed.key, first.key);
});

test('get hands out a buffer of its own: overwriting it (the parser decodes in place) changes no later get', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mailtrail-blobs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const blobs = new BlobStore(dir);
  const bytes = Buffer.from('Subject: hi\r\n\r\nbody\r\n');
  const written = Buffer.from(bytes);
  const { key } = await blobs.put(written);
  written.fill(0x41);
  const first = await blobs.get(key);
  assert.deepEqual(first, bytes);
  first.fill(0x42);
  assert.deepEqual(await blobs.get(key), bytes);
  assert.deepEqual(await new BlobStore(dir).get(key), bytes, 'and what is on disk is the same');
});
