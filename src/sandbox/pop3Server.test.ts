import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { curlProbe, requirePeer } from '../../test/support/peers.js';
import { MailboxStore } from './mailboxStore.js';
import { startPop3Server, type Pop3Server } from './pop3Server.js';

const run = promisify(execFile);

/** Retries until the server has noticed a closed socket; avoids guessing a sleep. */
async function eventually(check: () => Promise<boolean>, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A scripted POP3 client over a raw socket; text is latin1 so bytes compare exactly. */
class Client {
  private buffer = '';
  private waiting: (() => void) | undefined;
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (text: string) => {
      this.buffer += text;
      this.waiting?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiting?.();
    });
  }

  static async open(port: number): Promise<{ client: Client; greeting: string }> {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    const client = new Client(socket);
    return { client, greeting: await client.line() };
  }

  async line(): Promise<string> {
    for (;;) {
      const end = this.buffer.indexOf('\r\n');
      if (end !== -1) {
        const line = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        return line;
      }
      if (this.closed) throw new Error(`connection closed, unread: ${JSON.stringify(this.buffer)}`);
      await new Promise<void>((resolve) => (this.waiting = resolve));
    }
  }

  /** Lines of a multi-line body as sent (still dot-stuffed), without the final ".". */
  async body(): Promise<string[]> {
    const lines: string[] = [];
    for (let line = await this.line(); line !== '.'; line = await this.line()) lines.push(line);
    return lines;
  }

  send(text: string): void {
    this.socket.write(text);
  }

  async command(line: string): Promise<string> {
    this.send(`${line}\r\n`);
    return this.line();
  }

  async multi(line: string): Promise<{ status: string; lines: string[] }> {
    const status = await this.command(line);
    return { status, lines: status.startsWith('+OK') ? await this.body() : [] };
  }

  async login(address: string, password = 'any'): Promise<string> {
    assert.match(await this.command(`USER ${address}`), /^\+OK/);
    return this.command(`PASS ${password}`);
  }

  async ended(): Promise<void> {
    if (!this.closed) await once(this.socket, 'close');
  }
}

function unstuff(lines: string[]): string {
  return lines.map((l) => (l.startsWith('.') ? l.slice(1) : l)).join('\r\n') + '\r\n';
}

const MESSAGES = [
  'From: a@example.com\r\nSubject: first\r\n\r\nline one\r\n.leading dot\r\n.\r\nafter the lone dot\r\n',
  'From: b@example.com\r\nSubject: second\r\n\r\nsecond body\r\n',
  'From: c@example.com\nSubject: bare LF\n\nstored with LF only\n..two dots\n',
];

