#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { backupInstance, restoreInstance, RestoreRefused, type Summary } from './backup/index.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { AppError } from './errors.js';
import { demoBanner } from './demo/index.js';
import { reprocessInbound } from './inbound/index.js';
import { createLogger } from './log.js';
import { runSandboxCommand } from './sandbox/module.js';
import { allModules } from './modules.js';
import { openContext, startServer } from './server.js';
import { createUser } from './users/users.service.js';
import { blobBackendOf, migrateBlobs, openBlobBackend } from './store/blobs.open.js';
import { VERSION } from './version.js';

const HELP = `mailtrail ${VERSION} — a tracker whose heart is tracked email

Usage: mailtrail <command> [options]

Commands:
  serve                 Run the HTTP API, web client, sender, poller and rules (production form).
  start                 Like serve, but demo mode is on by default (what "npm start" runs).
  migrate               Apply database migrations and exit.
  inbound reprocess [ID…]
                        Process stored inbound messages again (all rejected/unmatched ones, or the ids given),
                        e.g. after a fix; nothing is fetched or deleted from the mailbox.
  blobs migrate --to folder|database
                        Copy every raw message and attachment to the other blob backend (MAILTRAIL_BLOBS),
                        then set MAILTRAIL_BLOBS to it. The source is left as it was.
  backup FILE           Write a consistent snapshot of the database and every raw message and attachment into
                        one tar file, while the server runs (docs/operations.md).
  restore FILE          Restore a backup into an empty instance (DATABASE_URL, MAILTRAIL_BLOBS; the same
                        MAILTRAIL_SECRET as the instance backed up). Refuses a database that holds rows.
  sandbox               Run only the built-in mail sandbox (SMTP + POP3 on MAILTRAIL_SANDBOX_*_PORT) until Ctrl+C.
  user add              Add a user: --username U --full-name "N" --email E [--password P] [--admin]
                        (without --password, one is generated and printed).
  --help, -h            Show this help.   --version  Print the version.

Configuration comes from the environment (see README.md):
  PORT, HOST, MAILTRAIL_DATA, DATABASE_URL, MAILTRAIL_SECRET, MAILTRAIL_ADMIN_PASSWORD,
  MAILTRAIL_DEMO, MAILTRAIL_BLOBS, MAILTRAIL_METRICS_TOKEN, MAILTRAIL_METRICS_PORT, MAILTRAIL_SHUTDOWN_SECONDS, MAILTRAIL_SANDBOX_SMTP_PORT, MAILTRAIL_SANDBOX_POP3_PORT, LOG_LEVEL.
`;

