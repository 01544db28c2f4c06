import { GraphClient, type TokenSource } from '../../mail/graph/client.js';

/** The part of a nodemailer Transporter the sender uses, so SMTP and Graph are interchangeable. */
export interface MailTransport {
  sendMail(mail: { envelope: { from: string; to: string[] }; raw: Buffer }): Promise<{ rejected?: (string | { address: string })[] }>;
  close(): void;
}

/** The From address of raw MIME (the header block only; the first address). */
export function fromAddressOf(raw: Buffer): string | undefined {
  const end = raw.indexOf('\r\n\r\n');
  const head = raw
    .subarray(0, end < 0 ? Math.min(raw.length, 64 * 1024) : end)
    .toString('latin1')
    .replace(/\r?\n[ \t]+/g, ' ');
  const line = /^from:(.*)$/im.exec(head)?.[1];
  return line ? (/<([^<>\s]+@[^<>\s]+)>/.exec(line)?.[1] ?? /([^\s<>",]+@[^\s<>",]+)/.exec(line)?.[1]) : undefined;
}

/**
 * Sending through Graph's sendMail with the raw MIME: Graph takes the recipients from the
 * To/Cc/Bcc headers and keeps our Message-ID. It has no envelope, so the VERP bounce address
 * cannot be set (bounces go to the sending mailbox and are matched by the original's
 * Message-ID). The sending mailbox is the configured one, or else the message's From (with the
 * application permission Mail.Send any mailbox of the tenant may send).
 */
export class GraphMailTransport implements MailTransport {
  private readonly client: GraphClient;

  constructor(
    opts: { baseUrl: string; tokens: TokenSource; sleep?: (ms: number) => Promise<void> },
    private readonly mailbox?: string,
  ) {
    this.client = new GraphClient(opts);
  }

  async sendMail(mail: { envelope: { from: string; to: string[] }; raw: Buffer }): Promise<{ rejected: string[] }> {
    const sender = this.mailbox || fromAddressOf(mail.raw) || mail.envelope.from;
    await this.client.sendMime(sender, mail.raw);
    return { rejected: [] };
  }

  close(): void {}
}
