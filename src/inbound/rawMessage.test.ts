import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { parseMessageSync } from '../mail/mime/parseMessage.js';
import type { ParsedMessage } from '../mail/mime/parsedMessage.js';
import { FolderBlobStore } from '../store/blobs.folder.js';
import type { BlobStore } from '../store/blobs.js';
import { attachmentContent, parseStoredMessage } from './rawMessage.js';

const b64 = (data: Buffer, eol: string) => (data.toString('base64').match(/.{1,76}/g) ?? []).join(eol);

function bytes(n: number, seed: number): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return out;
}

function message(eol: string, parts: { type: string; body: string; cte?: string; name?: string }[]): Buffer {
  const lines = [
    'From: Customer <c@customer.test>',
    'To: t@example.test',
    'Subject: Re: the dump',
    'Message-ID: <r@customer.test>',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="outer"',
    '',
  ];
  for (const p of parts) {
    lines.push('--outer', `Content-Type: ${p.type}`);
    if (p.cte) lines.push(`Content-Transfer-Encoding: ${p.cte}`);
    if (p.name) lines.push(`Content-Disposition: attachment; filename="${p.name}"`);
    lines.push('', p.body);
  }
  lines.push('--outer--', '');
  return Buffer.from(lines.join(eol));
}

async function collect(content: Buffer | Readable): Promise<Buffer> {
  if (Buffer.isBuffer(content)) return content;
  const chunks: Buffer[] = [];
  for await (const chunk of content) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Everything the pipeline uses, with every attachment's bytes in hand. */
async function materialised(blobs: BlobStore, key: string, msg: ParsedMessage) {
  const attachments = [];
  for (const a of msg.attachments) {
    const { deferred: _deferred, content: _content, size: _size, ...rest } = a;
    const content = await collect(attachmentContent(blobs, key, msg, a));
    attachments.push({ ...rest, content: [...content.subarray(0, 64)], length: content.length, sum: content.reduce((s, b) => (s * 31 + b) >>> 0, 0) });
  }
  return { ...msg, attachments, problems: [...msg.problems].sort() };
}

test('a huge message read sparsely gives what reading it whole gives, attachments decoded from the file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mailtrail-raw-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const blobs = new FolderBlobStore(dir);
  const opts = { sparseFromBytes: 0, runBytes: 2048 };
  const zip = bytes(40_000, 1);
  const png = bytes(9_000, 2);
  const cases: Record<string, { raw: Buffer; deferred: number }> = {};
  for (const eol of ['\r\n', '\n']) {
    cases[`two big attachments (${JSON.stringify(eol)})`] = {
      raw: message(eol, [
        { type: 'text/plain; charset=utf-8', body: 'The dump is attached.' },
        { type: 'application/zip', cte: 'base64', name: 'dump.zip', body: b64(zip, eol) },
        { type: 'image/png', cte: 'base64', name: 'shot.png', body: `${b64(png, eol)}${eol}!!broken!!${eol}QQ` },
        { type: 'application/pdf', cte: 'base64', name: 'small.pdf', body: b64(bytes(300, 3), eol) },
      ]),
      deferred: 2,
    };
  }
  cases['a base64 run inside a text body: read whole'] = {
    raw: message('\r\n', [
      { type: 'text/plain', body: `Here is the key:\r\n${b64(zip, '\r\n')}\r\nThanks` },
      { type: 'application/zip', cte: 'base64', name: 'dump.zip', body: b64(zip, '\r\n') },
    ]),
    deferred: 0,
  };
  cases['a base64 message/rfc822 (bounce classification reads it): read whole'] = {
    raw: message('\r\n', [{ type: 'message/rfc822', cte: 'base64', body: b64(Buffer.concat([Buffer.from('Message-ID: <x@y>\r\n\r\n'), zip]), '\r\n') }]),
    deferred: 0,
  };

  for (const [name, c] of Object.entries(cases)) {
    const key = (await blobs.put(c.raw)).key;
    const whole = parseMessageSync(c.raw);
    const sparse = await parseStoredMessage(blobs, key, c.raw.length, opts);
    assert.equal(sparse.attachments.filter((a) => a.deferred).length, c.deferred, name);
    assert.deepEqual(await materialised(blobs, key, sparse), await materialised(blobs, key, whole), name);
    const normal = await parseStoredMessage(blobs, key, c.raw.length);
    assert.equal(normal.attachments.filter((a) => a.deferred).length, 0, `${name}: small messages are read whole`);
  }
  const [first] = Object.values(cases);
  const msg = await parseStoredMessage(blobs, (await blobs.put(first!.raw)).key, first!.raw.length, opts);
  assert.ok((await collect(attachmentContent(blobs, (await blobs.put(first!.raw)).key, msg, msg.attachments[0]!))).equals(zip));
});