async function serve(config: Config): Promise<void> {
  const log = createLogger(config.logLevel);
  const running = await startServer(config, allModules(config), {
    log,
    onAdminPassword: (password) => {
      process.stdout.write(
        `\n  The built-in admin was created.\n  Username: admin\n  Password: ${password}\n  (shown once; set MAILTRAIL_ADMIN_PASSWORD to choose it)\n\n`,
      );
    },
  });
  const where = running.url.replace('://127.0.0.1', '://localhost');
  process.stdout.write(`\n  Mailtrail ${VERSION} is running at ${where}  (database: ${running.ctx.store.dialect}${config.demo ? ', demo mode' : ''})\n\n`);
  if (config.demo) process.stdout.write(demoBanner(config, { url: where }));
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    // The bound: a send or poll that hangs (a dead SMTP server mid-DATA) must not keep the
    // process from exiting; what it held is recovered by the lease and the lock's end.
    const bound = config.shutdownSeconds ?? 30;
    setTimeout(() => {
      log.error({ seconds: bound }, 'shutdown took too long; exiting with work unfinished');
      process.exit(1);
    }, bound * 1000).unref();
    running.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP);
    return;
  }
  if (command === '--version') {
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  switch (command) {
    case 'serve':
      return serve(loadConfig(process.env, { demo: false }));
    case 'start':
      return serve(loadConfig(process.env, { demo: true }));
    case 'inbound': {
      const [sub, ...ids] = rest;
      if (sub !== 'reprocess') throw new UsageError('usage: mailtrail inbound reprocess [ID …]');
      const ctx = await openContext(loadConfig(), createLogger('warn'));
      try {
        const report = await reprocessInbound(ctx, ids.length > 0 ? ids : undefined);
        process.stdout.write(`${JSON.stringify(report.counts)}\n`);
      } finally {
        await ctx.store.close();
      }
      return;
    }
    case 'blobs': {
      const [sub, ...args] = rest;
      const { values } = parseArgs({ args, options: { to: { type: 'string' } }, strict: true });
      const to = values.to === 'postgres' ? 'database' : values.to;
      if (sub !== 'migrate' || (to !== 'folder' && to !== 'database')) throw new UsageError('usage: mailtrail blobs migrate --to folder|database');
      const config = loadConfig();
      const ctx = await openContext(config, createLogger('warn'));
      try {
        const target = openBlobBackend(to, config, ctx.store, { fallback: false });
        const sourceBackend = to === 'folder' ? 'database' : 'folder';
        if (sourceBackend === 'folder' && !existsSync(join(config.dataDir, 'blobs')))
          throw new UsageError(`there is no blob folder in ${config.dataDir} to migrate from`);
        const source = openBlobBackend(sourceBackend, config, ctx.store, { fallback: false });
        const report = await migrateBlobs(source, target);
        process.stdout.write(`blobs ${sourceBackend} → ${to}: ${report.copied} copied (${report.bytes} bytes), ${report.skipped} already there
`);
        if (blobBackendOf(config) !== to)
          process.stdout.write(`now start the server with MAILTRAIL_BLOBS=${to}
`);
      } finally {
        await ctx.store.close();
      }
      return;
    }
    case 'backup':
    case 'restore': {
      const [file, ...extra] = rest;
      if (!file || extra.length > 0) throw new UsageError(`usage: mailtrail ${command} FILE`);
      const config = loadConfig(process.env, { demo: false });
      const summary = command === 'backup' ? await backupInstance(config, file) : await restoreInstance(config, file);
      process.stdout.write(`${command === 'backup' ? 'backed up into' : 'restored from'} ${file}: ${describe(summary)}\n`);
      return;
    }
    case 'sandbox':
      return runSandboxCommand(loadConfig(process.env, { demo: false }));
    case 'migrate': {
      const ctx = await openContext(loadConfig(), createLogger('warn'));
      await ctx.store.close();
      process.stdout.write(`migrations applied (${ctx.store.dialect})\n`);
      return;
    }
    case 'user': {
      const [sub, ...args] = rest;
      if (sub !== 'add') throw new UsageError('usage: mailtrail user add --username U --full-name N --email E [--password P] [--admin]');
      const { values } = parseArgs({
        args,
        options: {
          username: { type: 'string' },
          'full-name': { type: 'string' },
          email: { type: 'string' },
          password: { type: 'string' },
          admin: { type: 'boolean', default: false },
        },
        strict: true,
      });
      if (!values.username || !values.email) throw new UsageError('user add needs --username and --email');
      const password = values.password ?? (await import('node:crypto')).randomBytes(12).toString('base64url');
      const ctx = await openContext(loadConfig(), createLogger('warn'));
      try {
        const user = await createUser(ctx.store.db, {
          username: values.username,
          fullName: values['full-name'] ?? values.username,
          email: values.email,
          password,
          isAdmin: values.admin,
        });
        process.stdout.write(`added user ${user.username} <${user.email}>${values.password ? '' : ` with password ${password}`}\n`);
      } finally {
        await ctx.store.close();
      }
      return;
    }
    default:
      throw new UsageError(`unknown command "${command}"; see mailtrail --help`);
  }
}

class UsageError extends Error {}

function describe(summary: Summary): string {
  const rows = Object.values(summary.rows).reduce((a, b) => a + b, 0);
  return `${rows} rows in ${Object.keys(summary.rows).length} tables, ${summary.blobs} blobs (${summary.blobBytes} bytes)`;
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof UsageError || err instanceof ConfigError || err instanceof AppError || err instanceof RestoreRefused) {
    process.stderr.write(`mailtrail: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`mailtrail: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
