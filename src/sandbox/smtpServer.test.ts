import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect } from 'node:net';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer';
import { MailboxStore } from './mailboxStore.js';
import { startSmtpServer, type SmtpServer } from './smtpServer.js';

function transport(port: number, auth?: { user: string; pass: string }) {
  return nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ...(auth ? { auth } : {}) });
}

async function compose(options: ConstructorParameters<typeof MailComposer>[0]): Promise<Buffer> {
  return new MailComposer(options).compile().build();
}

describe('sandbox SMTP server', () => {
  let dataDir: string;
  let store: MailboxStore;
  let smtp: SmtpServer;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'mailtrail-smtp-'));
    store = new MailboxStore({ dataDir });
    await store.recover();
    smtp = await startSmtpServer({ store, port: 0 });
  });
  after(async () => {
    await smtp.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('files a copy per recipient, byte-identical below the trace headers (5 MB attachment)', async () => {
    const raw = await compose({
      from: 'Sender <sender@example.com>',
      to: 'Ann@Example.com, bob@example.com',
      cc: 'carol@example.com',
      subject: 'Big one',
      // CRLF already: nodemailer turns bare LF into CRLF on the wire, as SMTP requires
      text: 'first line\r\n.starts with a dot\r\n.\r\nlast line\r\n',
      attachments: [{ filename: 'blob.bin', content: randomBytes(5 * 1024 * 1024) }],
    });
    const recipients = ['Ann@Example.com', 'bob@example.com', 'carol@example.com'];
    const info = await transport(smtp.port).sendMail({ envelope: { from: 'bounce@example.com', to: recipients }, raw });
    assert.deepEqual(info.rejected, []);

    // SMTP ends the data with CRLF "." CRLF, so a message not ending in a line break gets one
    const sent = raw.subarray(-2).toString() === '\r\n' ? raw : Buffer.concat([raw, Buffer.from('\r\n')]);
    for (const rcpt of recipients) {
      const address = rcpt.toLowerCase();
      const [message, ...more] = await store.list(address);
      assert.ok(message, `one message for ${address}`);
      assert.equal(more.length, 0);
      const stored = await store.read(address, message.id);
      // equals(), not deepEqual: a failing deepEqual would diff 5 MB
      assert.ok(stored.subarray(stored.length - sent.length).equals(sent), `${address}: body unchanged`);
      const trace = stored.subarray(0, stored.length - sent.length).toString('utf8');
      assert.match(
        trace,
        new RegExp(
          `^Return-Path: <bounce@example\\.com>\\r\\nDelivered-To: ${address.replace('.', '\\.')}\\r\\n` +
            `Received: from \\S+ \\(\\[[0-9a-f.:]+\\]\\)\\r\\n\\tby \\S+ \\(Mailtrail sandbox\\) with E?SMTPS?A? id \\S+\\r\\n` +
            `\\tfor <${address.replace('.', '\\.')}>; \\w{3}, \\d{2} \\w{3} \\d{4} \\d{2}:\\d{2}:\\d{2} \\+0000\\r\\n$`,
        ),
      );
    }
    assert.deepEqual(await readdir(join(dataDir, 'sandbox', '.tmp')), [], 'spool removed');
  });

  test('takes AUTH PLAIN and LOGIN with any credentials, and mail without AUTH', async () => {
    const plain = nodemailer.createTransport({ host: '127.0.0.1', port: smtp.port, auth: { user: 'u', pass: 'p', method: 'PLAIN' } });
    const login = nodemailer.createTransport({ host: '127.0.0.1', port: smtp.port, auth: { user: 'u', pass: 'p', method: 'LOGIN' } });
    await plain.sendMail({ from: 'a@example.com', to: 'auth@example.com', subject: 'plain', text: 'x' });
    await login.sendMail({ from: 'a@example.com', to: 'auth@example.com', subject: 'login', text: 'x' });
    await transport(smtp.port).sendMail({ from: 'a@example.com', to: 'auth@example.com', subject: 'none', text: 'x' });
    assert.equal((await store.list('auth@example.com')).length, 3);
  });

  test('refuses a recipient that would escape the data folder, delivers to the others', async () => {
    const info = await transport(smtp.port).sendMail({
      envelope: { from: 'a@example.com', to: ['fine@example.com', 'x/../../evil@example.com'] },
      raw: 'Subject: t\r\n\r\nx\r\n',
    });
    assert.deepEqual(info.accepted, ['fine@example.com']);
    assert.equal(info.rejected.length, 1);
    assert.match(String(info.rejected[0]), /evil/);
    assert.equal((await store.list('fine@example.com')).length, 1);
    assert.deepEqual((await readdir(dataDir)).sort(), ['sandbox']);
  });

  test('50 parallel deliveries to one mailbox are all listed', async () => {
    const t = transport(smtp.port);
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => t.sendMail({ from: 'a@example.com', to: 'crowd@example.com', subject: `n${i}`, text: `message ${i}` })),
    );
    const listed = await store.list('crowd@example.com');
    assert.equal(listed.length, 50);
    const subjects = new Set<string>();
    for (const m of listed) {
      const text = (await store.read('crowd@example.com', m.id)).toString();
      subjects.add(/^Subject: (n\d+)\r$/m.exec(text)?.[1] ?? '');
    }
    assert.equal(subjects.size, 50);
  });
});

