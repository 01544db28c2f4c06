/**
 * Child process of crash.send.test.ts: the outbound sender of another `serve` process, on the
 * test's database and data folder. MAILTRAIL_CLOCK_OFFSET_MS moves its clock forward, so leases
 * left by a killed predecessor have expired as they would have in real time. Drains until the
 * outbox has nothing pending, then prints how many entries it handled.
 */
import type { Config } from '../../src/config.js';
import { setClock } from '../../src/clock.js';
import { silentLogger } from '../../src/log.js';
import { Sender } from '../../src/outbound/sender.js';
import { openBlobStore } from '../../src/store/blobs.open.js';
import { openStore } from '../../src/store/db.js';

const config = JSON.parse(process.env.MAILTRAIL_CHILD_CONFIG ?? '{}') as Config;
const offset = Number(process.env.MAILTRAIL_CLOCK_OFFSET_MS ?? '0');
setClock({ now: () => new Date(Date.now() + offset) });
const store = await openStore(config.database, { poolSize: 4 });
const sender = new Sender({ store, config, log: silentLogger, blobs: await openBlobStore(config, store) }, { batch: 10 });
process.stdout.write('ready\n');
let total = 0;
for (;;) {
  const n = await sender.drain();
  total += n;
  const left = await store.db.selectFrom('outbox').select('id').where('state', '=', 'pending').limit(1).execute();
  if (n === 0 && left.length === 0) break;
  if (n === 0) await new Promise((r) => setTimeout(r, 50));
}
await sender.stop();
await store.close();
process.stdout.write(`${total}\n`);
