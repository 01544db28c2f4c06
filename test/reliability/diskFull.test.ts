/**
 * Disk full while storing mail. MAILTRAIL_DATA/blobs (raw messages and attachments) is put on
 * a 2 MB tmpfs (the tests run as root in CI; where mounting is not permitted, ENOSPC is
 * injected through a BlobStore seam instead and the test says so). Then:
 *   - a reply whose raw message fits but whose attachment does not: it stays on the server and
 *     undecided ('stored', not refused), while a small reply behind it is attached;
 *   - a message larger than the free space: the poll stops, nothing is removed from the server;
 * and once space is freed, the following polls attach both, once, with their attachment
 * intact — by themselves, with no admin action, even with deleteUntracked on.
 *
 * Run: node --import tsx --test test/reliability/diskFull.test.ts
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { describe, test, type TestContext } from 'node:test';
import { inboundDb } from '../../src/inbound/inbound.table.js';
import { FolderBlobStore } from '../../src/store/blobs.folder.js';
import { FakeMailbox } from '../inbound/fakeMailbox.js';
import { STORE_KINDS } from '../support/stores.js';
import { CUSTOMER, TRACKING, inboundByMessageId, replyTo, startWorld, type World } from './support.js';

interface Disk {
  how: 'tmpfs' | 'seam';
  dataDir: string;
  /** Takes free space away, leaving about `leaveBytes`. */
  fill(leaveBytes: number): void;
  /** Gives space back (deletes the filler; on tmpfs also grows the disk to `growTo`). */
  free(growTo?: string): void;
  /** Installs the seam on a running server (no-op on tmpfs). */
  attach(w: World): void;
}

/** A BlobStore that fails writes with ENOSPC once the data written passes `limit` bytes. */
class FullDiskBlobStore extends FolderBlobStore {
  limit = Number.POSITIVE_INFINITY;
  used = 0;

  override async put(content: Buffer | Readable): Promise<{ key: string; size: number }> {
    const chunks: Buffer[] = [];
    if (Buffer.isBuffer(content)) chunks.push(content);
    else for await (const c of content) chunks.push(c as Buffer);
    const data = Buffer.concat(chunks);
    if (this.used + data.length > this.limit) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28 });
    this.used += data.length;
    return super.put(data);
  }
}

function disk(t: TestContext): Disk {
  const dataDir = mkdtempSync(join(tmpdir(), 'mailtrail-diskfull-'));
  const blobs = join(dataDir, 'blobs');
  mkdirSync(blobs);
  const filler = join(blobs, 'filler');
  try {
    // MAILTRAIL_TEST_NO_TMPFS=1 exercises the seam path on a machine that could mount.
    if (process.env.MAILTRAIL_TEST_NO_TMPFS === '1') throw new Error('tmpfs disabled');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', blobs], { stdio: 'pipe' });
    t.after(() => {
      execFileSync('umount', ['-l', blobs], { stdio: 'pipe' });
      rmSync(dataDir, { recursive: true, force: true });
    });
    const freeBytes = () => Number(execFileSync('df', ['-B1', '--output=avail', blobs], { encoding: 'utf8' }).trim().split('\n')[1]);
    return {
      how: 'tmpfs',
      dataDir,
      fill: (leave) => writeFileSync(filler, randomBytes(Math.max(0, freeBytes() - leave))),
      free: (growTo) => {
        rmSync(filler, { force: true });
        if (growTo) execFileSync('mount', ['-o', `remount,size=${growTo}`, blobs], { stdio: 'pipe' });
      },
      attach: () => undefined,
    };
  } catch {
    t.after(() => rmSync(dataDir, { recursive: true, force: true }));
    let store: FullDiskBlobStore | undefined;
    return {
      how: 'seam',
      dataDir,
      fill: (leave) => {
        if (store) store.limit = store.used + leave;
      },
      free: () => {
        if (store) store.limit = Number.POSITIVE_INFINITY;
      },
      attach: (w) => {
        store = new FullDiskBlobStore(dataDir);
        w.h.running.ctx.blobs = store;
      },
    };
  }
}

