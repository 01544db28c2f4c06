import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { deleteAll, newAddress, peersConfig, readAllImap, readAllPop3, requirePeers, sendViaPostfix, waitForMessageCount } from './mailPeers.js';

/** Headers of a raw message, unfolded, as `name: value` lines. */
function header(raw: Buffer, name: string): string | undefined {
  const text = raw.toString('latin1');
  const head = text.slice(0, text.indexOf('\r\n\r\n')).replace(/\r\n[ \t]+/g, ' ');
  const line = head.split('\r\n').find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim();
}

describe('real mail peers (Postfix → Dovecot)', () => {
  test('newAddress gives distinct addresses at the test domain', () => {
    const a = newAddress('Some Prefix');
    const b = newAddress('Some Prefix');
    assert.notEqual(a, b);
    assert.match(a, /^some-prefix-[a-z0-9]+-[0-9a-f]{8}@example\.test$/);
    assert.equal(peersConfig().domain, 'example.test');
  });

  test('a message sent through Postfix reads back byte-exact over POP3 (3 ways) and IMAP', async (t) => {
    if (!(await requirePeers(t))) return;
    const to = newAddress('roundtrip');
    const from = newAddress('sender');
    const subject = `Round trip ${Date.now()}`;
    // Lines that POP3 must dot-stuff, including one that is just ".", plus a "From " line.
    const text = 'Hello,\r\n.\r\n..two dots\r\n.leading dot\r\nFrom the start of a line\r\nend.\r\n';
    const { messageId } = await sendViaPostfix({ from, to, subject, text });
    assert.match(messageId, /^<.+@.+>$/);
    await waitForMessageCount(to, 1);

    const imap = await readAllImap(to);
    assert.equal(imap.length, 1);
    const raw = imap[0] as Buffer;
    assert.equal(header(raw, 'Subject'), subject);
    assert.equal(header(raw, 'Message-ID'), messageId);
    const body = raw.subarray(raw.indexOf('\r\n\r\n') + 4);
    assert.equal(body.toString('latin1'), text);

    for (const security of ['none', 'starttls', 'tls'] as const) {
      const pop3 = await readAllPop3(to, security);
      assert.equal(pop3.length, 1, security);
      assert.ok((pop3[0] as Buffer).equals(raw), `POP3 (${security}) and IMAP disagree on the bytes`);
    }

    await deleteAll(to);
    assert.deepEqual(await readAllImap(to), []);
  });

  test('each address is its own mailbox', async (t) => {
    if (!(await requirePeers(t))) return;
    const a = newAddress('alice');
    const b = newAddress('bob');
    await sendViaPostfix({ from: a, to: [a, b], subject: 'to both', text: 'both\r\n' });
    await sendViaPostfix({ from: a, to: b, subject: 'to bob', text: 'bob only\r\n' });
    await waitForMessageCount(b, 2);
    assert.equal(await waitForMessageCount(a, 1), 1);
    assert.equal((await readAllPop3(b)).length, 2);
  });

  test('Postfix refuses mail for other domains', async (t) => {
    if (!(await requirePeers(t))) return;
    await assert.rejects(
      sendViaPostfix({ from: newAddress('relay'), to: 'someone@example.com', subject: 'x', text: 'x' }),
      (err: Error & { responseCode?: number }) => {
        assert.equal(err.responseCode, 554);
        assert.match(err.message, /Relay access denied/);
        return true;
      },
    );
  });
});
