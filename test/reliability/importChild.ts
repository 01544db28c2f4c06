/**
 * Child process of crash.import.test.ts: opens the test server's database and data folder and
 * polls the tracking account once, like the poller of a second `serve` process. The parent
 * kills it with SIGKILL at the moments it wants to test; a run that is not killed prints the
 * poll's counts.
 */
import type { Config } from '../../src/config.js';
import { pollOnce } from '../../src/inbound/index.js';
import { silentLogger } from '../../src/log.js';
import { openContext } from '../../src/server.js';

const config = JSON.parse(process.env.MAILTRAIL_CHILD_CONFIG ?? '') as Config;
const ctx = await openContext(config, silentLogger);
process.stdout.write('ready\n');
try {
  const result = await pollOnce(ctx, { waitMs: 30_000 });
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await ctx.store.close();
}
