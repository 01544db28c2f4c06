/**
 * Sends the tracked originals of the real-client corpus: Mailtrail itself (on a throwaway
 * SQLite database, with the corpus secret) composes them and its real sender delivers them
 * through Postfix to the customer mailboxes at example.test that the mail clients read.
 * Writes test/fixtures/real-clients/manifest.json (merged: clients already there keep theirs).
 *
 *   npx tsx scripts/real-clients/originals.ts mutt alpine ...   (one world per run)
 *
 * Each run is one world (one project id); a manifest entry per world keeps the ids the replay
 * test (test/inbound/realClients.test.ts) rebuilds.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sender } from '../../src/outbound/sender.js';
import { DEV_ADDRESS, DEV_USER, PROJECT_KEY, SECRET, TRACKING, buildWorld, originalsFor, type Manifest } from '../../test/inbound/realClientsWorld.js';

const clients = process.argv.slice(2);
if (clients.length === 0) {
  console.error('usage: originals.ts CLIENT...');
  process.exit(2);
}
const out = new URL('../../test/fixtures/real-clients/manifest.json', import.meta.url);
const dataDir = mkdtempSync(join(tmpdir(), 'rc-originals-'));
const specs = clients.flatMap(originalsFor);
const w = await buildWorld({ kind: 'sqlite', path: join(dataDir, 'db.sqlite') }, dataDir, specs, { sending: { host: '127.0.0.1', port: 25 } });
const sender = new Sender(w.running.ctx);
let sent = 0;
try {
  for (let i = 0; i < 20 && sent < specs.length; i++) sent += await sender.drain();
} finally {
  await sender.stop();
}
const statuses = await w.running.ctx.store.db.selectFrom('emails').select(['id', 'status']).execute();
await w.running.close();
rmSync(dataDir, { recursive: true, force: true });
if (sent < specs.length) throw new Error(`only ${sent} of ${specs.length} originals were sent: ${JSON.stringify(statuses)}`);

const world: Manifest = {
  secret: SECRET,
  projectKey: PROJECT_KEY,
  projectId: w.projectId,
  tracking: TRACKING,
  devUser: DEV_USER,
  devAddress: DEV_ADDRESS,
  records: w.records,
  originals: w.originals,
};
const all: { worlds: Manifest[] } = existsSync(out) ? JSON.parse(readFileSync(out, 'utf8')) : { worlds: [] };
all.worlds = all.worlds.filter((x) => !x.originals.some((o) => clients.some((c) => o.name.startsWith(`${c}-`))));
all.worlds.push(world);
writeFileSync(out, JSON.stringify(all, null, 2) + '\n');
console.log(`sent ${sent}: ${w.originals.map((o) => `${o.name} -> ${o.to.join(',')}`).join('; ')}`);
