import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/**
 * An SMTP server for fault tests that records what it accepted (answered 250 to) and lets the
 * test decide, message by message, before it answers: accept, never answer (the client is
 * killed while waiting), or answer 250 and then have the test kill the client at once (the
 * window between the server's acceptance and the sender's commit). `stop()`/`start()` take the
 * server away and back on the same port.
 */
export type DataAnswer = 'accept' | 'hang' | 'accept-then';

export interface Accepted {
  from: string;
  to: string[];
  raw: Buffer;
  messageId: string;
}

export class HookedSmtpSink {
  readonly accepted: Accepted[] = [];
  /** Messages whose data arrived, accepted or not. */
  received = 0;
  hook: (n: number, raw: Buffer) => DataAnswer = () => 'accept';
  /** Set to refuse every RCPT TO with this reply (421 = try later, 550 = never). */
  rcptError: { code: number; message: string } | undefined;
  /** Called right after a 250 was sent for an 'accept-then' message. */
  afterAccept: () => void = () => undefined;
  port = 0;
  private server: SMTPServer | undefined;

  async start(port = this.port): Promise<this> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onRcptTo: (_address, _session, cb) => {
        if (!this.rcptError) return cb();
        cb(Object.assign(new Error(this.rcptError.message), { responseCode: this.rcptError.code }));
      },
      onData: (stream, session, cb) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks);
          const answer = this.hook(++this.received, raw);
          if (answer === 'hang') return;
          const mailFrom = session.envelope.mailFrom;
          const messageId = /^message-id:\s*(<[^>]+>)/im.exec(raw.toString('latin1'))?.[1] ?? '';
          this.accepted.push({ from: mailFrom ? mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), raw, messageId });
          cb();
          if (answer === 'accept-then') setImmediate(() => this.afterAccept());
        });
      },
    });
    server.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    // Cut open connections too: a stopped mail server does not finish conversations.
    for (const c of (server as unknown as { connections: Set<{ close(): void }> }).connections ?? []) c.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** How many times each Message-ID was accepted. */
  counts(): Map<string, number> {
    const out = new Map<string, number>();
    for (const m of this.accepted) out.set(m.messageId, (out.get(m.messageId) ?? 0) + 1);
    return out;
  }
}
