/**
 * An SMTP sink in a process of its own, for the load test: accepts every message and appends
 * its Message-ID (one per line) to MAILTRAIL_SINK_FILE, so the test counts what the `serve`
 * processes really delivered, independent of their own bookkeeping. Prints "port N" once
 * listening; runs until killed.
 */
import { appendFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

const file = process.env.MAILTRAIL_SINK_FILE ?? '';
if (!file) throw new Error('MAILTRAIL_SINK_FILE is required');
const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  maxClients: 100,
  onData: (stream, _session, cb) => {
    let head = '';
    stream.on('data', (c: Buffer) => {
      if (head.length < 64 * 1024) head += c.toString('latin1');
    });
    stream.on('end', () => {
      const id = /^message-id:\s*(<[^>]+>)/im.exec(head)?.[1] ?? '(none)';
      appendFileSync(file, `${id}\n`);
      cb();
    });
  },
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`port ${(server.server.address() as AddressInfo).port}\n`));
