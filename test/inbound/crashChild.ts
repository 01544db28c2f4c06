/**
 * Child process of crash.e2e.test.ts: opens the same database and data folder as the test's
 * server, polls the tracking account, and kills itself with SIGKILL (no cleanup, no QUIT, no
 * EXPUNGE) right after the first message's decision is committed and before it is deleted
 * from the server — the window where a real crash would leave a filed message on the server.
 */
import type { Config } from '../../src/config.js';
import { pollOnce } from '../../src/inbound/index.js';
import { silentLogger } from '../../src/log.js';
import { openContext } from '../../src/server.js';

const config = JSON.parse(process.env.MAILTRAIL_CRASH_CONFIG ?? '') as Config;
const ctx = await openContext(config, silentLogger);
await pollOnce(ctx, {
  hooks: {
    afterCommit: ({ state }) => {
      process.stdout.write(`committed ${state}\n`);
      process.kill(process.pid, 'SIGKILL');
    },
  },
});
process.stdout.write('poll finished without crashing\n');
process.exit(3);
