import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';

/** The one config loader: everything the process reads from its environment goes through here. */
export type DatabaseConfig = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string; schema?: string };

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  database: DatabaseConfig;
  secret: string;
  adminPassword: string | undefined;
  demo: boolean;
  sandboxSmtpPort: number;
  sandboxPop3Port: number;
  logLevel: string;
  /** Where raw messages and attachments live; unset: the database on PostgreSQL, the folder on SQLite. */
  blobs?: 'folder' | 'database';
  /** Bearer token a scraper sends to GET /metrics on the main port. */
  metricsToken?: string;
  /** A separate port serving GET /metrics without a token (for a private network). */
  metricsPort?: number;
  /** Longest a SIGTERM shutdown may take before the process exits anyway. */
  shutdownSeconds?: number;
  /** Check SPF, DKIM and DMARC of inbound mail (MAILTRAIL_MAIL_AUTH); unset means on. */
  mailAuth?: boolean;
  /** Background workers (sender, poller, rules). Off for tools like `migrate` and for HTTP-only tests. */
  workers: boolean;
  /**
   * Which reverse proxies to believe about the client's address and protocol (X-Forwarded-For,
   * -Proto): false (none), a hop count, or addresses/CIDRs (`loopback`, `10.0.0.0/8`, …).
   */
  trustProxy?: boolean | number | string[];
  /** Connections the HTTP server holds at once (MAILTRAIL_HTTP_MAX_CONNECTIONS); the next is closed unanswered. */
  httpMaxConnections?: number;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function port(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError(`${name} must be a port number (0-65535), got "${raw}".`);
  return n;
}

function flag(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false;
  throw new ConfigError(`${name} must be 1 or 0, got "${raw}".`);
}

export function parseDatabaseUrl(raw: string | undefined, dataDir: string): DatabaseConfig {
  if (raw === undefined || raw === '') return { kind: 'sqlite', path: join(dataDir, 'mailtrail.sqlite') };
  if (raw.startsWith('postgres://') || raw.startsWith('postgresql://')) {
    const url = new URL(raw);
    const schema = url.searchParams.get('schema') ?? undefined;
    url.searchParams.delete('schema');
    return schema ? { kind: 'postgres', url: url.toString(), schema } : { kind: 'postgres', url: url.toString() };
  }
  if (raw.startsWith('sqlite:')) {
    const path = raw.slice('sqlite:'.length);
    if (path === '') throw new ConfigError('DATABASE_URL "sqlite:" needs a file path, e.g. sqlite:./data/mailtrail.sqlite');
    return { kind: 'sqlite', path: path === ':memory:' || isAbsolute(path) ? path : resolve(path) };
  }
  throw new ConfigError('DATABASE_URL must start with postgres://, postgresql:// or sqlite:');
}

/** The secret is generated once and kept in the data folder, so restarts keep old cookies valid. */
function loadSecret(env: Env, dataDir: string): string {
  const given = env.MAILTRAIL_SECRET;
  if (given !== undefined && given !== '') {
    if (given.length < 16) throw new ConfigError('MAILTRAIL_SECRET must be at least 16 characters.');
    return given;
  }
  const file = join(dataDir, 'secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' });
  return secret;
}

function metricsToken(raw: string): string {
  if (raw.length < 16) throw new ConfigError('MAILTRAIL_METRICS_TOKEN must be at least 16 characters.');
  return raw;
}

function seconds(env: Env, name: string): number {
  const n = Number(env[name]);
  if (!Number.isFinite(n) || n <= 0) throw new ConfigError(`${name} must be a positive number of seconds, got "${env[name]}".`);
  return n;
}

function positiveInteger(env: Env, name: string): number {
  const n = Number(env[name]);
  if (!Number.isInteger(n) || n <= 0) throw new ConfigError(`${name} must be a positive whole number, got "${env[name]}".`);
  return n;
}

function trustProxy(env: Env): boolean | number | string[] {
  const raw = (env.MAILTRAIL_TRUST_PROXY ?? '').trim();
  if (raw === '' || ['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false;
  if (['true', 'yes', 'on', 'all'].includes(raw.toLowerCase())) return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const entry of list) {
    if (!/^(loopback|linklocal|uniquelocal|[0-9a-fA-F:.]+(\/\d{1,3})?)$/.test(entry)) {
      throw new ConfigError(`MAILTRAIL_TRUST_PROXY: "${entry}" is not an address, a CIDR range, loopback, linklocal or uniquelocal.`);
    }
  }
  return list;
}

function blobBackend(env: Env): Config['blobs'] {
  const raw = env.MAILTRAIL_BLOBS;
  if (raw === undefined || raw === '') return undefined;
  if (raw === 'folder') return 'folder';
  if (raw === 'database' || raw === 'postgres') return 'database';
  throw new ConfigError(`MAILTRAIL_BLOBS must be "folder" or "database", got "${raw}".`);
}

export function loadConfig(env: Env = process.env, defaults: { demo: boolean } = { demo: false }): Config {
  const dataDir = resolve(env.MAILTRAIL_DATA || './data');
  mkdirSync(dataDir, { recursive: true });
  return {
    port: port(env, 'PORT', 3000),
    host: env.HOST || '127.0.0.1',
    dataDir,
    database: parseDatabaseUrl(env.DATABASE_URL, dataDir),
    secret: loadSecret(env, dataDir),
    adminPassword: env.MAILTRAIL_ADMIN_PASSWORD || undefined,
    demo: flag(env, 'MAILTRAIL_DEMO', defaults.demo),
    sandboxSmtpPort: port(env, 'MAILTRAIL_SANDBOX_SMTP_PORT', 2525),
    sandboxPop3Port: port(env, 'MAILTRAIL_SANDBOX_POP3_PORT', 2110),
    logLevel: env.LOG_LEVEL || 'info',
    workers: flag(env, 'MAILTRAIL_WORKERS', true),
    mailAuth: flag(env, 'MAILTRAIL_MAIL_AUTH', true),
    trustProxy: trustProxy(env),
    ...(blobBackend(env) ? { blobs: blobBackend(env) } : {}),
    ...(env.MAILTRAIL_METRICS_TOKEN ? { metricsToken: metricsToken(env.MAILTRAIL_METRICS_TOKEN) } : {}),
    ...(env.MAILTRAIL_METRICS_PORT ? { metricsPort: port(env, 'MAILTRAIL_METRICS_PORT', 0) } : {}),
    ...(env.MAILTRAIL_HTTP_MAX_CONNECTIONS ? { httpMaxConnections: positiveInteger(env, 'MAILTRAIL_HTTP_MAX_CONNECTIONS') } : {}),
    ...(env.MAILTRAIL_SHUTDOWN_SECONDS ? { shutdownSeconds: seconds(env, 'MAILTRAIL_SHUTDOWN_SECONDS') } : {}),
  };
}
