import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import {
  Kysely,
  Migrator,
  PostgresDialect,
  PostgresIntrospector,
  SqliteAdapter,
  SqliteDialect,
  sql,
  type DatabaseIntrospector,
  type DialectAdapter,
  type TableMetadata,
  type Transaction,
} from 'kysely';
import type { DatabaseConfig } from '../config.js';
import { migrations } from './migrations/index.js';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;
/** Repositories take either the database or a transaction. */
export type Executor = Db | Tx;
export type Dialect = 'sqlite' | 'postgres';

export interface Store {
  db: Db;
  dialect: Dialect;
  /** The PostgreSQL schema this store lives in, when not the default. */
  schema?: string;
  close(): Promise<void>;
}

// pg returns int8 (count(*), bigint columns) as strings to avoid precision loss; our counts fit in a double.
pg.types.setTypeParser(20, (v) => Number(v));

function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/i.test(name)) throw new Error(`invalid schema name ${name}`);
  return `"${name}"`;
}

/**
 * SQLite runs DDL inside transactions, but Kysely's adapter says it does not, so its Migrator
 * would apply a migration statement by statement: a process killed halfway leaves tables or
 * columns that the next start tries to create again ("table already exists") and never gets
 * past. With this, each run of migrations is one transaction, as on PostgreSQL.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class MailtrailSqliteDialect extends SqliteDialect {
  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

/**
 * Kysely's Migrator asks the introspector for every table of every schema, with per-column
 * function calls; a schema dropped at that moment by another process (parallel test runs,
 * another tenant) makes the query fail. Our migrations only need the names of the tables in
 * the schemas on our search path.
 */
class SearchPathIntrospector extends PostgresIntrospector {
  readonly #db: Kysely<unknown>;

  constructor(db: Kysely<unknown>) {
    super(db);
    this.#db = db;
  }

  override async getTables(): Promise<TableMetadata[]> {
    const { rows } = await sql<{ schema: string; name: string; type: string }>`
      select table_schema as schema, table_name as name, table_type as type
      from information_schema.tables where table_schema = any (current_schemas(false))`.execute(this.#db);
    return rows.map((r) => ({ name: r.name, schema: r.schema, isView: r.type === 'VIEW', columns: [] }));
  }
}

class MailtrailPostgresDialect extends PostgresDialect {
  override createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new SearchPathIntrospector(db);
  }
}

export async function openStore(config: DatabaseConfig, opts: { poolSize?: number } = {}): Promise<Store> {
  if (config.kind === 'sqlite') {
    if (config.path !== ':memory:') mkdirSync(dirname(config.path), { recursive: true });
    const sqlite = new BetterSqlite3(config.path);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    // Several processes (CLI + server) may open the same file; wait for locks instead of failing.
    sqlite.pragma('busy_timeout = 10000');
    const db = new Kysely<Database>({ dialect: new MailtrailSqliteDialect({ database: sqlite }) });
    return { db, dialect: 'sqlite', close: () => db.destroy() };
  }
  if (config.schema) {
    const admin = new pg.Client({ connectionString: config.url });
    await admin.connect();
    try {
      await admin.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(config.schema)}`);
    } finally {
      await admin.end();
    }
  }
  const pool = new pg.Pool({
    connectionString: config.url,
    max: opts.poolSize ?? 10,
    ...(config.schema ? { options: `-c search_path=${quoteIdent(config.schema)}` } : {}),
  });
  // An idle client that loses its server (PostgreSQL restart) must not crash the process.
  pool.on('error', () => undefined);
  // Nor one that is checked out: the pool only listens to idle clients, and a connection the
  // server ends mid-use (a restart, pg_terminate_backend) while, say, the poller holds its
  // advisory lock on it would emit an unheard 'error' and kill the process. The query on it
  // fails as usual and the pool drops the client when it is released.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<Database>({ dialect: new MailtrailPostgresDialect({ pool }) });
  return { db, dialect: 'postgres', ...(config.schema ? { schema: config.schema } : {}), close: () => db.destroy() };
}

export async function migrateToLatest(store: Store): Promise<string[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await migrateOnce(store);
    } catch (err) {
      // Kysely checks for its own tables by introspecting every schema of the database; a schema
      // dropped meanwhile (another Mailtrail schema, a test's) fails that scan with 3F000
      // invalid_schema_name before anything was migrated. Looking again is safe.
      if (attempt < 10 && (err as { code?: unknown }).code === '3F000') {
        await new Promise((r) => setTimeout(r, 20 * attempt));
        continue;
      }
      throw err;
    }
  }
}

async function migrateOnce(store: Store): Promise<string[]> {
  // Kysely looks for its own tables across every schema; name ours, or a second Mailtrail schema
  // in the same database would be taken for this one.
  const migrator = new Migrator({
    db: store.db,
    provider: { getMigrations: async () => migrations },
    ...(store.schema ? { migrationTableSchema: store.schema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

export async function pingStore(store: Store): Promise<void> {
  await sql`select 1`.execute(store.db);
}
