import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface SunkMessage {
  from: string;
  to: string[];
  raw: Buffer;
}

/**
 * A local SMTP server that keeps what it receives, for outbox tests that need to see exact
 * bytes or make the server fail on purpose. The real Postfix is used where delivery matters.
 */
export class SmtpSink {
  readonly messages: SunkMessage[] = [];
  /** Set to an SMTP error (e.g. {code: 550, message: 'no such user'}) to reject RCPT TO. */
  rejectRcpt: { code: number; message: string } | undefined;
  /** Rejections of single addresses (lower-case), for sends some of whose recipients are refused. */
  readonly rejectAddress = new Map<string, { code: number; message: string }>();
  private server: SMTPServer | undefined;
  port = 0;

  async start(port = 0): Promise<this> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onRcptTo: (address, _session, cb) => {
        const reject = this.rejectAddress.get(address.address.toLowerCase()) ?? this.rejectRcpt;
        if (reject) {
          const err = Object.assign(new Error(reject.message), { responseCode: reject.code });
          return cb(err);
        }
        cb();
      },
      onData: (stream, session, cb) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const mailFrom = session.envelope.mailFrom;
          this.messages.push({
            from: mailFrom ? mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks),
          });
          cb();
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }
}

/** A port nobody listens on (bound, read, released). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}
