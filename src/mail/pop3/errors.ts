import { AppError } from '../../errors.js';

/**
 * Every way a POP3 conversation can fail, in one place. Codes follow Node's and nodemailer's
 * `E…` style because callers (the tracking poller, the admin "test connection" route) already
 * handle nodemailer's SMTP errors and should branch on POP3 failures the same way.
 */
export const pop3ErrorCodes = {
  ECONNECTION: 'The connection could not be opened, or closed before the reply was complete.',
  ETIMEDOUT: 'The server did not answer in time.',
  ETLS: 'TLS could not be negotiated.',
  EAUTH: 'The server refused the user name or password.',
  ECOMMAND: 'The server answered -ERR.',
  EPROTOCOL: 'The server sent something that is not POP3.',
  ELINETOOLONG: 'The server sent a line longer than the client accepts.',
  EMSGSIZE: 'The message is larger than the client accepts.',
  ESTATE: 'The command is not allowed in the current session state.',
  EARGUMENT: 'A command argument is invalid.',
} as const;

export type Pop3ErrorCode = keyof typeof pop3ErrorCodes;

export interface Pop3ErrorInfo {
  /** The command as sent, with any password masked; `CONN` for the greeting, `TLS` for handshakes. */
  command?: string | undefined;
  /** The server's status line, when there was one. */
  response?: string | undefined;
  cause?: unknown;
}

/**
 * A POP3 failure. `responseCode` is the RFC 2449 extended code in brackets after -ERR
 * (`IN-USE`, `LOGIN-DELAY`, `SYS/TEMP`, `AUTH`…), which tells a poller whether to retry later.
 */
export class Pop3Error extends AppError {
  readonly command: string | undefined;
  readonly response: string | undefined;
  readonly responseCode: string | undefined;
  override readonly code: Pop3ErrorCode;

  constructor(code: Pop3ErrorCode, message: string, info: Pop3ErrorInfo = {}) {
    // A mail server we cannot talk to is an upstream problem, not the caller's bad input.
    super('unavailable', code, message, {
      command: info.command,
      response: info.response,
    });
    this.name = 'Pop3Error';
    this.code = code;
    this.command = info.command;
    this.response = info.response;
    this.responseCode = info.response ? extendedCode(info.response) : undefined;
    if (info.cause !== undefined) this.cause = info.cause;
  }
}

export function pop3Error(code: Pop3ErrorCode, info: Pop3ErrorInfo = {}, detail?: string): Pop3Error {
  const parts: string[] = [pop3ErrorCodes[code]];
  if (detail) parts.push(detail);
  if (info.command) parts.push(`Command: ${info.command}.`);
  if (info.response) parts.push(`Response: ${info.response}`);
  return new Pop3Error(code, parts.join(' '), info);
}

/** Passwords never reach logs or error messages. */
export function maskCommand(command: string): string {
  const space = command.indexOf(' ');
  const verb = (space < 0 ? command : command.slice(0, space)).toUpperCase();
  if (verb === 'PASS') return 'PASS ****';
  // AUTH XOAUTH2 <initial response>: the response carries the bearer token.
  if (verb === 'AUTH') return `AUTH ${command.split(' ')[1] ?? ''} ****`;
  if (verb === 'APOP') {
    const user = command.split(' ')[1] ?? '';
    return `APOP ${user} ****`;
  }
  return command;
}

function extendedCode(response: string): string | undefined {
  const m = /^-ERR \[([A-Za-z0-9/-]+)\]/.exec(response);
  return m?.[1]?.toUpperCase();
}
