import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { silentLogger } from '../log.js';
import { FolderBlobStore } from '../store/blobs.folder.js';
import type { AppContext } from '../core/context.js';
import { PG_URL, freshStore, requirePostgres } from '../../test/support/stores.js';
import { testConfig } from '../../test/support/app.js';
import { withAccountLock } from './accountLock.js';
import { advisoryLockKey } from './trackingSettings.js';

test('in one process, a second poll of the account waits for the first, or gives up when told not to wait', async (t) => {
  const s = await freshStore('sqlite');
  t.after(() => s.close());
  const ctx: AppContext = {
    store: s.store,
    config: testConfig({ database: s.db.config, dataDir: s.db.dataDir }),
    log: silentLogger,
    blobs: new FolderBlobStore(s.db.dataDir),
  };
  const order: string[] = [];
  let release: () => void = () => undefined;
  const first = withAccountLock(ctx, 'acc', 0, async () => {
    order.push('first start');
    await new Promise<void>((r) => (release = r));
    order.push('first end');
    return 1;
  });
  assert.deepEqual(await withAccountLock(ctx, 'acc', 0, async () => 2), { acquired: false });
  const second = withAccountLock(ctx, 'acc', 5_000, async () => {
    order.push('second');
    return 2;
  });
  const other = await withAccountLock(ctx, 'another account', 0, async () => 3);
  assert.deepEqual(other, { acquired: true, value: 3 }, 'other accounts are not blocked');
  release();
  assert.deepEqual(await first, { acquired: true, value: 1 });
  assert.deepEqual(await second, { acquired: true, value: 2 });
  assert.deepEqual(order, ['first start', 'first end', 'second']);
});

test('on PostgreSQL, another process holding the advisory lock blocks the poll until it lets go', async (t) => {
  if (!(await requirePostgres(t))) return;
  const s = await freshStore('postgres');
  t.after(() => s.close());
  const ctx: AppContext = {
    store: s.store,
    config: testConfig({ database: s.db.config, dataDir: s.db.dataDir }),
    log: silentLogger,
    blobs: new FolderBlobStore(s.db.dataDir),
  };
  // "Another process": its own connection, holding the lock of the same account.
  const other = new pg.Client({ connectionString: PG_URL });
  await other.connect();
  t.after(() => other.end());
  await other.query('select pg_advisory_lock($1::bigint)', [advisoryLockKey('pop3://t@h:110')]);
  assert.deepEqual(await withAccountLock(ctx, 'pop3://t@h:110', 300, async () => 'ran'), { acquired: false });
  const waiting = withAccountLock(ctx, 'pop3://t@h:110', 10_000, async () => 'ran');
  await new Promise((r) => setTimeout(r, 300));
  await other.query('select pg_advisory_unlock($1::bigint)', [advisoryLockKey('pop3://t@h:110')]);
  assert.deepEqual(await waiting, { acquired: true, value: 'ran' });
  // Released after use: the other process can take it again at once.
  const again = await other.query<{ locked: boolean }>('select pg_try_advisory_lock($1::bigint) as locked', [advisoryLockKey('pop3://t@h:110')]);
  assert.equal(again.rows[0]?.locked, true);
});
