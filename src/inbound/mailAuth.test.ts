import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { test } from 'node:test';
import { cachingResolver } from './mailAuth.js';

/**
 * The default resolver's bounds, against a local UDP "name server" that never answers: the
 * first lookup times out, the next ones fail at once for the pause (one packet, not one per
 * message), and reserved names never leave the process.
 */
test('a silent name server costs one timeout per pause; reserved names are never asked', { timeout: 20_000 }, async (t) => {
  const socket = createSocket('udp4');
  let packets = 0;
  socket.on('message', () => packets++);
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  t.after(() => socket.close());
  const resolve = cachingResolver({ timeoutMs: 300, pauseMs: 60_000, servers: [`127.0.0.1:${socket.address().port}`] });

  await assert.rejects(resolve('_dmarc.somewhere.org', 'TXT'), (err: { code?: string }) => err.code === 'ETIMEOUT');
  assert.equal(packets, 1);
  for (const name of ['a.org', 'b.org', '_dmarc.c.org']) {
    await assert.rejects(resolve(name, 'TXT'), /paused/);
  }
  assert.equal(packets, 1, 'paused: nothing more was sent');

  const fresh = cachingResolver({ timeoutMs: 300, servers: [`127.0.0.1:${socket.address().port}`] });
  await assert.rejects(fresh('sel._domainkey.customer.example', 'TXT'), (err: { code?: string }) => err.code === 'ENOTFOUND');
  await assert.rejects(fresh('example.test', 'TXT'), (err: { code?: string }) => err.code === 'ENOTFOUND');
  assert.equal(packets, 1, 'reserved names are answered without asking');
});
