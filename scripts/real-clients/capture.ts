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
// Drivers of different clients may run at once: each takes only mail from its own customer
// address, rc-<client>@example.test.
const from = `rc-${id.split('/')[0]}@example.test`;
let raw: Buffer | undefined;
try {
  for (let i = 0; i < 120 && !raw; i++) {
    const box = await client.mailboxOpen('INBOX');
    if (box.exists > 0) {
      // imapflow runs no other command while a fetch is being iterated: collect, then act.
      const mine: number[] = [];
      for await (const msg of client.fetch('1:*', { envelope: true, uid: true })) {
        if (msg.envelope?.from?.some((a) => a.address?.toLowerCase() === from)) mine.push(msg.uid);
      }
      if (mine.length > 1) console.error(`warning: ${mine.length} messages from ${from} waiting; took the first`);
      const full = mine.length > 0 ? await client.fetchOne(String(mine[0]), { source: true }, { uid: true }) : false;
      if (full && full.source) {
        raw = full.source;
        await client.messageDelete(String(mine[0]), { uid: true });
      }
    }
    if (!raw) await new Promise((r) => setTimeout(r, 500));
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
