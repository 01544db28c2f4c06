import { silentLogger, type SandboxLogger } from './logger.js';
import { MailboxStore } from './mailboxStore.js';
import { startPop3Server, type PasswordLookup, type Pop3Server } from './pop3Server.js';
import { startSmtpServer, type SmtpServer } from './smtpServer.js';

export { MailboxStore, normalizeAddress, type MailboxSummary, type StoredMessage } from './mailboxStore.js';
export { startPop3Server, type Pop3Server, type Pop3ServerOptions, type PasswordLookup } from './pop3Server.js';
export { startSmtpServer, traceHeaders, type SmtpServer, type SmtpServerOptions } from './smtpServer.js';
export type { SandboxLogger } from './logger.js';
export { MAX_MESSAGE_BYTES } from './limits.js';

export interface SandboxOptions {
  /** MAILTRAIL_DATA; mailboxes live in `<dataDir>/sandbox/`. */
  dataDir: string;
  /** Bind address of both servers, default 127.0.0.1. */
  host?: string;
  /** 0 for a free port (tests); the contract's defaults are 2525 and 2110. */
  smtpPort: number;
  pop3Port: number;
  /** Any POP3 password logs in (demo mode). Defaults to true when no `passwordFor` is given. */
  acceptAnyPassword?: boolean;
  passwordFor?: PasswordLookup;
  /** Tests lower these to exercise the limits quickly. */
  maxMessageBytes?: number;
  pop3IdleTimeoutMs?: number;
  /** Connections each server holds at once (default MAX_SMTP_CLIENTS / MAX_POP3_CLIENTS). */
  maxClients?: number;
  logger?: SandboxLogger;
}

export interface Sandbox {
  store: MailboxStore;
  /** The ports actually bound, which differ from the options when those were 0. */
  smtpPort: number;
  pop3Port: number;
  close(): Promise<void>;
}

/** The built-in mail system of CONTRACT section 6: SMTP in, POP3 out, mailboxes on disk. */
export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const logger = options.logger ?? silentLogger;
  const store = new MailboxStore({ dataDir: options.dataDir, logger });
  await store.recover();
  const smtp: SmtpServer = await startSmtpServer({
    store,
    host: options.host,
    port: options.smtpPort,
    maxMessageBytes: options.maxMessageBytes,
    maxClients: options.maxClients,
    logger,
  });
  let pop3: Pop3Server;
  try {
    pop3 = await startPop3Server({
      store,
      host: options.host,
      port: options.pop3Port,
      acceptAnyPassword: options.acceptAnyPassword,
      passwordFor: options.passwordFor,
      idleTimeoutMs: options.pop3IdleTimeoutMs,
      maxClients: options.maxClients,
      logger,
    });
  } catch (err) {
    await smtp.close();
    throw err;
  }
  return {
    store,
    smtpPort: smtp.port,
    pop3Port: pop3.port,
    close: async () => {
      await Promise.all([smtp.close(), pop3.close()]);
    },
  };
}

// What other features use of this one (docs/ARCHITECTURE.md: a feature is used only through its index.ts).
export { SANDBOX_HOST } from './module.js';