describe('sandbox POP3 server', () => {
  let dataDir: string;
  let store: MailboxStore;
  let pop3: Pop3Server;
  let mailboxCounter = 0;

  /** A fresh mailbox holding MESSAGES, so tests stay independent. */
  async function mailbox(): Promise<{ address: string; ids: string[] }> {
    const address = `box${++mailboxCounter}@example.com`;
    const ids: string[] = [];
    for (const m of MESSAGES) ids.push((await store.deliver(address, Buffer.from(m, 'latin1'))).id);
    return { address, ids };
  }

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'mailtrail-pop3-'));
    store = new MailboxStore({ dataDir });
    await store.recover();
    pop3 = await startPop3Server({ store, port: 0, acceptAnyPassword: true });
  });
  after(async () => {
    await pop3.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('greets, offers its capabilities in both states, refuses commands out of state', async () => {
    const { client, greeting } = await Client.open(pop3.port);
    assert.match(greeting, /^\+OK /);
    assert.doesNotMatch(greeting, /<.*>/, 'no APOP timestamp');
    const before = await client.multi('CAPA');
    assert.match(before.status, /^\+OK/);
    for (const capability of ['TOP', 'UIDL', 'USER', 'PIPELINING', 'RESP-CODES']) assert.ok(before.lines.includes(capability), capability);
    assert.match(await client.command('STAT'), /^-ERR/);
    assert.match(await client.command('PASS secret'), /^-ERR/, 'PASS before USER');
    assert.match(await client.command('USER not-an-address'), /^-ERR \[AUTH\]/);
    const { address } = await mailbox();
    assert.match(await client.login(address), /^\+OK maildrop has 3 messages/);
    assert.match(await client.command('USER again@example.com'), /^-ERR/, 'USER in TRANSACTION');
    assert.deepEqual((await client.multi('CAPA')).lines, before.lines);
    assert.match(await client.command('QUIT'), /^\+OK/);
    await client.ended();
  });

  test('STAT, LIST, UIDL, NOOP and unknown commands', async () => {
    const { address, ids } = await mailbox();
    const sizes = (await store.list(address)).map((m) => m.size);
    const total = sizes.reduce((a, b) => a + b, 0);
    const { client } = await Client.open(pop3.port);
    await client.login(address);
    assert.equal(await client.command('STAT'), `+OK 3 ${total}`);
    assert.deepEqual(await client.multi('LIST'), { status: `+OK 3 messages (${total} octets)`, lines: sizes.map((s, i) => `${i + 1} ${s}`) });
    assert.equal(await client.command('list 2'), `+OK 2 ${sizes[1]}`, 'verbs are case-insensitive');
    assert.match(await client.command('LIST 4'), /^-ERR no such message/);
    assert.match(await client.command('LIST 0'), /^-ERR/);
    assert.match(await client.command('LIST x'), /^-ERR invalid message number/);
    assert.match(await client.command('LIST 1 2'), /^-ERR too many arguments/);
    assert.deepEqual(
      (await client.multi('UIDL')).lines,
      ids.map((id, i) => `${i + 1} ${id}`),
    );
    assert.equal(await client.command('UIDL 3'), `+OK 3 ${ids[2]}`);
    assert.equal(await client.command('NOOP'), '+OK');
    assert.match(await client.command('XYZZY'), /^-ERR/);
    assert.match(await client.command('APOP user digest'), /^-ERR/);
    assert.match(await client.command(''), /^-ERR/);
    assert.equal(await client.command('NOOP'), '+OK', 'still usable after errors');
    await client.command('QUIT');
  });

  test('RETR dot-stuffs, streams CRLF lines, and the unstuffed body is the stored message', async () => {
    const { address } = await mailbox();
    const { client } = await Client.open(pop3.port);
    await client.login(address);
    const first = await client.multi('RETR 1');
    assert.equal(first.status, `+OK ${Buffer.byteLength(MESSAGES[0] as string)} octets`);
    assert.ok(first.lines.includes('..leading dot'), 'a line starting with "." is stuffed');
    assert.ok(first.lines.includes('..'), 'a line that is just "." is stuffed');
    assert.equal(unstuff(first.lines), MESSAGES[0]);
    const third = await client.multi('RETR 3');
    assert.equal(unstuff(third.lines), (MESSAGES[2] as string).replace(/\n/g, '\r\n'), 'bare LF sent as CRLF');
    assert.ok(third.lines.includes('...two dots'));
    assert.match(await client.command('RETR 9'), /^-ERR/);
    await client.command('QUIT');
  });

  test('TOP sends the header, the blank line and n body lines', async () => {
    const { address } = await mailbox();
    const { client } = await Client.open(pop3.port);
    await client.login(address);
    assert.deepEqual((await client.multi('TOP 1 0')).lines, ['From: a@example.com', 'Subject: first', '']);
    assert.deepEqual((await client.multi('TOP 1 2')).lines, ['From: a@example.com', 'Subject: first', '', 'line one', '..leading dot']);
    assert.equal((await client.multi('TOP 2 100')).lines.length, 4);
    assert.match(await client.command('TOP 1'), /^-ERR/);
    assert.match(await client.command('TOP 1 -1'), /^-ERR/);
    await client.command('QUIT');
  });

  test('DELE marks, RSET unmarks, QUIT commits; UIDLs stay stable across sessions', async () => {
    const { address, ids } = await mailbox();
    const { client } = await Client.open(pop3.port);
    await client.login(address);
    assert.match(await client.command('DELE 1'), /^\+OK/);
    assert.match(await client.command('DELE 1'), /^-ERR message 1 already deleted/);
    assert.match(await client.command('RETR 1'), /^-ERR/);
    assert.match(await client.command('STAT'), /^\+OK 2 /);
    assert.deepEqual(
      (await client.multi('LIST')).lines.map((l) => l.split(' ')[0]),
      ['2', '3'],
    );
    assert.match(await client.command('RSET'), /^\+OK maildrop has 3 messages/);
    assert.match(await client.command('STAT'), /^\+OK 3 /);
    assert.match(await client.command('DELE 2'), /^\+OK/);
    assert.match(await client.command('QUIT'), /^\+OK/);
    await client.ended();
    assert.deepEqual(
      (await store.list(address)).map((m) => m.id),
      [ids[0], ids[2]],
    );

    const { client: again } = await Client.open(pop3.port);
    assert.match(await again.login(address), /^\+OK maildrop has 2 messages/);
    assert.deepEqual((await again.multi('UIDL')).lines, [`1 ${ids[0]}`, `2 ${ids[2]}`]);
    await again.command('QUIT');
  });

  test('a dropped connection commits no deletion and frees the mailbox', async () => {
    const { address } = await mailbox();
    const { client } = await Client.open(pop3.port);
    await client.login(address);
    assert.match(await client.command('DELE 1'), /^\+OK/);
    assert.match(await client.command('DELE 2'), /^\+OK/);
    client.socket.destroy();
    await client.ended();
    const { client: next } = await Client.open(pop3.port);
    await eventually(async () => !(await next.login(address)).includes('[IN-USE]'));
    assert.match(await next.command('STAT'), /^\+OK 3 /);
    await next.command('QUIT');
    assert.equal((await store.list(address)).length, 3);
  });

  test('a second session on a locked mailbox gets -ERR [IN-USE] until the first one quits', async () => {
    const { address } = await mailbox();
    const { client: first } = await Client.open(pop3.port);
    assert.match(await first.login(address), /^\+OK/);
    const { client: second } = await Client.open(pop3.port);
    assert.match(await second.login(address.toUpperCase()), /^-ERR \[IN-USE\]/);
    assert.match(await second.command('STAT'), /^-ERR/, 'still in AUTHORIZATION');
    await first.command('QUIT');
    assert.match(await second.login(address), /^\+OK/);
    await second.command('QUIT');
  });

  test('answers pipelined commands in order', async () => {
    const { address, ids } = await mailbox();
    const { client } = await Client.open(pop3.port);
    client.send(`USER ${address}\r\nPASS x\r\nSTAT\r\nUIDL 2\r\nDELE 3\r\nLIST\r\nQUIT\r\n`);
    assert.match(await client.line(), /^\+OK/);
    assert.match(await client.line(), /^\+OK maildrop/);
    assert.match(await client.line(), /^\+OK 3 /);
    assert.equal(await client.line(), `+OK 2 ${ids[1]}`);
    assert.match(await client.line(), /^\+OK message 3 deleted/);
    assert.match(await client.line(), /^\+OK 2 messages/);
    assert.equal((await client.body()).length, 2);
    assert.match(await client.line(), /^\+OK/);
    await client.ended();
    assert.equal((await store.list(address)).length, 2);
  });

  test('a flood of pipelined commands is answered completely', async () => {
    const { address } = await mailbox();
    const { client } = await Client.open(pop3.port);
    await client.login(address);
    client.send('NOOP\r\n'.repeat(500) + 'STAT\r\n');
    for (let i = 0; i < 500; i++) assert.equal(await client.line(), '+OK');
    assert.match(await client.line(), /^\+OK 3 /);
    await client.command('QUIT');
  });

  test('a line over the limit gets -ERR and the connection is closed without committing', async () => {
    const { address } = await mailbox();
    const { client } = await Client.open(pop3.port);
    await client.login(address);
    await client.command('DELE 1');
    const reply = await client.command(`NOOP ${'x'.repeat(5000)}`);
    assert.match(reply, /^-ERR line too long/);
    await client.ended();
    assert.equal((await store.list(address)).length, 3);
  });

  test('a message removed behind the session is an -ERR, not a crash', async () => {
    const { address, ids } = await mailbox();
    const { client } = await Client.open(pop3.port);
    await client.login(address);
    await store.remove(address, ids[0] as string);
    assert.match(await client.command('RETR 1'), /^-ERR/);
    assert.match((await client.multi('RETR 2')).status, /^\+OK/);
    await client.command('DELE 1');
    assert.match(await client.command('QUIT'), /^\+OK/, 'removing an already removed message is fine');
  });

  describe('with curl', () => {
    test('lists messages and retrieves message 1 (user name with "@" via -u)', async (t) => {
      if (!(await requirePeer(t, 'curl', curlProbe))) return;
      const { address } = await mailbox();
      const sizes = (await store.list(address)).map((m) => m.size);
      const list = await run('curl', ['--silent', '--show-error', '--max-time', '20', `pop3://127.0.0.1:${pop3.port}/`, '-u', `${address}:pw`]);
      assert.deepEqual(
        list.stdout.split('\r\n').filter(Boolean),
        sizes.map((s, i) => `${i + 1} ${s}`),
      );
      const retr = await run('curl', ['--silent', '--show-error', '--max-time', '20', `pop3://127.0.0.1:${pop3.port}/1`, '-u', `${address}:pw`], {
        encoding: 'buffer',
      });
      assert.equal(retr.stdout.toString('latin1'), MESSAGES[0]);
    });

    test('also takes the address percent-encoded in the URL', async (t) => {
      if (!(await requirePeer(t, 'curl', curlProbe))) return;
      const { address } = await mailbox();
      const url = `pop3://${encodeURIComponent(address)}:pw@127.0.0.1:${pop3.port}/2`;
      const retr = await run('curl', ['--silent', '--show-error', '--max-time', '20', url]);
      assert.equal(retr.stdout, MESSAGES[1]);
    });
  });
});