/** A reply carrying `attachment` as application/octet-stream, base64. */
function replyWithAttachment(w: World, n: string, attachment: Buffer): Buffer {
  const boundary = `b-${n}`;
  const b64 = (attachment.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');
  return Buffer.from(
    [
      `From: Customer <${CUSTOMER}>`,
      `To: ${TRACKING}`,
      `Subject: Re: ${w.original.subject}`,
      `Message-ID: <reply-${n}@customer.example>`,
      `In-Reply-To: ${w.original.message_id}`,
      'MIME-Version: 1.0',
      `Content-Type: multipart/mixed; boundary="${boundary}"`,
      '',
      `--${boundary}`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      `The log file is attached (${n}).`,
      `--${boundary}`,
      `Content-Type: application/octet-stream; name="log-${n}.bin"`,
      'Content-Transfer-Encoding: base64',
      `Content-Disposition: attachment; filename="log-${n}.bin"`,
      '',
      b64,
      `--${boundary}--`,
      '',
    ].join('\r\n'),
  );
}

for (const kind of STORE_KINDS) {
  describe(`disk full while storing mail (${kind})`, () => {
    test('nothing is lost, refused or removed while the disk is full; everything is attached once space is back', async (t) => {
      const d = disk(t);
      const box = new FakeMailbox();
      const w = await startWorld(t, kind, {
        tracking: { pollOptions: { opener: box.opener } },
        config: { dataDir: d.dataDir, blobs: 'folder' },
        deleteUntracked: true,
      });
      if (!w) return;
      d.attach(w);
      t.diagnostic(d.how === 'tmpfs' ? 'MAILTRAIL_DATA/blobs on a 2 MB tmpfs' : 'tmpfs not available here: ENOSPC injected through a BlobStore seam');

      const big = randomBytes(700 * 1024);
      box.add(replyWithAttachment(w, 'big-attachment', big));
      box.add(replyTo(w, 'small'));
      // Room for the raw message (~950 KB in base64) but not for its attachment as well.
      d.fill(1_300 * 1024);
      const first = await w.h.admin.post('/api/v1/admin/email/tracking/poll');
      assert.equal(first.status, 200, JSON.stringify(first.body));
      const db = w.h.running.ctx.store.db;
      const rows = await inboundDb(db).selectFrom('inbound_messages').select(['message_id', 'state', 'reason']).orderBy('received_at').execute();
      assert.deepEqual(
        rows.map((r) => [r.message_id, r.state]),
        [
          ['reply-big-attachment@customer.example', 'stored'],
          ['reply-small@customer.example', 'attached'],
        ],
        'the reply that hit the full disk is kept undecided, not refused; the next one goes through',
      );
      assert.equal(box.messages.size, 1, 'only the undecided one is still on the server (deleteUntracked is on)');
      assert.deepEqual([...(await inboundByMessageId(w)).keys()], ['<reply-small@customer.example>']);

      // A message bigger than the free space: its download cannot be stored, the poll stops, nothing is removed.
      box.add(replyWithAttachment(w, 'huge', randomBytes(2 * 1024 * 1024)));
      const second = await w.h.admin.post('/api/v1/admin/email/tracking/poll');
      assert.equal(second.status, 503, JSON.stringify(second.body));
      assert.match(second.body.error.message, /ENOSPC|no space/i);
      assert.equal(box.messages.size, 2);
      assert.equal((await inboundDb(db).selectFrom('inbound_messages').select('id').execute()).length, 2, 'no half-stored message');

      // The administrator makes room (and grows the disk).
      d.free('16m');
      for (let i = 0; i < 3 && box.messages.size > 0; i++) assert.equal((await w.h.admin.post('/api/v1/admin/email/tracking/poll')).status, 200);
      assert.equal(box.messages.size, 0, 'all filed and removed');
      const attached = await inboundByMessageId(w);
      assert.deepEqual([...attached.entries()].sort(), [
        ['<reply-big-attachment@customer.example>', 1],
        ['<reply-huge@customer.example>', 1],
        ['<reply-small@customer.example>', 1],
      ]);
      const thread = (await w.dev.get(`/api/v1/projects/${w.projectKey}/records/${w.recordId}/emails`)).body.emails as {
        id: string;
        messageId: string;
        attachments: { id: string; filename: string; size: number }[];
      }[];
      const withBig = thread.find((e) => e.messageId === '<reply-big-attachment@customer.example>')!;
      assert.equal(withBig.attachments.length, 1);
      const file = await w.h.app.inject({
        method: 'GET',
        url: `/api/v1/emails/${withBig.id}/attachments/${withBig.attachments[0]!.id}`,
        headers: { authorization: `Bearer ${w.dev.token}` },
      });
      assert.equal(file.statusCode, 200);
      assert.ok(file.rawPayload.equals(big), 'the attachment is stored whole');
      const forwards = await db.selectFrom('outbox').select('email_id').where('kind', '=', 'forward').execute();
      assert.equal(forwards.length, 3, 'one forward each');
    });
  });
}
