/**
 * kill -9 during a migration. A child process runs the real migrateToLatest and is killed in
 * the middle of each migration (after its first statement) and again after its last statement
 * but before the migration is recorded as done; each following run must pick up from a
 * consistent state. Finally the real `mailtrail migrate` finishes, the schema equals a freshly
 * migrated one, and the server works on it.
 *
 * Run: node --import tsx --test test/reliability/crash.migration.test.ts
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { outboundModule } from '../../src/outbound/index.js';
import { migrations } from '../../src/store/migrations/index.js';
import { migrateToLatest, openStore, type Store } from '../../src/store/db.js';
import { silentLogger } from '../../src/log.js';
import { startServer } from '../../src/server.js';
import { ADMIN_PASSWORD, ApiClient, testConfig } from '../support/app.js';
import { STORE_KINDS, freshDatabase, requirePostgres } from '../support/stores.js';
import { runChild } from './support.js';

/** Tables and their columns, as the database reports them (the migrations' bookkeeping included). */
async function schemaShape(store: Store): Promise<Record<string, string[]>> {
  const rows =
    store.dialect === 'sqlite'
      ? (
          await sql<{ table: string; column: string }>`
            select m.name as "table", p.name as "column" from sqlite_master m join pragma_table_info(m.name) p
            where m.type = 'table' and m.name not like 'sqlite_%' order by m.name, p.cid`.execute(store.db)
        ).rows
      : (
          await sql<{ table: string; column: string }>`
            select table_name as "table", column_name as "column" from information_schema.columns
            where table_schema = ${store.schema ?? 'public'} order by table_name, ordinal_position`.execute(store.db)
        ).rows;
  const out: Record<string, string[]> = {};
  for (const r of rows) (out[r.table] ??= []).push(r.column);
  return out;
}

for (const kind of STORE_KINDS) {
  describe(`kill -9 during a migration (${kind})`, () => {
    test(
      'every interrupted migration is redone from a clean state; the schema ends up complete',
      { timeout: 900_000 } /* one child per kill point: grows with the number of migrations and the machine's load */,
      async (t) => {
        if (kind === 'postgres' && !(await requirePostgres(t))) return;
        const db = await freshDatabase(kind);
        t.after(() => db.drop());
        const env = { MAILTRAIL_CHILD_DB: JSON.stringify(db.config) };

        const scratch = await freshDatabase('sqlite');
        t.after(() => scratch.drop());
        const counted = await runChild(t, 'test/reliability/migrateChild.ts', { MAILTRAIL_CHILD_DB: JSON.stringify(scratch.config), MAILTRAIL_COUNT: '1' });
        assert.equal(counted.code, 0, counted.stderr);
        const counts = JSON.parse(counted.stdout.trim()) as Record<string, number>;
        assert.deepEqual(Object.keys(counts), Object.keys(migrations));

        for (const name of Object.keys(migrations)) {
          const points = [...(counts[name]! >= 2 ? ['2'] : []), 'end'];
          for (const point of points) {
            const run = await runChild(t, 'test/reliability/migrateChild.ts', { ...env, MAILTRAIL_KILL_MIGRATION: name, MAILTRAIL_KILL_STATEMENT: point });
            assert.equal(run.signal, 'SIGKILL', `${name} @ ${point}: the child should have been killed there, but: ${run.stdout} ${run.stderr.slice(-2000)}`);
          }
        }

        // The real command finishes the job.
        const cli = await runChild(
          t,
          'src/cli.ts',
          {
            DATABASE_URL:
              db.config.kind === 'sqlite' ? `sqlite:${db.config.path}` : `${db.config.url}${db.config.url.includes('?') ? '&' : '?'}schema=${db.config.schema}`,
            MAILTRAIL_DATA: db.dataDir,
            MAILTRAIL_SECRET: 'test-secret-0123456789abcdef',
          },
          ['migrate'],
        );
        assert.equal(cli.code, 0, `mailtrail migrate: ${cli.stdout} ${cli.stderr}`);

        const store = await openStore(db.config, { poolSize: 2 });
        const fresh = await freshDatabase(kind);
        t.after(() => fresh.drop());
        const freshStore = await openStore(fresh.config, { poolSize: 2 });
        try {
          assert.deepEqual(await migrateToLatest(store), [], 'nothing left to migrate');
          await migrateToLatest(freshStore);
          const recorded = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(store.db);
          assert.deepEqual(
            recorded.rows.map((r) => r.name),
            Object.keys(migrations),
            'each migration recorded once',
          );
          assert.deepEqual(await schemaShape(store), await schemaShape(freshStore), 'the same schema as an uninterrupted migration');
        } finally {
          await store.close();
          await freshStore.close();
        }

        // And the server runs on it.
        const running = await startServer(testConfig({ database: db.config, dataDir: db.dataDir }), [outboundModule()], { log: silentLogger, listen: false });
        t.after(() => running.close());
        const token = await running.app.inject({ method: 'POST', url: '/api/v1/auth/token', payload: { username: 'admin', password: ADMIN_PASSWORD } });
        const admin = new ApiClient(running.app, token.json<{ token: string }>().token);
        assert.equal((await admin.post('/api/v1/projects', { key: 'MIG', name: 'After the crash' })).status, 201);
        const rec = await admin.post('/api/v1/projects/MIG/records', { type: 'defect', title: 'Works' });
        assert.equal(rec.status, 201);
        assert.equal((await admin.post(`/api/v1/projects/MIG/records/${rec.body.id}/emails`, { to: ['a@example.test'], text: 'hi' })).status, 202);
      },
    );
  });
}
