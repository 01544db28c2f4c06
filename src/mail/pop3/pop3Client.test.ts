import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Writable } from 'node:stream';
import { once } from 'node:events';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Pop3Client, Pop3Error, Pop3State, type Pop3ClientOptions } from './index.js';
import { DotDecoder } from './dotDecoder.js';

/**
 * A full GC on demand, so peak RSS measures what the client holds rather than how lazily V8
 * frees garbage Buffers (their memory lives outside the JS heap and is collected late).
 */
function forceGc(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

// ---- a scripted fake POP3 server over a real socket ---------------------------------------

type Reply = string | ((socket: net.Socket) => void);

interface Fake {
  port: number;
  /** Every command line received, in order. */
  received: string[];
  close(): Promise<void>;
}

/**
 * Answers each command from `script` (the first word decides, then the whole line); anything
 * else gets -ERR. `greeting: null` makes a server that accepts and never says a word.
 */
async function startFake(script: Record<string, Reply>, greeting: string | null = '+OK fake ready\r\n'): Promise<Fake> {
  const received: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    if (greeting !== null) socket.write(greeting);
    let pending = '';
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      let i: number;
      while ((i = pending.indexOf('\r\n')) >= 0) {
        const line = pending.slice(0, i);
        pending = pending.slice(i + 2);
        received.push(line);
        const reply = script[line] ?? script[line.split(' ')[0] ?? ''] ?? '-ERR unknown command\r\n';
        if (typeof reply === 'string') socket.write(reply);
        else reply(socket);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    received,
    close: async () => {
      for (const s of sockets) s.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

const loggedIn: Record<string, Reply> = {
  USER: '+OK\r\n',
  PASS: '+OK logged in\r\n',
  QUIT: '+OK bye\r\n',
  NOOP: '+OK\r\n',
};

async function withClient(fake: Fake, options: Partial<Pop3ClientOptions>, run: (client: Pop3Client) => Promise<void>): Promise<void> {
  const client = new Pop3Client({ host: '127.0.0.1', port: fake.port, ...options });
  try {
    await run(client);
  } finally {
    client.close();
    await fake.close();
  }
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<Pop3Error> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof Pop3Error, `expected a Pop3Error, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected a rejection with ${code}`);
}

// ---- tests ----------------------------------------------------------------------------------

describe('DotDecoder', () => {
  const wire = Buffer.from('line one\r\n..starts with a dot\r\n..\r\n.\tab\r\nlast\r\n.\r\n+OK next');
  const content = 'line one\r\n.starts with a dot\r\n.\r\n\tab\r\nlast\r\n';

  test('unstuffs and stops at the terminator, whatever the chunking', () => {
    for (let a = 0; a <= wire.length; a++) {
      for (const b of [a, Math.min(wire.length, a + 1), Math.min(wire.length, a + 2), wire.length]) {
        const decoder = new DotDecoder();
        const out: Buffer[] = [];
        let rest: Buffer | null = null;
        for (const chunk of [wire.subarray(0, a), wire.subarray(a, b), wire.subarray(b)]) {
          if (rest !== null) {
            rest = Buffer.concat([rest, chunk]);
            continue;
          }
          const r = decoder.push(chunk);
          out.push(...r.pieces);
          if (r.done) rest = r.rest;
        }
        assert.equal(Buffer.concat(out).toString(), content, `split at ${a}/${b}`);
        assert.equal(rest?.toString(), '+OK next', `split at ${a}/${b}`);
      }
    }
  });

  test('an empty reply is just the terminator', () => {
    const r = new DotDecoder().push(Buffer.from('.\r\n'));
    assert.equal(r.done, true);
    assert.equal(Buffer.concat(r.pieces).length, 0);
  });
});

describe('Pop3Client against a scripted server', () => {
  test('logs in, lists and retrieves with dot-stuffing, quits', async () => {
    const message = 'Subject: dots\r\n\r\n' + 'first\r\n' + '.\r\n' + '..two dots\r\n' + '.leading\r\n' + 'end\r\n';
    const stuffed = message.replace(/^\./gm, '..');
    const fake = await startFake({
      ...loggedIn,
      CAPA: '+OK\r\nUSER\r\nUIDL\r\nTOP\r\n.\r\n',
      STAT: '+OK 2 320\r\n',
      LIST: '+OK 2 messages\r\n1 120\r\n2 200\r\n.\r\n',
      'LIST 2': '+OK 2 200\r\n',
      UIDL: '+OK\r\n1 whqtswO00WBw418f9t5JxYwZ\r\n2 QhdPYR:00WBw1Ph7x7\r\n.\r\n',
      'UIDL 1': '+OK 1 whqtswO00WBw418f9t5JxYwZ\r\n',
      'RETR 1': `+OK ${message.length} octets\r\n${stuffed}.\r\n`,
      'TOP 1 0': '+OK\r\nSubject: dots\r\n\r\n.\r\n',
      'DELE 1': '+OK marked\r\n',
      RSET: '+OK\r\n',
    });
    await withClient(fake, {}, async (client) => {
      await client.connect();
      assert.equal(client.greeting, '+OK fake ready');
      assert.equal(client.state, Pop3State.AUTHORIZATION);
      assert.deepEqual(await client.capa(), ['USER', 'UIDL', 'TOP']);
      await client.login('bob@example.test', 'secret');
      assert.equal(client.state, Pop3State.TRANSACTION);
      assert.deepEqual(await client.stat(), { count: 2, size: 320 });
      assert.deepEqual(await client.list(), [
        { n: 1, size: 120 },
        { n: 2, size: 200 },
      ]);
      assert.deepEqual(await client.list(2), { n: 2, size: 200 });
      assert.deepEqual(await client.uidl(), [
        { n: 1, uid: 'whqtswO00WBw418f9t5JxYwZ' },
        { n: 2, uid: 'QhdPYR:00WBw1Ph7x7' },
      ]);
      assert.deepEqual(await client.uidl(1), { n: 1, uid: 'whqtswO00WBw418f9t5JxYwZ' });
      assert.equal((await client.retr(1)).toString(), message);
      assert.equal((await client.top(1, 0)).toString(), 'Subject: dots\r\n\r\n');
      await client.dele(1);
      await client.rset();
      await client.noop();
      await client.quit();
      assert.equal(client.state, Pop3State.CLOSED);
    });
    assert.deepEqual(fake.received, [
      'CAPA',
      'USER bob@example.test',
      'PASS secret',
      'STAT',
      'LIST',
      'LIST 2',
      'UIDL',
      'UIDL 1',
      'RETR 1',
      'TOP 1 0',
      'DELE 1',
      'RSET',
      'NOOP',
      'QUIT',
    ]);
  });

  test('commands issued without awaiting run in order, and the state is checked when sent', async () => {
    const fake = await startFake({ ...loggedIn, STAT: '+OK 0 0\r\n' });
    await withClient(fake, {}, async (client) => {
      await client.connect();
      const [, stat] = await Promise.all([client.login('a@example.test', 'pw'), client.stat(), client.noop()]);
      assert.deepEqual(stat, { count: 0, size: 0 });
    });
  });

  test('a command in the wrong state fails without reaching the server', async () => {
    const fake = await startFake(loggedIn);
    await withClient(fake, {}, async (client) => {
      await client.connect();
      await rejectsWith(client.stat(), 'ESTATE');
      await client.noop().catch(() => {});
      assert.deepEqual(fake.received, []);
    });
  });

  test('-ERR on PASS is EAUTH, with the password masked and the extended code parsed', async () => {
    const fake = await startFake({ USER: '+OK\r\n', PASS: '-ERR [AUTH] Authentication failed.\r\n' });
    await withClient(fake, {}, async (client) => {
      await client.connect();
      const err = await rejectsWith(client.login('bob@example.test', 'hunter2'), 'EAUTH');
      assert.equal(err.command, 'PASS ****');
      assert.equal(err.response, '-ERR [AUTH] Authentication failed.');
      assert.equal(err.responseCode, 'AUTH');
      assert.equal(err.kind, 'unavailable');
      assert.ok(!err.message.includes('hunter2'), err.message);
      assert.ok(!JSON.stringify(err.details).includes('hunter2'));
      assert.equal(client.state, Pop3State.AUTHORIZATION);
    });
  });

  test('a refused USER is EAUTH and the password is never sent', async () => {
    const fake = await startFake({ USER: '-ERR no such user\r\n', PASS: '+OK\r\n' });
    await withClient(fake, {}, async (client) => {
      await client.connect();
      const err = await rejectsWith(client.login('nobody@example.test', 'pw'), 'EAUTH');
      assert.equal(err.command, 'USER nobody@example.test');
      await client.quit().catch(() => {});
      assert.deepEqual(fake.received.slice(0, 1), ['USER nobody@example.test']);
      assert.ok(!fake.received.some((l) => l.startsWith('PASS')));
    });
  });

  test('-ERR on RETR rejects that command only; the session goes on', async () => {
    const fake = await startFake({ ...loggedIn, 'RETR 9': '-ERR no such message\r\n' });
    await withClient(fake, {}, async (client) => {
      await client.connect();
      await client.login('a@example.test', 'pw');
      const err = await rejectsWith(client.retr(9), 'ECOMMAND');
      assert.equal(err.command, 'RETR 9');
      await client.noop();
    });
  });

  test('a connection dropped mid-RETR rejects the command and everything queued', async () => {
    const fake = await startFake({
      ...loggedIn,
      'RETR 1': (s) => {
        s.write('+OK 100000 octets\r\nSubject: cut\r\n\r\nsome of the body');
        setTimeout(() => s.destroy(), 20);
      },
    });
    await withClient(fake, {}, async (client) => {
      await client.connect();
      await client.login('a@example.test', 'pw');
      const closed = once(client, 'close');
      const retr = client.retr(1);
      const queued = client.noop();
      await rejectsWith(retr, 'ECONNECTION');
      await rejectsWith(queued, 'ECONNECTION');
      await closed;
      assert.equal(client.state, Pop3State.CLOSED);
      await rejectsWith(client.noop(), 'ECONNECTION');
    });
  });

  test('a connection dropped mid-retrTo rejects, and the stream errors', async () => {
    const fake = await startFake({
      ...loggedIn,
      'RETR 1': (s) => {
        s.write('+OK\r\nSubject: cut\r\n\r\n' + 'x'.repeat(100_000));
        setTimeout(() => s.destroy(), 20);
      },
    });
    await withClient(fake, {}, async (client) => {
      await client.connect();
      await client.login('a@example.test', 'pw');
      let written = 0;
      const sink = new Writable({
        write(chunk: Buffer, _enc, cb) {
          written += chunk.length;
          cb();
        },
      });
      await rejectsWith(client.retrTo(1, sink), 'ECONNECTION');
      assert.ok(written > 0);
    });
  });

  test('a server that never greets times out with ETIMEDOUT', async () => {
    const fake = await startFake({}, null);
    await withClient(fake, { limits: { greetingTimeout: 150 } }, async (client) => {
      const err = await rejectsWith(client.connect(), 'ETIMEDOUT');
      assert.equal(err.command, 'CONN');
      // The limit that fired is the greeting's (a hang would hit the per-test timeout instead).
      assert.match(err.message, /150 ms/);
      assert.equal(client.state, Pop3State.CLOSED);
    });
  });

  test('a server that stops answering a command times out with ETIMEDOUT', async () => {
    const fake = await startFake({ ...loggedIn, STAT: () => {}, 'RETR 1': (s) => s.write('+OK\r\npartial') });
    await withClient(fake, { limits: { commandTimeout: 150 } }, async (client) => {
      await client.connect();
      await client.login('a@example.test', 'pw');
      const err = await rejectsWith(client.stat(), 'ETIMEDOUT');
      assert.equal(err.command, 'STAT');
    });
    const fake2 = await startFake({ ...loggedIn, 'RETR 1': (s) => s.write('+OK\r\npartial') });
    await withClient(fake2, { limits: { commandTimeout: 150 } }, async (client) => {
      await client.connect();
      await client.login('a@example.test', 'pw');
      await rejectsWith(client.retr(1), 'ETIMEDOUT');
    });
  });

  test('an idle session is closed by the client after the idle timeout', async () => {
    const fake = await startFake(loggedIn);
    await withClient(fake, { limits: { idleTimeout: 100 } }, async (client) => {
      await client.connect();
      const [err] = (await once(client, 'close')) as [Pop3Error];
      assert.equal(err.code, 'ETIMEDOUT');
      await rejectsWith(client.noop(), 'ECONNECTION');
    });
  });

  test('a status line longer than the limit is ELINETOOLONG and ends the session', async () => {
    const fake = await startFake({ ...loggedIn, STAT: (s) => s.write('+OK ' + '9'.repeat(5000)) });
    await withClient(fake, { limits: { maxLineLength: 1024 } }, async (client) => {
      await client.connect();
      await client.login('a@example.test', 'pw');
      await rejectsWith(client.stat(), 'ELINETOOLONG');
      assert.equal(client.state, Pop3State.CLOSED);
    });
  });

  test('long lines inside a message are not held to the line limit', async () => {
    const body = 'y'.repeat(300_000);
    const fake = await startFake({ ...loggedIn, 'RETR 1': `+OK\r\nSubject: wide\r\n\r\n${body}\r\n.\r\n` });
    await withClient(fake, { limits: { maxLineLength: 1024 } }, async (client) => {
      await client.connect();
      await client.login('a@example.test', 'pw');
      assert.equal((await client.retr(1)).toString(), `Subject: wide\r\n\r\n${body}\r\n`);
    });
  });

  test('a message over maxMessageSize is EMSGSIZE', async () => {
    const fake = await startFake({ ...loggedIn, 'RETR 1': `+OK\r\n${'z'.repeat(5000)}\r\n.\r\n` });
    await withClient(fake, { limits: { maxMessageSize: 1000 } }, async (client) => {
      await client.connect();
      await client.login('a@example.test', 'pw');
      await rejectsWith(client.retr(1), 'EMSGSIZE');
    });
  });

  test('garbage instead of +OK/-ERR is EPROTOCOL', async () => {
    const fake = await startFake({ ...loggedIn, NOOP: '* OK this is IMAP\r\n' });
    await withClient(fake, {}, async (client) => {
      await client.connect();
      await client.login('a@example.test', 'pw');
      await rejectsWith(client.noop(), 'EPROTOCOL');
    });
  });

  test('line breaks in arguments are refused before anything is sent', async () => {
    const fake = await startFake(loggedIn);
    await withClient(fake, {}, async (client) => {
      await client.connect();
      await rejectsWith(client.user('bob\r\nDELE 1'), 'EARGUMENT');
      await rejectsWith(client.pass('x\ny'), 'EARGUMENT');
      assert.deepEqual(fake.received, []);
    });
  });

  test('close() without QUIT sends no QUIT', async () => {
    const fake = await startFake({ ...loggedIn, 'DELE 1': '+OK\r\n' });
    const client = new Pop3Client({ host: '127.0.0.1', port: fake.port });
    await client.connect();
    await client.login('a@example.test', 'pw');
    await client.dele(1);
    client.close();
    assert.equal(client.state, Pop3State.CLOSED);
    await new Promise((r) => setTimeout(r, 50));
    await fake.close();
    assert.deepEqual(fake.received, ['USER a@example.test', 'PASS pw', 'DELE 1']);
  });

  test('with PIPELINING announced, RETR and DELE go out before the replies to earlier ones', async () => {
    // The server answers nothing until it holds three commands: a client that waits for each
    // reply would wait for ever (and fail on the command timeout).
    const held: string[] = [];
    let holding = true;
    const hold = (text: string) => (socket: net.Socket) => {
      if (!holding) return void socket.write(text);
      held.push(text);
      if (held.length === 3) {
        holding = false;
        socket.write(held.join(''));
      }
    };
    const fake = await startFake({
      ...loggedIn,
      CAPA: '+OK\r\nUIDL\r\nPIPELINING\r\n.\r\n',
      'RETR 1': hold('+OK\r\none\r\n.\r\n'),
      'DELE 1': hold('+OK deleted\r\n'),
      'RETR 2': hold('+OK\r\ntwo\r\n..dot\r\n.\r\n'),
      'DELE 2': '+OK deleted\r\n',
    });
    await withClient(fake, { limits: { commandTimeout: 5000 } }, async (client) => {
      await client.connect();
      await client.login('a@example.test', 'pw');
      await client.capa();
      assert.equal(client.pipelining, true);
      const replies = [client.retr(1), client.dele(1), client.retr(2), client.dele(2)] as const;
      const [one, , two] = await Promise.all(replies);
      assert.equal(one.toString(), 'one\r\n');
      assert.equal(two.toString(), 'two\r\n.dot\r\n');
      await client.quit();
    });
    assert.deepEqual(fake.received.slice(-5), ['RETR 1', 'DELE 1', 'RETR 2', 'DELE 2', 'QUIT']);
  });

  test('without PIPELINING in CAPA, no command is sent before the previous reply', async () => {
    let unanswered = 0;
    let overlaps = 0;
    const later = (text: string) => (socket: net.Socket) => {
      if (unanswered > 0) overlaps++;
      unanswered++;
      setImmediate(() => {
        unanswered--;
        socket.write(text);
      });
    };
    const fake = await startFake({
      ...loggedIn,
      CAPA: '+OK\r\nUIDL\r\n.\r\n',
      RETR: later('+OK\r\nbody\r\n.\r\n'),
      DELE: later('+OK deleted\r\n'),
    });
    await withClient(fake, {}, async (client) => {
      await client.connect();
      await client.login('a@example.test', 'pw');
      await client.capa();
      assert.equal(client.pipelining, false);
      await Promise.all([1, 2, 3].flatMap((n) => [client.retr(n), client.dele(n)]));
    });
    assert.equal(fake.received.filter((line) => /^(RETR|DELE) /.test(line)).length, 6);
    assert.equal(overlaps, 0);
  });

  test('pipelined: a refused RETR fails alone, the commands after it still get their own replies', async () => {
    const fake = await startFake({
      ...loggedIn,
      CAPA: '+OK\r\nPIPELINING\r\n.\r\n',
      'RETR 1': '-ERR gone\r\n',
      'RETR 2': '+OK\r\nsecond\r\n.\r\n',
      DELE: '+OK deleted\r\n',
    });
    await withClient(fake, {}, async (client) => {
      await client.connect();
      await client.login('a@example.test', 'pw');
      await client.capa();
      const first = client.retr(1);
      const second = client.retr(2);
      const dele = client.dele(2);
      await rejectsWith(first, 'ECOMMAND');
      assert.equal((await second).toString(), 'second\r\n');
      assert.equal(await dele, 'deleted');
    });
  });

  test('pipelined: a connection dropped with commands in flight rejects every one of them', async () => {
    const fake = await startFake({
      ...loggedIn,
      CAPA: '+OK\r\nPIPELINING\r\n.\r\n',
      'RETR 1': (socket) => socket.end('+OK\r\npartial'),
    });
    await withClient(fake, {}, async (client) => {
      await client.connect();
      await client.login('a@example.test', 'pw');
      await client.capa();
      const inFlight = [client.retr(1), client.dele(1), client.retr(2)];
      for (const p of inFlight) await rejectsWith(p, 'ECONNECTION');
      assert.equal(client.state, Pop3State.CLOSED);
    });
  });

  test('a stream destroyed early is drained so the next command still works', async () => {
    const fake = await startFake({
      ...loggedIn,
      'RETR 1': `+OK\r\n${'line\r\n'.repeat(50_000)}.\r\n`,
      STAT: '+OK 1 300000\r\n',
    });
    await withClient(fake, {}, async (client) => {
      await client.connect();
      await client.login('a@example.test', 'pw');
      const stream = await client.retrStream(1);
      stream.destroy();
      assert.deepEqual(await client.stat(), { count: 1, size: 300000 });
    });
  });

  test('retrTo streams a 50 MB message with low peak memory', async (t) => {
    const total = 50 * 1024 * 1024;
    const line = Buffer.from('.' + 'm'.repeat(76) + '\r\n'); // every line dot-stuffed on the wire
    const lineOut = line.length - 1;
    const lines = Math.floor(total / lineOut);
    const block = Buffer.concat(Array.from({ length: 1000 }, () => line));
    const fake = await startFake({
      ...loggedIn,
      'RETR 1': (s) => {
        s.write('+OK\r\n');
        let sent = 0;
        // Honour backpressure on the server side too, so only the client is measured.
        const pump = () => {
          while (sent < lines) {
            const n = Math.min(1000, lines - sent);
            sent += n;
            if (!s.write(n === 1000 ? block : block.subarray(0, n * line.length))) {
              s.once('drain', pump);
              return;
            }
          }
          s.write('.\r\n');
        };
        pump();
      },
    });
    await withClient(fake, {}, async (client) => {
      await client.connect();
      await client.login('a@example.test', 'pw');
      const gc = forceGc();
      gc();
      const baseline = process.memoryUsage().rss;
      let peak = baseline;
      let received = 0;
      const sink = new Writable({
        highWaterMark: 64 * 1024,
        write(chunk: Buffer, _enc, cb) {
          received += chunk.length;
          // A slow consumer: the client must pause the socket rather than buffer.
          if (received % (4 * 1024 * 1024) < chunk.length) {
            peak = Math.max(peak, process.memoryUsage().rss);
            gc();
            setImmediate(cb);
          } else cb();
        },
      });
      const size = await client.retrTo(1, sink);
      peak = Math.max(peak, process.memoryUsage().rss);
      assert.equal(size, lines * lineOut);
      assert.equal(received, size);
      const grown = (peak - baseline) / 1024 / 1024;
      t.diagnostic(`peak RSS grew by ${grown.toFixed(1)} MB`);
      assert.ok(grown < 20, `RSS grew by ${grown.toFixed(1)} MB while streaming 50 MB`);
    });
  });
});