describe('sandbox SMTP size limit', () => {
  test('answers 552 over the limit and files nothing', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'mailtrail-smtp-'));
    const store = new MailboxStore({ dataDir });
    const smtp = await startSmtpServer({ store, port: 0, maxMessageBytes: 4096 });
    try {
      // no SIZE= on MAIL FROM (that would be refused up front): exercise the DATA-time check
      const t = nodemailer.createTransport({ host: '127.0.0.1', port: smtp.port, name: 'client.test' });
      await assert.rejects(
        t.sendMail({ envelope: { from: 'a@example.com', to: ['limit@example.com'] }, raw: `Subject: big\r\n\r\n${'y'.repeat(20000)}\r\n` }),
        (err: { responseCode?: number }) => err.responseCode === 552,
      );
      await t.sendMail({ envelope: { from: 'a@example.com', to: ['limit@example.com'] }, raw: 'Subject: small\r\n\r\nok\r\n' });
      assert.equal((await store.list('limit@example.com')).length, 1, 'the connection stays usable');
      assert.deepEqual(await readdir(join(dataDir, 'sandbox', '.tmp')), []);
    } finally {
      await smtp.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

/** Connects and returns the first reply line (the greeting, or the refusal), and whether the server then closed. */
async function greeting(port: number): Promise<{ line: string; closed: Promise<void>; end(): void }> {
  const socket = connect(port, '127.0.0.1');
  socket.setEncoding('latin1');
  const closed = once(socket, 'close').then(() => undefined);
  let buffer = '';
  const line = await new Promise<string>((resolve, reject) => {
    socket.on('data', (text: string) => {
      buffer += text;
      const end = buffer.indexOf('\r\n');
      if (end !== -1) resolve(buffer.slice(0, end));
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`closed before a reply: ${JSON.stringify(buffer)}`)));
  });
  return { line, closed, end: () => socket.destroy() };
}

describe('sandbox SMTP connection limit', () => {
  test('holds at most maxClients connections: the next gets 421 and is closed; the others still deliver', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'mailtrail-smtp-'));
    const store = new MailboxStore({ dataDir });
    const smtp = await startSmtpServer({ store, port: 0, maxClients: 3 });
    try {
      const held = await Promise.all([1, 2, 3].map(() => greeting(smtp.port)));
      for (const h of held) assert.match(h.line, /^220 /);
      const extra = await greeting(smtp.port);
      assert.match(extra.line, /^421 .*Too many connected clients/);
      await extra.closed;
      // One of the three leaves; its place takes a real delivery.
      held[0]!.end();
      await held[0]!.closed;
      const t = nodemailer.createTransport({ host: '127.0.0.1', port: smtp.port, name: 'client.test' });
      for (let attempt = 0; ; attempt++) {
        try {
          await t.sendMail({ envelope: { from: 'a@example.com', to: ['cap@example.com'] }, raw: 'Subject: fits\r\n\r\nok\r\n' });
          break;
        } catch (err) {
          // The server counts a closed connection out a moment after the client sees it closed.
          if ((err as { responseCode?: number }).responseCode !== 421 || attempt > 100) throw err;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      }
      assert.equal((await store.list('cap@example.com')).length, 1);
      for (const h of held.slice(1)) h.end();
    } finally {
      await smtp.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
