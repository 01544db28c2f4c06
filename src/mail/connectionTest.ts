import { AppError } from '../errors.js';
import { GraphError } from './graph/client.js';
import { IMAP_ERROR_CODES, ImapError } from './imap/errors.js';
import { Pop3Error, pop3ErrorCodes } from './pop3/errors.js';

/**
 * The one sentence an admin's "test connection" answers on failure, from a fixed list and never
 * with the other side's words. The host and port are the caller's to choose, so echoing what
 * answered there (an SSH banner, an HTTP status line, a database greeting) would make the route
 * a port scanner that reads banners (finding 6 of issue 13). Whether something listens at all
 * still shows (refused vs. not mail); that much any TCP connect tells.
 */
export function connectionTestFailure(err: unknown): string {
  if (err instanceof Pop3Error) return pop3ErrorCodes[err.code];
  if (err instanceof ImapError) return IMAP_ERROR_CODES[err.code];
  // Our own sentence (e.g. Graph needs OAuth2), never a server's text.
  if (err instanceof AppError) return err.message;
  // Graph: the status and Microsoft's error code (a fixed vocabulary), never the body's message.
  if (err instanceof GraphError) return err.status === 0 ? 'The Graph endpoint could not be reached.' : `Microsoft Graph answered ${err.status} ${err.code}.`;
  const e = (typeof err === 'object' && err !== null ? err : {}) as { code?: string; responseCode?: number; message?: string };
  const code = e.code ?? '';
  if (code === 'EAUTH' || e.responseCode === 535 || e.responseCode === 534 || e.responseCode === 530) return 'The server refused the user name or password.';
  if (
    code === 'ETLS' ||
    code.startsWith('ERR_SSL') ||
    code.startsWith('CERT_') ||
    code === 'DEPTH_ZERO_SELF_SIGNED_CERT' ||
    code === 'SELF_SIGNED_CERT_IN_CHAIN'
  )
    return 'TLS could not be negotiated.';
  if (code === 'ETIMEDOUT' || code === 'ETIMEOUT') return 'The server did not answer in time.';
  if (code === 'EDNS' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'The host name could not be resolved.';
  if (code === 'ECONNREFUSED' || /ECONNREFUSED/.test(e.message ?? '')) return 'The connection was refused.';
  if (code === 'EPROTOCOL' || code === 'EENVELOPE') return 'The server does not speak the expected mail protocol.';
  if (code === 'ECONNECTION' || code === 'ESOCKET' || code === 'ECONNRESET' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH')
    return 'The connection could not be opened, or closed early.';
  return 'The test failed.';
}