describe('sandbox POP3 passwords and timeouts', () => {
  let dataDir: string;
  let store: MailboxStore;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'mailtrail-pop3-'));
    store = new MailboxStore({ dataDir });
    await store.deliver('kept@example.com', Buffer.from('Subject: k\r\n\r\nk\r\n'));
  });
  after(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  test('passwordFor decides who logs in', async () => {
    const pop3 = await startPop3Server({ store, port: 0, passwordFor: async (address) => (address === 'kept@example.com' ? 's3cret pass' : undefined) });
    try {
      const { client } = await Client.open(pop3.port);
      assert.match(await client.login('kept@example.com', 'wrong'), /^-ERR \[AUTH\]/);
      assert.match(await client.login('other@example.com', 's3cret pass'), /^-ERR \[AUTH\]/);
      assert.match(await client.login('kept@example.com', 's3cret pass'), /^\+OK/, 'a password may contain spaces');
      await client.command('QUIT');
    } finally {
      await pop3.close();
    }
  });

  test('an idle login and logout log at debug; a logout that removed mail says so at info', async () => {
    const lines: { level: string; msg: string | undefined }[] = [];
    const record = (level: string) => (_obj: Record<string, unknown>, msg?: string) => void lines.push({ level, msg });
    const logger = { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
    await store.deliver('logged@example.com', Buffer.from('Subject: l\r\n\r\nl\r\n'));
    const pop3 = await startPop3Server({ store, port: 0, logger });
    try {
      const session = async (commands: string[]) => {
        const { client } = await Client.open(pop3.port);
        assert.match(await client.login('logged@example.com'), /^\+OK/);
        for (const c of commands) assert.match(await client.command(c), /^\+OK/);
        assert.match(await client.command('QUIT'), /^\+OK/);
        await client.ended();
      };
      lines.length = 0;
      await session(['STAT']);
      assert.deepEqual(lines, [
        { level: 'debug', msg: 'pop3 login' },
        { level: 'debug', msg: 'pop3 logout' },
      ]);
      lines.length = 0;
      await session(['DELE 1']);
      assert.deepEqual(lines, [
        { level: 'debug', msg: 'pop3 login' },
        { level: 'info', msg: 'pop3 logout' },
      ]);
    } finally {
      await pop3.close();
    }
  });

  test('refuses to start when nobody could log in', async () => {
    await assert.rejects(startPop3Server({ store, port: 0, acceptAnyPassword: false }), /passwordFor/);
  });

  test('the idle timer closes the session without committing', async () => {
    const pop3 = await startPop3Server({ store, port: 0, idleTimeoutMs: 150 });
    try {
      const { client } = await Client.open(pop3.port);
      await client.login('kept@example.com');
      await client.command('DELE 1');
      await client.ended();
      assert.equal((await store.list('kept@example.com')).length, 1);
    } finally {
      await pop3.close();
    }
  });

  test('close() drops open sessions without committing them', async () => {
    const pop3 = await startPop3Server({ store, port: 0 });
    const { client } = await Client.open(pop3.port);
    await client.login('kept@example.com');
    await client.command('DELE 1');
    await pop3.close();
    await client.ended();
    assert.equal((await store.list('kept@example.com')).length, 1);
  });

  test('holds at most maxClients sessions: the next is told to come back and closed; a freed slot takes a new one', async () => {
    const pop3 = await startPop3Server({ store, port: 0, maxClients: 3 });
    try {
      const open = await Promise.all([1, 2, 3].map(() => Client.open(pop3.port)));
      for (const { greeting } of open) assert.match(greeting, /^\+OK/);
      const extra = await Client.open(pop3.port);
      assert.match(extra.greeting, /^-ERR \[SYS\/TEMP\]/);
      await extra.client.ended();
      // The three keep working; one leaves and its place is free again.
      assert.match(await open[0]!.client.login('kept@example.com'), /^\+OK/);
      assert.match(await open[0]!.client.command('QUIT'), /^\+OK/);
      await open[0]!.client.ended();
      const next = await eventuallyGreeted(pop3.port);
      assert.match(next.greeting, /^\+OK/);
      for (const c of [open[1]!, open[2]!, next]) c.client.socket.destroy();
    } finally {
      await pop3.close();
    }
  });
});

/** The server frees a session's slot on the socket's close, a moment after the client sees QUIT answered. */
async function eventuallyGreeted(port: number): Promise<{ client: Client; greeting: string }> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const opened = await Client.open(port);
    if (opened.greeting.startsWith('+OK')) return opened;
    await opened.client.ended();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return assert.fail('no slot was freed');
}
