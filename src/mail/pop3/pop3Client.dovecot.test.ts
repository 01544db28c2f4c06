import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Pop3Client, Pop3Error } from './index.js';
import { newAddress, peersConfig, pop3Client, readAllImap, requirePeers, sendViaPostfix, waitForMessageCount } from '../../../test/harness/mailPeers.js';

/**
 * A full GC on demand, so peak RSS measures what the client holds rather than how lazily V8
 * frees garbage Buffers (their memory lives outside the JS heap and is collected late).
 */
function forceGc(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

/** A mailbox holding `count` messages with subjects "msg 1"…"msg N". */
async function mailbox(prefix: string, count: number): Promise<string> {
  const address = newAddress(prefix);
  for (let i = 1; i <= count; i++) {
    // One at a time: Postfix delivers concurrently and the order in the mailbox would vary.
    await sendViaPostfix({ from: newAddress('sender'), to: address, subject: `msg ${i}`, text: `body ${i}\r\n` });
    await waitForMessageCount(address, i);
  }
  return address;
}

async function session(address: string, security: 'none' | 'starttls' | 'tls' = 'none'): Promise<Pop3Client> {
  const client = pop3Client(security);
  await client.connect();
  await client.login(address, peersConfig().password);
  return client;
}

function subjectOf(raw: Buffer): string {
  return /^Subject: (.*)$/m.exec(raw.toString('latin1'))?.[1]?.trim() ?? '';
}

describe('Pop3Client against Dovecot', () => {
  test('STAT, LIST, UIDL, RETR, TOP, DELE and QUIT', async (t) => {
    if (!(await requirePeers(t))) return;
    const address = await mailbox('verbs', 3);
    const client = await session(address);
    let before: string[];
    try {
      assert.match(client.greeting, /^\+OK/);
      const stat = await client.stat();
      assert.equal(stat.count, 3);
      const list = await client.list();
      assert.deepEqual(
        list.map((e) => e.n),
        [1, 2, 3],
      );
      assert.equal(
        stat.size,
        list.reduce((sum, e) => sum + e.size, 0),
      );

      const uidl = await client.uidl();
      assert.equal(uidl.length, 3);
      // pop3_uidl_format = %08Xu%08Xv: UID then UIDVALIDITY, 8 hex digits each (Dovecot's %X is lower case).
      for (const { uid } of uidl) assert.match(uid, /^[0-9a-f]{16}$/i);
      assert.equal(new Set(uidl.map((e) => e.uid)).size, 3);
      assert.deepEqual(await client.uidl(2), uidl[1]);
      before = uidl.map((e) => e.uid);

      for (const { n, size } of list) {
        const raw = await client.retr(n);
        assert.equal(raw.length, size, 'LIST size is the RETR size');
        assert.equal(subjectOf(raw), `msg ${n}`);
      }
      const top = await client.top(1, 0);
      assert.equal(subjectOf(top), 'msg 1');
      assert.ok(!top.toString().includes('body 1'));

      await client.dele(2);
      assert.deepEqual(
        (await client.list()).map((e) => e.n),
        [1, 3],
      );
      await assert.rejects(client.retr(2), (err: Pop3Error) => err.code === 'ECOMMAND' && err.command === 'RETR 2');
      await client.noop();
      await client.quit();
    } finally {
      client.close();
    }

    const again = await session(address);
    try {
      const after = await again.uidl();
      assert.deepEqual(
        after.map((e) => e.uid),
        [before[0], before[2]],
        'QUIT committed the deletion of message 2; the others keep their UIDLs',
      );
      assert.deepEqual((await Promise.all(after.map((e) => again.retr(e.n)))).map(subjectOf), ['msg 1', 'msg 3']);
      await again.quit();
    } finally {
      again.close();
    }
  });

  test('Dovecot announces PIPELINING: streamed RETRs and DELEs sent ahead come back whole and in order, QUIT deletes', async (t) => {
    if (!(await requirePeers(t))) return;
    const address = await mailbox('pipelined', 5);
    const client = await session(address);
    try {
      await client.capa();
      assert.equal(client.pipelining, true, 'Dovecot announces PIPELINING');
      // Every command queued before any reply is read: the client sends them ahead.
      const streams = [1, 2, 3, 4, 5].map((n) => client.retrStream(n));
      const deletions = [1, 2, 3, 4, 5].map((n) => client.dele(n));
      const subjects: string[] = [];
      for (const pending of streams) {
        const chunks: Buffer[] = [];
        for await (const chunk of await pending) chunks.push(chunk as Buffer);
        subjects.push(subjectOf(Buffer.concat(chunks)));
      }
      await Promise.all(deletions);
      assert.deepEqual(subjects, ['msg 1', 'msg 2', 'msg 3', 'msg 4', 'msg 5']);
      await client.quit();
    } finally {
      client.close();
    }
    const after = await session(address);
    try {
      assert.equal((await after.stat()).count, 0);
      await after.quit();
    } finally {
      after.close();
    }
  });

  test('UIDLs are stable across sessions', async (t) => {
    if (!(await requirePeers(t))) return;
    const address = await mailbox('stable', 2);
    const first = await session(address);
    const a = await first.uidl();
    await first.quit();
    const second = await session(address);
    const b = await second.uidl();
    await second.quit();
    assert.deepEqual(a, b);
  });

  test('DELE without QUIT is rolled back when the connection drops', async (t) => {
    if (!(await requirePeers(t))) return;
    const address = await mailbox('rollback', 1);
    const client = await session(address);
    await client.dele(1);
    assert.deepEqual(await client.stat(), { count: 0, size: 0 });
    client.close();

    const again = await session(address);
    assert.equal((await again.stat()).count, 1, 'the message survived');
    // RSET unmarks too, and QUIT after it deletes nothing.
    await again.dele(1);
    await again.rset();
    await again.quit();
    assert.equal((await readAllImap(address)).length, 1);
  });

  test('STLS and implicit TLS', async (t) => {
    if (!(await requirePeers(t))) return;
    const address = await mailbox('tls', 1);

    const plain = pop3Client('none');
    await plain.connect();
    assert.ok((await plain.capa()).includes('STLS'));
    assert.equal(plain.secure, false);
    await plain.quit();

    for (const security of ['starttls', 'tls'] as const) {
      const client = await session(address, security);
      assert.equal(client.secure, true, security);
      assert.equal(subjectOf(await client.retr(1)), 'msg 1');
      await client.quit();
    }
  });

  test('the self-signed certificate is refused unless the caller accepts it', async (t) => {
    if (!(await requirePeers(t))) return;
    const { host, pop3Port, pop3sPort } = peersConfig();
    for (const [security, port] of [
      ['tls', pop3sPort],
      ['starttls', pop3Port],
    ] as const) {
      const client = new Pop3Client({ host, port, security });
      await assert.rejects(client.connect(), (err: Pop3Error) => {
        assert.equal(err.code, 'ETLS', `${security}: ${err.message}`);
        return true;
      });
      assert.equal(client.state, 'CLOSED');
    }
  });

  test('a wrong password is EAUTH with the server response', async (t) => {
    if (!(await requirePeers(t))) return;
    const client = pop3Client('none');
    await client.connect();
    await assert.rejects(client.login(newAddress('wrong'), 'not-the-password'), (err: Pop3Error) => {
      assert.equal(err.code, 'EAUTH');
      assert.equal(err.command, 'PASS ****');
      assert.match(err.response ?? '', /^-ERR/);
      return true;
    });
    await client.quit();
  });

  test('a 50 MB message streams out of Dovecot with low peak memory', async (t) => {
    if (!(await requirePeers(t))) return;
    const address = newAddress('big');
    const lineCount = 680_000; // 680k lines of 78 bytes ≈ 50.6 MB
    const line = 'x'.repeat(76) + '\r\n';
    async function* bigMessage() {
      yield `From: big@example.test\r\nTo: ${address}\r\nSubject: big\r\nMessage-ID: <big-${Date.now()}@example.test>\r\n\r\n`;
      const block = line.repeat(1000);
      for (let i = 0; i < lineCount / 1000; i++) yield i % 2 ? block : block.replace(/^x/gm, '.');
    }
    await sendViaPostfix({ from: 'big@example.test', to: address, raw: Readable.from(bigMessage()) });
    await waitForMessageCount(address, 1, 60_000);

    const client = await session(address);
    try {
      const [entry] = await client.list();
      assert.ok(entry && entry.size > 50_000_000, `size ${entry?.size}`);
      const gc = forceGc();
      gc();
      const baseline = process.memoryUsage().rss;
      let peak = baseline;
      let dots = 0;
      let seen = 0;
      let lastByte = 0;
      const sink = new Writable({
        write(chunk: Buffer, _enc, cb) {
          seen += chunk.length;
          if (lastByte === 0x0a && chunk[0] === 0x2e) dots++;
          for (let i = chunk.indexOf('\n.'); i >= 0; i = chunk.indexOf('\n.', i + 1)) dots++;
          lastByte = chunk[chunk.length - 1] ?? lastByte;
          if (seen % (1 << 22) < chunk.length) {
            peak = Math.max(peak, process.memoryUsage().rss);
            gc();
          }
          cb();
        },
      });
      const size = await client.retrTo(entry.n, sink);
      peak = Math.max(peak, process.memoryUsage().rss);
      assert.equal(size, entry.size);
      // Half the lines start with a dot; unstuffed, each still starts with exactly one.
      assert.equal(dots, lineCount / 2, 'lines starting with a dot');
      const grown = (peak - baseline) / 1024 / 1024;
      t.diagnostic(`peak RSS grew by ${grown.toFixed(1)} MB`);
      assert.ok(grown < 20, `RSS grew by ${grown.toFixed(1)} MB`);
      await client.dele(entry.n);
      await client.quit();
    } finally {
      client.close();
    }
  });
});
