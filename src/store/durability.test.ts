import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { STORE_KINDS, freshStore, requirePostgres } from '../../test/support/stores.js';
import { awaitDurable, dbFor } from './durability.js';

for (const kind of STORE_KINDS) {
  describe(`commit modes on ${kind}`, () => {
    test('deferred transactions commit like any other; awaitDurable returns once they are flushed', async (t) => {
      if (kind === 'postgres' && !(await requirePostgres(t))) return;
      const s = await freshStore(kind);
      t.after(() => s.close());
      const at = '2026-11-27T10:00:00.000Z';
      await dbFor(s.store, 'deferred')
        .transaction()
        .execute((tx) => tx.insertInto('settings').values({ key: 'probe', value: '1', updated_at: at }).execute());
      const row = await s.store.db.selectFrom('settings').select('value').where('key', '=', 'probe').executeTakeFirst();
      assert.equal(row?.value, '1', 'visible to everyone at once');
      await awaitDurable(s.store);
      if (kind !== 'postgres') return;

      const show = async (db: typeof s.store.db) =>
        (await sql<{ synchronous_commit: string }>`show synchronous_commit`.execute(db)).rows[0]?.synchronous_commit;
      const inside = await dbFor(s.store, 'deferred')
        .transaction()
        .execute((tx) => show(tx));
      assert.equal(inside, 'off');
      assert.equal(
        await dbFor(s.store, 'durable')
          .transaction()
          .execute((tx) => show(tx)),
        'on',
      );
      // SET LOCAL ends with its transaction: no pooled connection keeps it.
      const after = await Promise.all(Array.from({ length: 8 }, () => show(dbFor(s.store, 'deferred'))));
      assert.deepEqual(new Set(after), new Set(['on']));

      const written = await dbFor(s.store, 'deferred')
        .transaction()
        .execute(async (tx) => {
          await tx.updateTable('settings').set({ value: '2' }).where('key', '=', 'probe').execute();
          return (await sql<{ lsn: string }>`select pg_current_wal_insert_lsn()::text as lsn`.execute(tx)).rows[0]!.lsn;
        });
      await awaitDurable(s.store);
      const flushed = (await sql<{ ok: boolean }>`select pg_current_wal_flush_lsn() >= ${written}::pg_lsn as ok`.execute(s.store.db)).rows[0]?.ok;
      assert.equal(flushed, true, 'the WAL is on disk past the deferred commit');
    });
  });
}
