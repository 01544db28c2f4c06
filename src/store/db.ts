import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import {
  CompiledQuery,
  Kysely,
  Migrator,
  OperationNodeTransformer,
  PostgresDialect,
  PostgresDriver,
  PostgresIntrospector,
  SqliteAdapter,
  SqliteDialect,
  sql,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type DialectAdapter,
  type Driver,
  type KyselyPlugin,
  type PostgresDialectConfig,
  type PrimitiveValueListNode,
  type SqliteDatabase,
  type TableMetadata,
  type Transaction,
  type TransactionSettings,
  type ValueNode,
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
  /**
   * The same database, whose transactions commit without waiting for the disk (PostgreSQL;
   * the same as `db` on SQLite). Only through store/durability.ts, which says when that is safe.
   */
  deferred?: Db;
  dialect: Dialect;
  /** The PostgreSQL schema this store lives in, when not the default. */
  schema?: string;
  /**
   * The database blob store's own connections (PostgreSQL: a small pool of its own). A blob is
   * often stored while the caller holds a transaction (queueEmail); through the shared pool,
   * with every connection held by such a transaction, each would wait for a connection none
   * frees. Absent on SQLite, which has one connection: there the store writes through the
   * caller's transaction instead (store/blobs.database.ts).
   */
  blobDb?: Db;
  /** Connections of the PostgreSQL pool (SQLite has one connection and no pool). */
  poolStats?: () => { total: number; idle: number; waiting: number };
  close(): Promise<void>;
}

// pg returns int8 (count(*), bigint columns) as strings to avoid precision loss; our counts fit in a double.
pg.types.setTypeParser(20, (v) => Number(v));

function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/i.test(name)) throw new Error(`invalid schema name ${name}`);
  return `"${name}"`;
}

/**
 * PostgreSQL text cannot hold U+0000 ("invalid byte sequence for encoding UTF8: 0x00"), and mail
 * and API input can carry it: a reply with a NUL byte in its body was refused as a processing
 * failure, a record title with one was a 500. NUL means nothing in any of our text, so it is
 * dropped from every string sent to the database — on SQLite too, so both keep the same text.
 */
class WithoutNul extends OperationNodeTransformer {
  protected override transformValue(node: ValueNode): ValueNode {
    const out = super.transformValue(node);
    return typeof out.value === 'string' && out.value.includes('\0') ? { ...out, value: out.value.replaceAll('\0', '') } : out;
  }

  protected override transformPrimitiveValueList(node: PrimitiveValueListNode): PrimitiveValueListNode {
    const out = super.transformPrimitiveValueList(node);
    if (!out.values.some((v) => typeof v === 'string' && v.includes('\0'))) return out;
    return { ...out, values: out.values.map((v) => (typeof v === 'string' ? v.replaceAll('\0', '') : v)) };
  }
}

const withoutNul: KyselyPlugin = {
  transformQuery: (args) => new WithoutNul().transformNode(args.node),
  transformResult: async (args) => args.result,
};

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

/**
 * Kysely's SQLite driver calls `prepare` for every query, and better-sqlite3 compiles the SQL
 * each time (about a tenth of an import's database time). Statements are reused by SQL text;
 * SQLite recompiles a reused statement by itself after a schema change, so a cached one stays
 * right across migrations. LRU-bounded: `in (?, ?, …)` lists make one text per length.
 */
function reusingStatements(database: BetterSqlite3.Database, max = 256): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => database.close(),
    prepare(text: string): BetterSqlite3.Statement {
      const hit = cache.get(text);
      // A statement still iterating (a streamed select) cannot run twice at once: use a fresh one.
      if (hit?.busy) return database.prepare(text);
      if (hit) {
        cache.delete(text);
        cache.set(text, hit);
        return hit;
      }
      const statement = database.prepare(text);
      cache.set(text, statement);
      if (cache.size > max) cache.delete(cache.keys().next().value as string);
      return statement;
    },
  };
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

