import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setClock } from '../clock.js';
import { AppError } from '../errors.js';
import { MailboxStore, normalizeAddress } from './mailboxStore.js';

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'mailtrail-store-'));
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => err instanceof AppError && err.code === code);
}

describe('normalizeAddress', () => {
  test('trims and lower-cases', () => {
    assert.equal(normalizeAddress('  Bob.Smith+tag@Example.COM '), 'bob.smith+tag@example.com');
  });

  test('rejects what is not local@domain, path separators and control characters', () => {
    for (const bad of ['', 'plain', '@example.com', 'bob@', '../../etc@x', 'a/b@x', 'a\\b@x', 'a b@x', 'a\r\nb@x', 'a\u0000@x', `${'a'.repeat(250)}@x.com`]) {
      assert.throws(
        () => normalizeAddress(bad),
        (err: unknown) => err instanceof AppError && err.code === 'invalid_address',
        JSON.stringify(bad),
      );
    }
  });
});

describe('MailboxStore', () => {
  let dataDir: string;
  let store: MailboxStore;

  before(async () => {
    dataDir = await tempDir();
    store = new MailboxStore({ dataDir });
    await store.recover();
  });
  after(async () => {
    setClock({ now: () => new Date() });
    await rm(dataDir, { recursive: true, force: true });
  });

  test('files a Buffer and a stream under the normalized address and reads them back unchanged', async () => {
    const one = Buffer.from('Subject: one\r\n\r\nbody\r\n');
    const two = Buffer.from('Subject: two\r\n\r\nstreamed\r\n');
    const a = await store.deliver('Ann@Example.com', one);
    const b = await store.deliver('ann@example.com', Readable.from([two.subarray(0, 5), two.subarray(5)]));
    assert.equal(a.size, one.length);
    assert.match(a.id, /^[0-9a-z]{26}$/);
    assert.deepEqual(await store.read('ANN@example.com', a.id), one);
    assert.deepEqual(await store.read('ann@example.com', b.id), two);
    const chunks: Buffer[] = [];
    for await (const chunk of await store.createReadStream('ann@example.com', b.id)) chunks.push(chunk as Buffer);
    assert.deepEqual(Buffer.concat(chunks), two);
    assert.deepEqual(
      (await store.list('ann@example.com')).map((m) => m.id),
      [a.id, b.id],
    );
    assert.deepEqual(await readdir(join(dataDir, 'sandbox', 'ann@example.com')), [`${a.id}.eml`, `${b.id}.eml`]);
  });

  test('lists in arrival order with the arrival time, even for deliveries within one millisecond', async () => {
    const at = new Date('2030-01-02T03:04:05.678Z');
    setClock({ now: () => at });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) ids.push((await store.deliver('order@example.com', Buffer.from(`n: ${i}\r\n`))).id);
      const listed = await store.list('order@example.com');
      assert.deepEqual(
        listed.map((m) => m.id),
        ids,
      );
      for (const m of listed) assert.equal(m.receivedAt.toISOString(), at.toISOString());
    } finally {
      setClock({ now: () => new Date() });
    }
  });

  test('a mailbox that never got mail is empty, not an error', async () => {
    assert.deepEqual(await store.list('nobody@example.com'), []);
  });

  test('remove reports whether the message was there', async () => {
    const { id } = await store.deliver('rm@example.com', Buffer.from('x\r\n'));
    assert.equal(await store.remove('rm@example.com', id), true);
    assert.equal(await store.remove('rm@example.com', id), false);
    await rejectsWith(store.read('rm@example.com', id), 'message_not_found');
    await rejectsWith(store.createReadStream('rm@example.com', id), 'message_not_found');
  });

  test('an id that is not one of ours is never turned into a path', async () => {
    await rejectsWith(store.read('rm@example.com', '../../../etc/passwd'), 'message_not_found');
    assert.equal(await store.remove('rm@example.com', '..'), false);
  });

  test('path tricks in the address are refused before touching the disk', async () => {
    await rejectsWith(store.deliver('../../escape@example.com', Buffer.from('x')), 'invalid_address');
    await rejectsWith(store.list('..\\..\\x@y'), 'invalid_address');
    assert.deepEqual((await readdir(dataDir)).sort(), ['sandbox']);
  });

  test('odd but legal characters are encoded into a folder name and come back from mailboxes()', async () => {
    const address = '.odd%name:*?"<>|@example.com';
    await store.deliver(address, Buffer.from('x\r\n'));
    const folders = await readdir(join(dataDir, 'sandbox'));
    const folder = folders.find((f) => f.includes('odd'));
    assert.ok(folder !== undefined && !folder.startsWith('.') && /^[a-z0-9@._+%-]+$/.test(folder), folder);
    assert.ok((await store.mailboxes()).some((m) => m.address === address));
  });

  test('a message over the limit is refused and leaves nothing behind', async () => {
    const small = new MailboxStore({ dataDir, maxMessageBytes: 10 });
    await rejectsWith(small.deliver('big@example.com', Buffer.alloc(11)), 'message_too_large');
    await rejectsWith(small.deliver('big@example.com', Readable.from([Buffer.alloc(6), Buffer.alloc(6)])), 'message_too_large');
    assert.deepEqual(await small.list('big@example.com'), []);
    assert.deepEqual(await readdir(join(dataDir, 'sandbox', '.tmp')), []);
  });

  test('a stream that fails half-way leaves no half message', async () => {
    async function* broken(): AsyncGenerator<Buffer> {
      yield Buffer.from('Subject: half\r\n');
      throw new Error('connection lost');
    }
    await assert.rejects(store.deliver('half@example.com', Readable.from(broken())), /connection lost/);
    assert.deepEqual(await store.list('half@example.com'), []);
    assert.deepEqual(await readdir(join(dataDir, 'sandbox', '.tmp')), []);
  });

  test('recover() sweeps temp files a crash left behind', async () => {
    const other = await tempDir();
    try {
      await mkdir(join(other, 'sandbox', '.tmp'), { recursive: true });
      await writeFile(join(other, 'sandbox', '.tmp', 'dead.tmp'), 'half a mess');
      const fresh = new MailboxStore({ dataDir: other });
      await fresh.recover();
      assert.deepEqual(await readdir(join(other, 'sandbox', '.tmp')), []);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  test('50 concurrent deliveries to one mailbox are all filed, each whole, with distinct ids', async () => {
    const bodies = Array.from({ length: 50 }, (_, i) => Buffer.from(`Subject: ${i}\r\n\r\n${'x'.repeat(1000 + i)}\r\n`));
    const stored = await Promise.all(bodies.map((body) => store.deliver('busy@example.com', Readable.from([body]))));
    const listed = await store.list('busy@example.com');
    assert.equal(listed.length, 50);
    assert.equal(new Set(listed.map((m) => m.id)).size, 50);
    for (const [i, s] of stored.entries()) assert.deepEqual(await store.read('busy@example.com', s.id), bodies[i]);
  });

  test('mailboxes() reports every address with its count and size, sorted', async () => {
    const boxes = await store.mailboxes();
    assert.deepEqual(
      boxes.map((b) => b.address),
      [...boxes.map((b) => b.address)].sort(),
    );
    const ann = boxes.find((b) => b.address === 'ann@example.com');
    assert.ok(ann);
    assert.equal(ann.count, 2);
    assert.equal(
      ann.size,
      (await store.list('ann@example.com')).reduce((s, m) => s + m.size, 0),
    );
    assert.ok(!boxes.some((b) => b.address.startsWith('.tmp')));
  });
});
