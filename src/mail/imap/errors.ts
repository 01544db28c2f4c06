import { AppError } from '../../errors.js';

/**
 * The IMAP client's error catalogue. Every failure the tracking poller can meet is one of these
 * codes, with the server's response and the command that drew it (credentials never appear:
 * imapflow masks LOGIN/AUTHENTICATE in `executedCommand`, and we never put them in a message).
 */
export const IMAP_ERROR_CODES = {
  imap_connect_failed: 'Could not connect to the IMAP server.',
  imap_tls_failed: 'The TLS handshake with the IMAP server failed.',
  imap_starttls_unavailable: 'The IMAP server does not offer STARTTLS.',
  imap_auth_failed: 'The IMAP server refused the user name or password.',
  imap_timeout: 'The IMAP server did not answer in time.',
  imap_connection_lost: 'The connection to the IMAP server was lost.',
  imap_no_mailbox: 'The IMAP mailbox could not be opened.',
  imap_command_failed: 'The IMAP server refused a command.',
  imap_message_too_large: 'The message is larger than the client accepts.',
  imap_message_missing: 'The message is no longer on the IMAP server.',
  imap_protocol_error: 'The IMAP server sent something the client could not read.',
} as const;

export type ImapErrorCode = keyof typeof IMAP_ERROR_CODES;

/** An AppError of kind 'unavailable': a mail server we cannot talk to is an upstream problem (503). */
export class ImapError extends AppError {
  override readonly code: ImapErrorCode;
  /** The server's text for the failed command, when there was one. */
  readonly response: string | undefined;
  /** The command that failed (never with credentials). */
  readonly command: string | undefined;

  constructor(code: ImapErrorCode, message: string, opts: { response?: string; command?: string; cause?: unknown } = {}) {
    super('unavailable', code, message, { command: opts.command, response: opts.response });
    this.name = 'ImapError';
    if (opts.cause !== undefined) this.cause = opts.cause;
    this.code = code;
    this.response = opts.response;
    this.command = opts.command;
  }
}

/** The fields imapflow (and Node's socket layer) put on their errors that we read. */
interface RawImapError {
  message?: string;
  code?: string;
  authenticationFailed?: boolean;
  tlsFailed?: boolean;
  responseText?: string;
  response?: unknown;
  executedCommand?: string;
  command?: string;
  serverResponseCode?: string;
  mailboxMissing?: boolean;
}

const timeoutCodes = new Set(['CONNECT_TIMEOUT', 'GREETING_TIMEOUT', 'UPGRADE_TIMEOUT', 'ETIMEOUT', 'ETIMEDOUT']);
const lostCodes = new Set(['NoConnection', 'EConnectionClosed', 'ClosedAfterConnectText', 'ClosedAfterConnectTLS', 'ECONNRESET', 'EPIPE']);
const connectCodes = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
const tooLargeCodes = new Set(['LiteralTooLarge', 'ResponseTooLarge', 'LineTooLarge', 'DownloadOverflow']);

/** Maps whatever imapflow or the socket threw to one catalogue entry, keeping the server's words. */
export function toImapError(err: unknown, command?: string): ImapError {
  if (err instanceof ImapError) return err;
  const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as RawImapError;
  const response = e.responseText ?? (typeof e.response === 'string' ? e.response : undefined);
  const cmd = command ?? e.command ?? e.executedCommand;
  const detail = response ? `${response}` : (e.message ?? 'unknown error');
  const make = (code: ImapErrorCode, extra?: string) =>
    new ImapError(code, `${IMAP_ERROR_CODES[code]}${extra ? ` (${extra})` : ''}`, {
      ...(response !== undefined ? { response } : {}),
      ...(cmd !== undefined ? { command: cmd } : {}),
      cause: err,
    });
  const code = e.code ?? '';
  if (e.authenticationFailed) return make('imap_auth_failed', detail);
  if (
    e.tlsFailed ||
    /certificate|self[- ]signed|SSL|TLS/i.test(e.message ?? '') ||
    code.startsWith('ERR_SSL') ||
    code.startsWith('CERT_') ||
    code === 'DEPTH_ZERO_SELF_SIGNED_CERT'
  ) {
    if (/STARTTLS/i.test(e.message ?? '') && /not (offer|support|advertis)/i.test(e.message ?? '')) return make('imap_starttls_unavailable', detail);
    return make('imap_tls_failed', detail);
  }
  if (timeoutCodes.has(code)) return make('imap_timeout', detail);
  if (lostCodes.has(code)) return make('imap_connection_lost', detail);
  if (connectCodes.has(code)) return make('imap_connect_failed', `${code} ${e.message ?? ''}`.trim());
  if (tooLargeCodes.has(code)) return make('imap_message_too_large', detail);
  if (e.mailboxMissing) return make('imap_no_mailbox', detail);
  if (code.startsWith('ParserError') || code === 'InvalidResponse' || code === 'UnexpectedTag' || code === 'TooManyTokens') {
    return make('imap_protocol_error', detail);
  }
  if (response !== undefined) return make('imap_command_failed', detail);
  return make('imap_connection_lost', detail);
}
