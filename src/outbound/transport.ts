import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import { connectionTestFailure } from '../mail/connectionTest.js';
import type { SendingSettings } from './sendingSettings.js';

/** Connection timeouts in one place: a dead server must not hold a worker for minutes. */
export const SMTP_LIMITS = {
  connectionTimeoutMs: 15_000,
  greetingTimeoutMs: 15_000,
  socketTimeoutMs: 60_000,
};

export function transportOptions(s: SendingSettings): SMTPTransport.Options & { pool?: boolean; maxConnections?: number; maxMessages?: number } {
  return {
    host: s.host,
    port: s.port,
    secure: s.security === 'tls',
    requireTLS: s.security === 'starttls',
    // "none" means none: opportunistic STARTTLS against a server with a bad certificate would fail every send.
    ignoreTLS: s.security === 'none',
    ...(s.username && s.accessToken
      ? { auth: { type: 'OAuth2' as const, user: s.username, accessToken: s.accessToken } }
      : s.username
        ? { auth: { user: s.username, pass: s.password ?? '' } }
        : {}),
    tls: { rejectUnauthorized: !s.allowSelfSigned },
    pool: !s.onePerConnection,
    maxConnections: s.onePerConnection ? 1 : s.maxConnections,
    maxMessages: s.onePerConnection ? 1 : 100,
    connectionTimeout: SMTP_LIMITS.connectionTimeoutMs,
    greetingTimeout: SMTP_LIMITS.greetingTimeoutMs,
    socketTimeout: SMTP_LIMITS.socketTimeoutMs,
  };
}

export function createTransport(s: SendingSettings): Transporter {
  return nodemailer.createTransport(transportOptions(s));
}

/** SMTP errors that will not get better by trying again: 5xx replies (except auth, a config problem). */
export function isPermanent(err: unknown): boolean {
  const e = err as { responseCode?: number; code?: string };
  return typeof e.responseCode === 'number' && e.responseCode >= 500 && e.code !== 'EAUTH';
}

/**
 * The server could not be reached or dropped the connection before answering (no SMTP reply
 * at all): an outage of the mail server or the network, not a verdict on this message. Such
 * failures retry for as long as the outage lasts instead of using up the attempt budget, which
 * is meant for servers that keep answering 4xx.
 */
export function isServerUnreachable(err: unknown): boolean {
  const e = err as { responseCode?: number; code?: string };
  return typeof e.responseCode !== 'number' && ['ESOCKET', 'ECONNECTION', 'ETIMEDOUT', 'EDNS', 'ECONNREFUSED', 'ECONNRESET'].includes(e.code ?? '');
}

export function describeSmtpError(err: unknown): string {
  const e = err as { message?: string; response?: string; responseCode?: number; command?: string };
  if (e.response) return `${e.response}${e.command ? ` (after ${e.command.replace(/AUTH .*/i, 'AUTH ****')})` : ''}`;
  return e.message ?? String(err);
}

/** Connects and authenticates without sending anything (Server options → Sending → Test). */
export async function testSending(s: SendingSettings): Promise<{ ok: boolean; message: string }> {
  const transport = nodemailer.createTransport({ ...transportOptions(s), pool: false });
  try {
    await transport.verify();
    return { ok: true, message: `Connected to ${s.host}:${s.port}${s.username ? ` and signed in as ${s.username}${s.accessToken ? ' with OAuth2' : ''}` : ''}.` };
  } catch (err) {
    return { ok: false, message: `${s.host}:${s.port}: ${connectionTestFailure(err)}` };
  } finally {
    transport.close();
  }
}
