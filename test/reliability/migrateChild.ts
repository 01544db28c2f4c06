/**
 * Child process of crash.migration.test.ts. Runs the product's migrateToLatest against the
 * database in MAILTRAIL_CHILD_DB, and kills itself with SIGKILL (no rollback, no cleanup) just
 * before statement MAILTRAIL_KILL_STATEMENT (1-based) of migration MAILTRAIL_KILL_MIGRATION
 * would run — or, with statement "end", after that migration's last statement and before
 * Kysely records it as done. With MAILTRAIL_COUNT=1 it prints the statement count of every
 * migration instead (on a scratch database) and exits.
 *
 * The kill point is set by wrapping the exported migrations list in this process only; the
 * product code path (Migrator, transactions, locks) is the one `mailtrail migrate` runs.
 */
import type { KyselyPlugin, Migration, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import type { DatabaseConfig } from '../../src/config.js';
import { migrations } from '../../src/store/migrations/index.js';
import { migrateToLatest, openStore } from '../../src/store/db.js';

const config = JSON.parse(process.env.MAILTRAIL_CHILD_DB ?? '{}') as DatabaseConfig;
const counting = process.env.MAILTRAIL_COUNT === '1';
const killMigration = process.env.MAILTRAIL_KILL_MIGRATION ?? '';
const killStatement = process.env.MAILTRAIL_KILL_STATEMENT ?? '';

function counter(onQuery: (n: number) => void): KyselyPlugin {
  let n = 0;
  return {
    transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
      onQuery(++n);
      return args.node;
    },
    async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
      return args.result;
    },
  };
}

const counts: Record<string, number> = {};
for (const [name, original] of Object.entries(migrations)) {
  const wrapped: Migration = {
    up: async (db) => {
      let executed = 0;
      const plugin = counter((n) => {
        executed = n;
        if (!counting && name === killMigration && String(n) === killStatement) {
          process.stdout.write(`killing before statement ${n} of ${name}\n`);
          process.kill(process.pid, 'SIGKILL');
        }
      });
      await original.up(db.withPlugin(plugin));
      counts[name] = executed;
      if (!counting && name === killMigration && killStatement === 'end') {
        process.stdout.write(`killing after the last statement of ${name}\n`);
        process.kill(process.pid, 'SIGKILL');
      }
    },
  };
  migrations[name] = wrapped;
}

const store = await openStore(config, { poolSize: 1 });
await migrateToLatest(store);
await store.close();
if (counting) process.stdout.write(`${JSON.stringify(counts)}\n`);
else process.stdout.write('migrated without being killed\n');
