/**
 * Waits for the next message in the corpus tracking mailbox (rc-tracking@example.test), saves
 * it byte for byte as test/fixtures/real-clients/<client>/<id>.eml with its metadata beside it
 * (<id>.json), and removes it from the mailbox so the next capture sees only the next reply.
 *
 *   npx tsx scripts/real-clients/capture.ts <client>/<id> <meta.json>
 *
 * meta.json: { client, version, case, original, typed, steps? } written by the driver script.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ImapFlow } from 'imapflow';

const [id, metaPath] = process.argv.slice(2);
if (!id || !metaPath) {
  console.error('usage: capture.ts <client>/<id> <meta.json>');
  process.exit(2);
}
const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as Record<string, unknown>;
const client = new ImapFlow({
  host: '127.0.0.1',
  port: 143,
  secure: false,
  tls: { rejectUnauthorized: false },
  auth: { user: 'rc-tracking@example.test', pass: 'mailtrail-test' },
  logger: false,
});
await client.connect();
let raw: Buffer | undefined;
try {
  for (let i = 0; i < 120 && !raw; i++) {
    const box = await client.mailboxOpen('INBOX');
    if (box.exists > 0) {
      const msg = await client.fetchOne('1', { source: true });
      if (msg && msg.source) raw = msg.source;
      if (box.exists > 1) console.error(`warning: ${box.exists} messages waiting; took the first`);
      await client.messageDelete('1');
    } else await new Promise((r) => setTimeout(r, 500));
  }
} finally {
  await client.logout().catch(() => {});
}
if (!raw) {
  console.error(`no message arrived for ${id}`);
  process.exit(1);
}
const base = new URL(`../../test/fixtures/real-clients/${id}`, import.meta.url).pathname;
mkdirSync(dirname(base), { recursive: true });
writeFileSync(`${base}.eml`, raw);
writeFileSync(`${base}.json`, JSON.stringify(meta, null, 2) + '\n');
console.log(`captured ${id} (${raw.length} bytes)`);