/**
 * Transactions that begin with `set local synchronous_commit = off` (see store/durability.ts).
 * Sent with BEGIN as one simple query: a round trip of its own cost about what the skipped
 * WAL flush saved on a fast disk.
 */
class DeferredCommitDriver extends PostgresDriver {
  override async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const begin =
      settings.isolationLevel || settings.accessMode
        ? ['start transaction', settings.isolationLevel ? `isolation level ${settings.isolationLevel}` : '', settings.accessMode ?? '']
            .filter(Boolean)
            .join(' ')
        : 'begin';
    await connection.executeQuery(CompiledQuery.raw(`${begin}; set local synchronous_commit = off`));
  }

  // The pool belongs to the store's main Kysely instance, which ends it.
  override async destroy(): Promise<void> {}
}

class MailtrailPostgresDialect extends PostgresDialect {
  readonly #config: PostgresDialectConfig;
  readonly #deferCommits: boolean;

  constructor(config: PostgresDialectConfig, opts: { deferCommits?: boolean } = {}) {
    super(config);
    this.#config = config;
    this.#deferCommits = opts.deferCommits ?? false;
  }

  override createDriver(): Driver {
    return this.#deferCommits ? new DeferredCommitDriver(this.#config) : super.createDriver();
  }

  override createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new SearchPathIntrospector(db);
  }
}

/** Connections of the blob store's own pool: blob statements are short (one chunk each). */
const BLOB_POOL_SIZE = 3;

function postgresPool(config: Extract<DatabaseConfig, { kind: 'postgres' }>, max: number): pg.Pool {
  const pool = new pg.Pool({
    connectionString: config.url,
    max,
    ...(config.schema ? { options: `-c search_path=${quoteIdent(config.schema)}` } : {}),
  });
  // An idle client that loses its server (PostgreSQL restart) must not crash the process.
  pool.on('error', () => undefined);
  // Nor one that is checked out: the pool only listens to idle clients, and a connection the
  // server ends mid-use (a restart, pg_terminate_backend) while, say, the poller holds its
  // advisory lock on it would emit an unheard 'error' and kill the process. The query on it
  // fails as usual and the pool drops the client when it is released.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
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
    const db = new Kysely<Database>({ dialect: new MailtrailSqliteDialect({ database: reusingStatements(sqlite) }), plugins: [withoutNul] });
    return { db, deferred: db, dialect: 'sqlite', close: () => db.destroy() };
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
  const pool = postgresPool(config, opts.poolSize ?? 10);
  const blobPool = postgresPool(config, BLOB_POOL_SIZE);
  const db = new Kysely<Database>({ dialect: new MailtrailPostgresDialect({ pool }), plugins: [withoutNul] });
  const deferred = new Kysely<Database>({ dialect: new MailtrailPostgresDialect({ pool }, { deferCommits: true }), plugins: [withoutNul] });
  const blobDb = new Kysely<Database>({ dialect: new MailtrailPostgresDialect({ pool: blobPool }), plugins: [withoutNul] });
  return {
    db,
    deferred,
    blobDb,
    dialect: 'postgres',
    ...(config.schema ? { schema: config.schema } : {}),
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    close: async () => {
      await Promise.all([db.destroy(), blobDb.destroy()]);
    },
  };
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
    // Features land in parallel with migrations of the same date: one that sorts before a
    // migration a database already ran is independent of it and must still run, not fail start-up.
    allowUnorderedMigrations: true,
    ...(store.schema ? { migrationTableSchema: store.schema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Migrations this code knows that the database has not run (empty when current). */
export async function pendingMigrations(store: Store): Promise<string[]> {
  const migrator = new Migrator({
    db: store.db,
    provider: { getMigrations: async () => migrations },
    ...(store.schema ? { migrationTableSchema: store.schema } : {}),
  });
  return (await migrator.getMigrations()).filter((m) => m.executedAt === undefined).map((m) => m.name);
}

export async function pingStore(store: Store): Promise<void> {
  await sql`select 1`.execute(store.db);
}
