import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { inboundDb } from '../../src/inbound/inbound.table.js';
import { STORE_KINDS } from '../support/stores.js';
import { newAddress, readAllImap, requirePeers, sendViaPostfix, waitForMessageCount } from '../harness/mailPeers.js';
import { buildReply, sendOriginal, startWorld } from './support.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

function runChild(config: unknown): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/inbound/crashChild.ts'], {
      cwd: repoRoot,
      env: { ...process.env, MAILTRAIL_CRASH_CONFIG: JSON.stringify(config) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/**
 * Store first, delete last: a poller killed after the commit and before DELE/EXPUNGE leaves the
 * reply filed in the database and still on the server. The next poll must not store or attach
 * it again, nor queue a second forward — it only removes it from the server.
 */
for (const kind of STORE_KINDS) {
  for (const protocol of ['pop3', 'imap'] as const) {
    describe(`crash between commit and delete (${protocol}, ${kind})`, () => {
      test('the next poll stores nothing twice and finishes the removal', async (t) => {
        if (!(await requirePeers(t))) return;
        const w = await startWorld(t, kind, { protocol });
        if (!w) return;
        const customer = newAddress('customer');
        const original = await sendOriginal(w, customer);
        await sendViaPostfix({
          from: customer,
          to: w.tracking,
          raw: await buildReply(original.received, { from: customer, to: w.tracking, text: 'Crash-safe reply.' }),
        });
        await waitForMessageCount(w.tracking, 1);

        const child = await runChild(w.h.running.ctx.config);
        assert.equal(child.signal, 'SIGKILL', `child should have died in the hook: ${child.stdout} ${child.stderr}`);
        assert.match(child.stdout, /committed attached/);
        assert.equal((await readAllImap(w.tracking)).length, 1, 'still on the server after the crash');

        const db = w.h.running.ctx.store.db;
        const poll = await w.h.admin.post('/api/v1/admin/email/tracking/poll');
        assert.equal(poll.status, 200, JSON.stringify(poll.body));
        assert.deepEqual(poll.body, { fetched: 0, imported: 0, forwarded: 0, deletedUntracked: 0, kept: 0, rejected: 0 });
        assert.deepEqual(await readAllImap(w.tracking), [], 'removed by the next poll');
        assert.equal((await inboundDb(db).selectFrom('inbound_messages').selectAll().execute()).length, 1, 'stored once');
        const replies = await db.selectFrom('emails').select('id').where('direction', '=', 'inbound').execute();
        assert.equal(replies.length, 1, 'attached once');
        const forwards = await db.selectFrom('outbox').select('id').where('kind', '=', 'forward').execute();
        assert.equal(forwards.length, 1, 'forwarded once');
        const row = await inboundDb(db).selectFrom('inbound_messages').select('removed_from_server').executeTakeFirstOrThrow();
        assert.equal(row.removed_from_server, 1);
      });
    });
  }
}
