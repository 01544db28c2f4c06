import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { MAX_POP3_CLIENTS, POP3_IDLE_TIMEOUT_MS } from './limits.js';
import { silentLogger, type SandboxLogger } from './logger.js';
import type { MailboxStore } from './mailboxStore.js';
import { Pop3Session, type PasswordLookup, type Pop3Context } from './pop3Session.js';

export type { PasswordLookup } from './pop3Session.js';

export interface Pop3ServerOptions {
  store: MailboxStore;
  /** Default 127.0.0.1: the sandbox speaks cleartext and must not be reachable from elsewhere. */
  host?: string;
  /** 0 picks a free port; read the real one from the result. */
  port: number;
  /** Any password logs in (demo mode). Defaults to true when no `passwordFor` is given. */
  acceptAnyPassword?: boolean;
  passwordFor?: PasswordLookup;
  idleTimeoutMs?: number;
  /** Sessions at once; the next is answered -ERR [SYS/TEMP] and closed (default MAX_POP3_CLIENTS). */
  maxClients?: number;
  logger?: SandboxLogger;
}

export interface Pop3Server {
  readonly host: string;
  readonly port: number;
  /** Stops listening and drops open sessions, which commits none of their deletions. */
  close(): Promise<void>;
}

/** RFC 1939 + RFC 2449 POP3 over the sandbox mailboxes. */
export async function startPop3Server(options: Pop3ServerOptions): Promise<Pop3Server> {
  const acceptAny = options.acceptAnyPassword ?? options.passwordFor === undefined;
  if (!acceptAny && options.passwordFor === undefined) {
    throw new Error('POP3 sandbox: acceptAnyPassword is off and no passwordFor was given, nobody could log in');
  }
  const log = options.logger ?? silentLogger;
  const context: Pop3Context = {
    store: options.store,
    passwordFor: acceptAny ? undefined : options.passwordFor,
    locks: new Set(),
    log,
  };
  const idleTimeoutMs = options.idleTimeoutMs ?? POP3_IDLE_TIMEOUT_MS;
  const sessions = new Set<Pop3Session>();
  let counter = 0;

  const maxClients = options.maxClients ?? MAX_POP3_CLIENTS;

  const server = createServer((socket: Socket) => {
    if (sessions.size >= maxClients) {
      // RFC 2449 section 8.1.2: SYS/TEMP, a problem on our side that may go away; try later.
      socket.on('error', () => undefined);
      socket.end('-ERR [SYS/TEMP] too many connections, try again in a moment\r\n', () => socket.destroy());
      return;
    }
    const session = new Pop3Session(socket, context, `pop3-${++counter}`);
    sessions.add(session);
    // RFC 1939 section 3: on the autologout timer the server closes without entering UPDATE
    socket.setTimeout(idleTimeoutMs, () => socket.destroy());
    socket.on('close', () => sessions.delete(session));
    session.start();
  });
  server.on('error', (err) => log.error({ err: err.message }, 'pop3 server error'));

  const host = options.host ?? '127.0.0.1';
  server.listen(options.port, host);
  await once(server, 'listening'); // rejects on EADDRINUSE and the like
  const port = (server.address() as AddressInfo).port;
  log.info({ host, port }, 'sandbox POP3 server listening');

  return {
    host,
    port,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const session of sessions) session.drop();
      await closed;
    },
  };
}
