import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import pg from 'pg';
import type { DatabaseConfig } from '../../src/config.js';
import { migrateToLatest, openStore, type Store } from '../../src/store/db.js';
import { peerAvailable, requirePeer, type PeerProbe } from './peers.js';

/** Every store-touching test runs on both databases. */
export const STORE_KINDS = ['sqlite', 'postgres'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

export const PG_URL = process.env.MAILTRAIL_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

/** PostgreSQL answers `select 1` at PG_URL. */
export const postgresProbe: PeerProbe = {
  async check() {
    const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.query('select 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  },
  hint: `nothing answers at ${PG_URL} (start PostgreSQL or set MAILTRAIL_TEST_PG)`,
};

/** For scripts outside a test (bench/): is PostgreSQL there? */
export function postgresAvailable(): Promise<boolean> {
  return peerAvailable('PostgreSQL', postgresProbe);
}

/** requirePeer for PostgreSQL: skips locally, fails under CI=true. */
export function requirePostgres(t: TestContext): Promise<boolean> {
  return requirePeer(t, 'PostgreSQL', postgresProbe);
}

export interface TestDatabase {
  config: DatabaseConfig;
  dataDir: string;
  drop(): Promise<void>;
}

/** A fresh database: a temp SQLite file, or a new schema in the PostgreSQL test database. */
export async function freshDatabase(kind: StoreKind): Promise<TestDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mailtrail-test-'));
  if (kind === 'sqlite') {
    return {
      config: { kind: 'sqlite', path: join(dataDir, 'test.sqlite') },
      dataDir,
      drop: async () => rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const schema = `t_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  return {
    config: { kind: 'postgres', url: PG_URL, schema },
    dataDir,
    drop: async () => {
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await client.end();
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function freshStore(kind: StoreKind): Promise<{ store: Store; db: TestDatabase; close(): Promise<void> }> {
  const db = await freshDatabase(kind);
  const store = await openStore(db.config, { poolSize: 4 });
  await migrateToLatest(store);
  return {
    store,
    db,
    close: async () => {
      await store.close();
      await db.drop();
    },
  };
}
