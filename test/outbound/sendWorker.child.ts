// A separate sender process for the exactly-once test: drains the outbox it shares with others.
import { silentLogger } from '../../src/log.js';
import { Sender } from '../../src/outbound/sender.js';
import { openBlobStore } from '../../src/store/blobs.open.js';
import { openStore } from '../../src/store/db.js';
import type { Config } from '../../src/config.js';

const config = JSON.parse(process.env.MAILTRAIL_CHILD_CONFIG ?? '{}') as Config;
const store = await openStore(config.database, { poolSize: 4 });
const sender = new Sender({ store, config, log: silentLogger, blobs: await openBlobStore(config, store) }, { batch: 20 });
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
