import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { STORE_KINDS, freshStore, requirePostgres } from '../../test/support/stores.js';
import { CHUNK_BYTES, DatabaseBlobStore } from './blobs.database.js';
import { FolderBlobStore } from './blobs.folder.js';
import { migrateBlobs, openBlobBackend } from './blobs.open.js';

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

test('buffers and streams of the same bytes land on one blob, named by their SHA-256, with no temp file left', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mailtrail-blobs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const blobs = new FolderBlobStore(dir);
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
  const blobs = new FolderBlobStore(dir);
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
  const blobs = new FolderBlobStore(dir);
  const bytes = Buffer.from('Subject: hi\r\n\r\nbody\r\n');
  const written = Buffer.from(bytes);
  const { key } = await blobs.put(written);
  written.fill(0x41);
  const first = await blobs.get(key);
  assert.deepEqual(first, bytes);
  first.fill(0x42);
  assert.deepEqual(await blobs.get(key), bytes);
  assert.deepEqual(await new FolderBlobStore(dir).get(key), bytes, 'and what is on disk is the same');
});

for (const kind of STORE_KINDS) {
  test(`database backend (${kind}): chunked streams both ways, ranges across chunks, dedup, migrate from the folder`, async (t) => {
    if (kind === 'postgres' && !(await requirePostgres(t))) return;
    const s = await freshStore(kind);
    t.after(() => s.close());
    // As the server opens it: on PostgreSQL its own pool and chunks read in slices.
    const blobs = openBlobBackend('database', { dataDir: '' }, s.store);
    // Two and a half chunks, streamed in odd-sized pieces.
    const bytes = randomBytes(CHUNK_BYTES * 2 + CHUNK_BYTES / 2);
    const sha = createHash('sha256').update(bytes).digest('hex');
    const pieces = [];
    for (let at = 0; at < bytes.length; at += 300_001) pieces.push(bytes.subarray(at, at + 300_001));
    const a = await blobs.put(Readable.from(pieces));
    assert.deepEqual(a, { key: sha, size: bytes.length });
    assert.deepEqual(await blobs.put(bytes), a, 'the same bytes as a buffer: the same blob');
    assert.deepEqual(await blobs.put(Readable.from([bytes])), a);
    const chunks = await s.store.db.selectFrom('blob_chunks').select(['blob_key', 'idx']).execute();
    assert.deepEqual(
      chunks.map((c) => `${c.blob_key}:${c.idx}`).sort(),
      [0, 1, 2].map((i) => `${sha}:${i}`),
      'three chunks, no upload left behind',
    );
    assert.equal(Buffer.compare(await blobs.get(a.key), bytes), 0);
    assert.equal(Buffer.compare(await collect(blobs.stream(a.key)), bytes), 0);
    const range = { start: CHUNK_BYTES - 10, end: CHUNK_BYTES * 2 + 7 };
    assert.equal(Buffer.compare(await collect(blobs.stream(a.key, range)), bytes.subarray(range.start, range.end)), 0);
    const reader = await blobs.open(a.key);
    const buf = Buffer.alloc(CHUNK_BYTES + 20);
    const { bytesRead } = await reader.read(buf, 0, buf.length, CHUNK_BYTES - 10);
    await reader.close();
    assert.equal(bytesRead, buf.length);
    assert.equal(Buffer.compare(buf, bytes.subarray(CHUNK_BYTES - 10, CHUNK_BYTES * 2 + 10)), 0);
    assert.equal(await blobs.size(a.key), bytes.length);
    const empty = await blobs.put(Readable.from([]));
    assert.deepEqual(await blobs.get(empty.key), Buffer.alloc(0));
    await assert.rejects(blobs.get('0'.repeat(64)), /not stored/);

    // A folder of blobs moves in; the folder's store then serves as the fallback no more.
    const dir = mkdtempSync(join(tmpdir(), 'mailtrail-blobs-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const folder = new FolderBlobStore(dir);
    const old = await folder.put(Buffer.from('written before the move'));
    await folder.put(bytes);
    const withFallback = new DatabaseBlobStore(s.store.db, folder);
    assert.deepEqual(await withFallback.get(old.key), Buffer.from('written before the move'), 'not yet migrated: read from the folder');
    assert.equal(await blobs.has(old.key), false);
    assert.deepEqual(await migrateBlobs(folder, blobs), { copied: 1, skipped: 1, bytes: 23 });
    assert.deepEqual(await blobs.get(old.key), Buffer.from('written before the move'));
    assert.deepEqual(await migrateBlobs(folder, blobs), { copied: 0, skipped: 2, bytes: 0 }, 'a second run copies nothing');
    const back = new FolderBlobStore(mkdtempSync(join(tmpdir(), 'mailtrail-blobs-')));
    t.after(() => rmSync(dirname(back.root), { recursive: true, force: true }));
    assert.equal((await migrateBlobs(blobs, back)).copied, 3, 'and back to a folder');
    assert.equal(Buffer.compare(await back.get(a.key), bytes), 0);
  });

  test(`database backend (${kind}): an upload a crashed process left is swept; a failed stream leaves nothing`, async (t) => {
    if (kind === 'postgres' && !(await requirePostgres(t))) return;
    const s = await freshStore(kind);
    t.after(() => s.close());
    const blobs = new DatabaseBlobStore(s.store.db);
    const stale = `tmp:${new Date(Date.now() - 2 * 3600_000).toISOString()}:dead`;
    const fresh = `tmp:${new Date().toISOString()}:alive`;
    await s.store.db
      .insertInto('blob_chunks')
      .values([
        { blob_key: stale, idx: 0, data: Buffer.from('x') },
        { blob_key: fresh, idx: 0, data: Buffer.from('y') },
      ])
      .execute();
    assert.equal(await blobs.sweep(), 1);
    const left = await s.store.db.selectFrom('blob_chunks').select('blob_key').execute();
    assert.deepEqual(
      left.map((r) => r.blob_key),
      [fresh],
      'an upload still under way is left alone',
    );

    async function* broken() {
      yield randomBytes(CHUNK_BYTES + 5);
      throw new Error('the connection dropped');
    }
    await assert.rejects(blobs.put(Readable.from(broken())), /connection dropped/);
    const after = await s.store.db.selectFrom('blob_chunks').select('blob_key').execute();
    assert.deepEqual(
      after.map((r) => r.blob_key),
      [fresh],
    );
  });

  test(`database backend (${kind}): stores blobs while every pooled connection is held by a transaction storing one`, async (t) => {
    if (kind === 'postgres' && !(await requirePostgres(t))) return;
    // freshStore's pool has 4 connections; 8 transactions at once hold all of them and queue
    // the rest. The blob store must need none of them beyond the caller's own (the deadlock
    // of the two-process load test, 16 sends on a pool of 10).
    const s = await freshStore(kind);
    t.after(() => s.close());
    const blobs = openBlobBackend('database', { dataDir: '' }, s.store);
    const contents = Array.from({ length: 8 }, (_, i) => randomBytes(CHUNK_BYTES + 1000 * i));
    const keys = await Promise.all(
      contents.map((bytes, i) =>
        s.store.db.transaction().execute(async (tx) => {
          await tx.selectFrom('users').select('id').execute();
          const half = await blobs.put(bytes.subarray(0, 100), { tx });
          const whole = await blobs.put(i % 2 === 0 ? bytes : Readable.from([bytes.subarray(0, 5000), bytes.subarray(5000)]), { tx });
          return [half.key, whole.key];
        }),
      ),
    );
    for (const [i, [half, whole]] of keys.entries()) {
      assert.equal(whole, createHash('sha256').update(contents[i]!).digest('hex'));
      assert.equal(Buffer.compare(await collect(blobs.stream(whole!)), contents[i]!), 0);
      assert.equal(Buffer.compare(await blobs.get(half!), contents[i]!.subarray(0, 100)), 0);
    }
    assert.equal(
      Number(
        (
          await s.store.db
            .selectFrom('blobs')
            .select((e) => e.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      ),
      16,
    );
  });
}
