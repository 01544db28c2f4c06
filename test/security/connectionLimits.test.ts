/**
 * The HTTP server's connection cap and timeouts (issue 13, finding 11): a client that opens
 * connections without end gets the cap's worth and no more, while the connections already held
 * keep working; the timeouts that free slow and idle sockets are set. Bounded by counts, not by
 * time. (The sandbox's SMTP and POP3 caps: src/sandbox/smtpServer.test.ts and pop3Server.test.ts.)
 *
 * Run: node --import tsx --test test/security/connectionLimits.test.ts
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';
import { CONNECTION_TIMEOUT_MS, DEFAULT_HTTP_MAX_CONNECTIONS, KEEP_ALIVE_TIMEOUT_MS, REQUEST_TIMEOUT_MS } from '../../src/http/app.js';
import { startTestApp } from '../support/app.js';

/** A raw keep-alive HTTP/1.1 connection: sends GETs, reads whole answers, tells when the server closed it. */
class Connection {
  private buffer = '';
  private wake: (() => void) | undefined;
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (text: string) => {
      this.buffer += text;
      this.wake?.();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
  }

  static async open(port: number): Promise<Connection> {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    return new Connection(socket);
  }

  /** The status of the answer to GET path, or undefined when the server closed the connection instead. */
  async get(path: string): Promise<number | undefined> {
    this.socket.write(`GET ${path} HTTP/1.1\r\nHost: test\r\nConnection: keep-alive\r\n\r\n`);
    for (;;) {
      const head = /^HTTP\/1\.1 (\d{3})[^]*?\r\ncontent-length: (\d+)\r\n[^]*?\r\n\r\n/i.exec(this.buffer);
      if (head) {
        const end = head[0].length + Number(head[2]);
        if (this.buffer.length >= end) {
          this.buffer = this.buffer.slice(end);
          return Number(head[1]);
        }
      }
      if (this.closed) return undefined;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  async ended(): Promise<void> {
    if (!this.closed) await once(this.socket, 'close');
  }
}

test('the HTTP server holds at most MAILTRAIL_HTTP_MAX_CONNECTIONS connections; the next is closed unanswered, the held ones keep working', async (t) => {
  const h = await startTestApp(t, 'sqlite', { config: { port: 0, host: '127.0.0.1', httpMaxConnections: 3 } });
  if (!h) return;
  const port = Number(new URL(h.running.url).port);
  const held: Connection[] = [];
  for (let i = 0; i < 3; i++) {
    const c = await Connection.open(port);
    // Answered, so the server has counted it before the next one connects.
    assert.equal(await c.get('/api/health'), 200);
    held.push(c);
  }
  const extra = await Connection.open(port);
  assert.equal(await extra.get('/api/health'), undefined, 'the fourth connection is closed without an answer');
  await extra.ended();
  for (const c of held) assert.equal(await c.get('/api/health'), 200, 'a held connection still works');

  // One leaves: a new client gets its place.
  held[0]!.socket.end();
  await held[0]!.ended();
  let status: number | undefined;
  for (let attempt = 0; attempt < 200 && status === undefined; attempt++) {
    // The server counts the closed socket out a moment after the client sees it close.
    const next = await Connection.open(port);
    status = await next.get('/api/health');
    if (status === undefined) await new Promise((resolve) => setTimeout(resolve, 10));
    else held.push(next);
  }
  assert.equal(status, 200);
  for (const c of held) c.socket.destroy();
});

test('the HTTP server frees idle and slow connections, and the cap has a default and a setting', async (t) => {
  const h = await startTestApp(t, 'sqlite', { config: { port: 0, host: '127.0.0.1' } });
  if (!h) return;
  const server = h.app.server;
  assert.equal(server.maxConnections, DEFAULT_HTTP_MAX_CONNECTIONS);
  assert.equal(server.timeout, CONNECTION_TIMEOUT_MS, 'an idle connection is closed (Node and Fastify default: never)');
  assert.equal(server.requestTimeout, REQUEST_TIMEOUT_MS);
  assert.equal(server.keepAliveTimeout, KEEP_ALIVE_TIMEOUT_MS);
  assert.ok(CONNECTION_TIMEOUT_MS > 0 && REQUEST_TIMEOUT_MS > 0 && KEEP_ALIVE_TIMEOUT_MS > 0);

  const env = { MAILTRAIL_DATA: h.running.ctx.config.dataDir, MAILTRAIL_SECRET: 'a-secret-of-sixteen-or-more' };
  assert.equal(loadConfig({ ...env, MAILTRAIL_HTTP_MAX_CONNECTIONS: '250' }).httpMaxConnections, 250);
  assert.equal(loadConfig(env).httpMaxConnections, undefined);
  for (const bad of ['0', '-1', '2.5', 'many']) assert.throws(() => loadConfig({ ...env, MAILTRAIL_HTTP_MAX_CONNECTIONS: bad }), ConfigError, bad);
});
