/**
 * The stricter baseline: a POP3 download as fast as the wire and the server allow. Dovecot
 * announces PIPELINING (RFC 2449), so the client keeps a window of RETR/DELE pairs in flight
 * instead of waiting a round trip for each reply, and only finds where each reply ends: no
 * dot-unstuffing, no body kept. Nothing a real importer could do downloads faster.
 */
import net from 'node:net';
import { PEERS } from './support.js';

const CRLF = Buffer.from('\r\n');
const TERMINATOR = Buffer.from('\r\n.\r\n');

interface Expected {
  multi: boolean;
  resolve: (status: string) => void;
  reject: (err: Error) => void;
}

/**
 * Reads a stream of POP3 replies in the order the commands were sent; a message body is scanned
 * once for its terminator, however it is split into chunks, and then dropped.
 */
class ReplyReader {
  private readonly expected: Expected[] = [];
  /** Unread bytes; inside a message body only its last few bytes are kept (the body is dropped). */
  private buffer: Buffer = Buffer.alloc(0);
  private status: string | undefined;
  bytes = 0;

  expect(multi: boolean): Promise<string> {
    return new Promise((resolve, reject) => this.expected.push({ multi, resolve, reject }));
  }

  fail(err: Error): void {
    for (const e of this.expected.splice(0)) e.reject(err);
  }

  push(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const head = this.expected[0];
      if (!head) return;
      if (this.status === undefined) {
        const eol = this.buffer.indexOf(CRLF);
        if (eol < 0) return;
        const line = this.buffer.subarray(0, eol).toString('latin1');
        if (!line.startsWith('+OK')) {
          this.expected.shift();
          head.reject(new Error(`POP3: ${line}`));
          this.buffer = this.buffer.subarray(eol + 2);
          continue;
        }
        if (!head.multi) {
          this.expected.shift();
          this.buffer = this.buffer.subarray(eol + 2);
          head.resolve(line);
          continue;
        }
        // Keep the status line's CRLF: an empty body ends at the very next ".\r\n".
        this.status = line;
        this.buffer = this.buffer.subarray(eol);
      }
      const end = this.buffer.indexOf(TERMINATOR);
      if (end < 0) {
        const keep = Math.min(this.buffer.length, TERMINATOR.length - 1);
        this.bytes += this.buffer.length - keep;
        this.buffer = this.buffer.subarray(this.buffer.length - keep);
        return;
      }
      this.bytes += end;
      const status = this.status;
      this.status = undefined;
      this.buffer = this.buffer.subarray(end + TERMINATOR.length);
      this.expected.shift();
      head.resolve(status);
    }
  }
}

/** RETR + DELE of every message with up to `window` pairs in flight; QUIT commits the deletions. */
export async function pipelinedPop3Drain(address: string, window = 32): Promise<{ messages: number; bytes: number }> {
  const socket = net.connect({ host: PEERS.host, port: PEERS.pop3Port });
  socket.setNoDelay(true);
  const reader = new ReplyReader();
  socket.on('data', (chunk: Buffer) => reader.push(chunk));
  socket.on('error', (err) => reader.fail(err));
  socket.on('close', () => reader.fail(new Error('POP3 connection closed')));
  const send = (command: string, multi: boolean): Promise<string> => {
    const reply = reader.expect(multi);
    socket.write(`${command}\r\n`);
    return reply;
  };
  try {
    await reader.expect(false);
    const capa = reader.expect(true);
    socket.write('CAPA\r\n');
    await capa;
    await send(`USER ${address}`, false);
    await send(`PASS ${PEERS.password}`, false);
    const stat = await send('STAT', false);
    const count = Number(stat.split(' ')[1]);
    const inFlight: Promise<string>[] = [];
    for (let n = 1; n <= count; n++) {
      inFlight.push(send(`RETR ${n}`, true), send(`DELE ${n}`, false));
      if (inFlight.length >= window * 2) await Promise.all(inFlight.splice(0, 2));
    }
    await Promise.all(inFlight);
    await send('QUIT', false);
    return { messages: count, bytes: reader.bytes };
  } finally {
    socket.destroy();
  }
}
