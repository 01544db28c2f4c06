import { ConfigError, type Config } from '../config.js';
import { sandboxRoutes } from './sandbox.routes.js';
import { DEMO_SANDBOX_CUSTOMERS } from '../demo/index.js';
import { createLogger } from '../log.js';
import type { Module } from '../core/module.js';
import { startSandbox, type Sandbox, type SandboxLogger } from './index.js';

/**
 * Loopback only, always: the sandbox accepts mail for any address from anyone and any POP3
 * password, which is fine for a demo on one machine and an open relay anywhere else.
 */
export const SANDBOX_HOST = '127.0.0.1';

export interface SandboxModuleOptions {
  /** Run the sandbox even outside demo mode (its routes are then admin-only). Default: config.demo. */
  enabled?: boolean;
}

/** Starts the sandbox, turning "port in use" into a sentence that names the variable to change. */
async function startConfigured(config: Pick<Config, 'dataDir' | 'sandboxSmtpPort' | 'sandboxPop3Port'>, logger: SandboxLogger): Promise<Sandbox> {
  try {
    return await startSandbox({
      dataDir: config.dataDir,
      host: SANDBOX_HOST,
      smtpPort: config.sandboxSmtpPort,
      pop3Port: config.sandboxPop3Port,
      acceptAnyPassword: true,
      logger,
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { port?: number };
    if (e.code === 'EADDRINUSE' || e.code === 'EACCES') {
      const which = e.port === config.sandboxPop3Port ? 'MAILTRAIL_SANDBOX_POP3_PORT' : 'MAILTRAIL_SANDBOX_SMTP_PORT';
      const why = e.code === 'EADDRINUSE' ? 'is in use' : 'needs privileges';
      throw new ConfigError(
        `The mail sandbox cannot listen on ${SANDBOX_HOST}:${e.port ?? '?'} (the port ${why}). ` +
          `Set ${which} to a free port, or MAILTRAIL_DEMO=0 to run without the sandbox.`,
      );
    }
    throw err;
  }
}

/**
 * The built-in mail sandbox as a server module (CONTRACT section 6): started with the workers
 * when demo mode (or `enabled`) asks for it, stopped on close. Its routes are always there and
 * answer 404 `sandbox_not_running` while it is not, so the web client can say so.
 * `config` decides whether it runs and who may use it; ports and data folder are read from
 * the running server's config at start.
 */
export function sandboxModule(config: Pick<Config, 'demo'>, opts: SandboxModuleOptions = {}): Module & { sandbox(): Sandbox | undefined } {
  const enabled = opts.enabled ?? config.demo;
  let sandbox: Sandbox | undefined;
  return {
    name: 'sandbox',
    routes: async (app) => {
      await app.register(sandboxRoutes({ sandbox: () => sandbox, host: SANDBOX_HOST, access: config.demo ? 'user' : 'admin', customers: config.demo ? DEMO_SANDBOX_CUSTOMERS : [] }));
    },
    start: async (ctx) => {
      if (!enabled) return undefined;
      const started = await startConfigured(ctx.config, ctx.log.child({ module: 'sandbox' }));
      sandbox = started;
      ctx.log.info({ smtpPort: started.smtpPort, pop3Port: started.pop3Port }, 'mail sandbox running');
      return {
        name: 'sandbox',
        stop: async () => {
          sandbox = undefined;
          await started.close();
        },
      };
    },
    sandbox: () => sandbox,
  };
}

export function sandboxSummary(sandbox: Pick<Sandbox, 'smtpPort' | 'pop3Port'>, dataDir: string): string {
  return [
    `  SMTP  ${SANDBOX_HOST}:${sandbox.smtpPort}   accepts mail for any address, files it per recipient`,
    `  POP3  ${SANDBOX_HOST}:${sandbox.pop3Port}   user = the mailbox address, any password`,
    `  Mailboxes in ${dataDir}/sandbox/`,
  ].join('\n');
}

/**
 * `mailtrail sandbox`: only the mail sandbox, no HTTP server or database, until SIGINT/SIGTERM
 * (or `signal`, for tests). For pointing a separately running Mailtrail, or a test, at it.
 */
export async function runSandboxCommand(
  config: Config,
  opts: { write?: (text: string) => void; signal?: AbortSignal } = {},
): Promise<void> {
  const write = opts.write ?? ((text: string) => void process.stdout.write(text));
  const log = createLogger(config.logLevel);
  const sandbox = await startConfigured(config, log.child({ module: 'sandbox' }));
  write(`\n  Mailtrail mail sandbox is running\n${sandboxSummary(sandbox, config.dataDir)}\n  Press Ctrl+C to stop.\n\n`);
  await new Promise<void>((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      opts.signal?.removeEventListener('abort', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
    if (opts.signal?.aborted) done();
    else opts.signal?.addEventListener('abort', done);
  });
  await sandbox.close();
  write('  Mail sandbox stopped.\n');
}
