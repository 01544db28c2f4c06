import { GraphError } from '../mail/graph/client.js';
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
  // Graph: a 4xx other than auth and throttling is a verdict on this message.
  if (err instanceof GraphError) return err.status >= 400 && err.status < 500 && ![401, 403, 408, 429].includes(err.status);
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
  if (err instanceof GraphError) return err.status === 0;
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
  // Graph has no way to sign in without sending: the test is that a token could be obtained.
  if (s.transport === 'graph') {
    return s.accessToken
      ? { ok: true, message: `Got an OAuth2 token for Microsoft Graph at ${s.host}; sendMail is used from the next email on.` }
      : { ok: false, message: 'Graph sending signs in with OAuth2 only: choose the tracking account whose sign-in it uses.' };
  }
  const transport = nodemailer.createTransport({ ...transportOptions(s), pool: false });
  try {
    await transport.verify();
    return {
      ok: true,
      message: `Connected to ${s.host}:${s.port}${s.username ? ` and signed in as ${s.username}${s.accessToken ? ' with OAuth2' : ''}` : ''}.`,
    };
  } catch (err) {
    return { ok: false, message: `${s.host}:${s.port}: ${connectionTestFailure(err)}` };
  } finally {
    transport.close();
  }
}
