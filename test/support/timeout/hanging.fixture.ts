// Run only by timeout.test.ts: one test that waits forever on a socket nobody answers, one that
// sets its own longer timeout and passes. With HANG_LEAK=1 the socket is never closed, so the
// file's process cannot exit by itself: the per-file budget (--test-timeout) has to end it.
import { once } from 'node:events';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { after, test } from 'node:test';

let server: Server | undefined;
let socket: Socket | undefined;
after(() => {
  if (process.env.HANG_LEAK === '1') return;
  socket?.destroy();
  server?.close();
});

test('waits for a reply that never comes', async () => {
  server = createServer(() => undefined).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  socket = connect(address.port, '127.0.0.1');
  await once(socket, 'data');
});

test('asks for more time and gets it', { timeout: 60_000 }, async () => {
  await new Promise((resolve) => setTimeout(resolve, 800));
});
