import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { once } from 'node:events';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { clock } from '../clock.js';
import { AppError } from '../errors.js';
import { CLOSE_GRACE_MS, MAX_MESSAGE_BYTES, MAX_SMTP_CLIENTS, MAX_SMTP_RECIPIENTS, SMTP_IDLE_TIMEOUT_MS } from './limits.js';
import { silentLogger, type SandboxLogger } from './logger.js';
import { normalizeAddress, type MailboxStore } from './mailboxStore.js';

export interface SmtpServerOptions {
  store: MailboxStore;
  /** Default 127.0.0.1: the sandbox accepts mail for anyone and must not become an open relay. */
  host?: string;
  /** 0 picks a free port; read the real one from the result. */
  port: number;
  /** Our name in the greeting and the Received header. */
  hostname?: string;
  /** Tests lower it to exercise the 552 reply without sending 60 MB. */
  maxMessageBytes?: number;
  /** Connections at once; the next gets 421 and is closed (default MAX_SMTP_CLIENTS). */
  maxClients?: number;
  logger?: SandboxLogger;
}

export interface SmtpServer {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

interface SmtpReplyError extends Error {
  responseCode: number;
}

function smtpError(responseCode: number, message: string): SmtpReplyError {
  return Object.assign(new Error(message), { responseCode });
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** RFC 5322 date-time in UTC (`Date#toUTCString` ends in the obsolete "GMT" zone). */
function rfc5322Date(date: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return (
    `${DAYS[date.getUTCDay()]}, ${pad(date.getUTCDate())} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}

/** Client-supplied text going into a header: no line breaks (header injection), no controls. */
function headerSafe(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, 255);
}

/**
 * What a real MTA prepends on final delivery: Return-Path (the envelope sender, RFC 5321
 * section 4.4), Delivered-To (the envelope recipient, as Postfix and Dovecot write it) and the
 * Received trace line. Tracking code must cope with these as it does with real mail.
 */
export function traceHeaders(params: {
  from: string;
  to: string;
  helo: string;
  remoteAddress: string;
  protocol: string;
  hostname: string;
  sessionId: string;
  date: Date;
}): Buffer {
  const lines = [
    `Return-Path: <${headerSafe(params.from)}>`,
    `Delivered-To: ${headerSafe(params.to)}`,
    `Received: from ${headerSafe(params.helo)} ([${headerSafe(params.remoteAddress)}])`,
    `\tby ${headerSafe(params.hostname)} (Mailtrail sandbox) with ${headerSafe(params.protocol)} id ${headerSafe(params.sessionId)}`,
    `\tfor <${headerSafe(params.to)}>; ${rfc5322Date(params.date)}`,
  ];
  return Buffer.from(lines.join('\r\n') + '\r\n', 'utf8');
}

async function* prefixed(prefix: Buffer, file: string): AsyncGenerator<Buffer> {
  yield prefix;
  for await (const chunk of createReadStream(file)) yield chunk as Buffer;
}

/**
 * The sandbox SMTP server: no relay, no checks, every RCPT gets a copy in its mailbox. The
 * message is spooled to disk once while it arrives (nothing is held in memory), then filed
 * into each recipient's mailbox with that recipient's trace headers on top.
 */
export async function startSmtpServer(options: SmtpServerOptions): Promise<SmtpServer> {
  const { store } = options;
  const log = options.logger ?? silentLogger;
  const hostname = options.hostname ?? 'sandbox.mailtrail.localhost';
  const maxMessageBytes = options.maxMessageBytes ?? MAX_MESSAGE_BYTES;

  async function receive(stream: SMTPServerDataStream, session: SMTPServerSession): Promise<void> {
    const spool = await store.tempPath();
    try {
      // past the limit smtp-server keeps feeding us the rest of the DATA; swallow it
      const dropOverflow = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          done(null, stream.sizeExceeded ? undefined : chunk);
        },
      });
      await pipeline(stream, dropOverflow, createWriteStream(spool, { flags: 'wx' }));
      if (stream.sizeExceeded) {
        throw smtpError(552, `Message exceeds fixed maximum message size ${maxMessageBytes}`);
      }
      const from = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
      const recipients = [...new Set(session.envelope.rcptTo.map((r) => normalizeAddress(r.address)))];
      const date = clock().now();
      const filed: { address: string; id: string }[] = [];
      try {
        for (const to of recipients) {
          const header = traceHeaders({
            from,
            to,
            helo: session.hostNameAppearsAs || 'unknown',
            remoteAddress: session.remoteAddress,
            protocol: session.transmissionType,
            hostname,
            sessionId: session.id,
            date,
          });
          const stored = await store.deliver(to, Readable.from(prefixed(header, spool)));
          filed.push({ address: to, id: stored.id });
        }
      } catch (err) {
        // SMTP has one reply for all recipients, and the client will retry all of them
        await Promise.all(filed.map((f) => store.remove(f.address, f.id).catch(() => false)));
        throw err;
      }
      log.info({ from, to: recipients, size: stream.byteLength, ids: filed.map((f) => f.id) }, 'sandbox SMTP message filed');
    } finally {
      await rm(spool, { force: true });
    }
  }

  const server = new SMTPServer({
    name: hostname,
    banner: 'Mailtrail sandbox, accepts mail for any address',
    logger: false,
    // loopback only; STARTTLS would need a certificate and nodemailer would try to use it
    disabledCommands: ['STARTTLS'],
    // Mailtrail's sending settings may carry credentials: take any, require none
    authMethods: ['PLAIN', 'LOGIN'],
    authOptional: true,
    allowInsecureAuth: true,
    size: maxMessageBytes,
    rejectOversized: true,
    maxRecipients: MAX_SMTP_RECIPIENTS,
    maxClients: options.maxClients ?? MAX_SMTP_CLIENTS,
    disableReverseLookup: true,
    socketTimeout: SMTP_IDLE_TIMEOUT_MS,
    closeTimeout: CLOSE_GRACE_MS,
    onAuth(auth, _session, callback) {
      callback(null, { user: auth.username ?? 'anonymous' });
    },
    onRcptTo(address, _session, callback) {
      try {
        normalizeAddress(address.address);
        callback();
      } catch {
        callback(smtpError(553, `<${address.address}> cannot be a sandbox mailbox`));
      }
    },
    onData(stream, session, callback) {
      receive(stream, session).then(
        () => callback(),
        (err: unknown) => {
          if (err instanceof AppError && err.code === 'message_too_large') {
            callback(smtpError(552, err.message));
          } else if ((err as Partial<SmtpReplyError>).responseCode === undefined) {
            log.error({ err: err instanceof Error ? err.message : String(err) }, 'sandbox SMTP delivery failed');
            callback(smtpError(451, 'Local error in processing, try again later'));
          } else {
            callback(err as SmtpReplyError);
          }
        },
      );
    },
  });
  server.on('error', (err) => log.warn({ err: err.message }, 'sandbox SMTP connection error'));

  const host = options.host ?? '127.0.0.1';
  server.listen(options.port, host);
  await once(server.server, 'listening'); // rejects on EADDRINUSE and the like
  const port = (server.server.address() as AddressInfo).port;
  log.info({ host, port }, 'sandbox SMTP server listening');

  return {
    host,
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
