import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { STORE_KINDS, freshStore, requirePostgres } from '../../test/support/stores.js';
import { dedupeKey, knownServerUids, rawMessageId, recordFetched, sha256Hex } from './inbound.repository.js';

test('rawMessageId reads the header without the parser: folded, bracketless, absent, or only in the body', () => {
  assert.equal(rawMessageId(Buffer.from('Subject: x\r\nMessage-ID:\r\n <abc@host>\r\n\r\nbody')), 'abc@host');
  assert.equal(rawMessageId(Buffer.from('message-id: abc@host\n\nbody')), 'abc@host');
  assert.equal(rawMessageId(Buffer.from('Subject: x\r\n\r\nMessage-ID: <not-a-header@x>')), undefined);
  assert.equal(rawMessageId(Buffer.from('\x00\x01 garbage')), undefined);
});

test('the dedupe key combines the Message-ID with the content hash', () => {
  const a = Buffer.from('Message-ID: <same@x>\r\n\r\none');
  const b = Buffer.from('Message-ID: <same@x>\r\n\r\ntwo');
  assert.notEqual(dedupeKey(sha256Hex(a), 'same@x'), dedupeKey(sha256Hex(b), 'same@x'), 'one Message-ID, two messages: both kept');
  assert.equal(dedupeKey(sha256Hex(a), 'same@x'), dedupeKey(sha256Hex(Buffer.from(a)), 'same@x'));
});

for (const kind of STORE_KINDS) {
  describe(`inbound repository on ${kind}`, () => {
    test('the same bytes fetched twice (or under two server ids) are stored once; both ids are remembered', async (t) => {
      if (kind === 'postgres' && !(await requirePostgres(t))) return;
      const s = await freshStore(kind);
      t.after(() => s.close());
      const raw = Buffer.from('Message-ID: <dup@x>\r\nSubject: hi\r\n\r\nbody');
      const input = { account: 'pop3://t@h:110', blobKey: sha256Hex(raw), size: raw.length, head: raw };
      const first = await recordFetched(s.store.db, { ...input, serverUid: 'U1' });
      const again = await recordFetched(s.store.db, { ...input, serverUid: 'U1' });
      const copy = await recordFetched(s.store.db, { ...input, serverUid: 'U2' });
      assert.equal(first.duplicate, false);
      assert.equal(again.duplicate, true);
      assert.equal(copy.duplicate, true);
      assert.equal(again.row.id, first.row.id);
      assert.equal(copy.row.id, first.row.id);
      assert.equal(first.row.message_id, 'dup@x');
      assert.equal(first.row.size, raw.length);
      const known = await knownServerUids(s.store.db, 'pop3://t@h:110', ['U1', 'U2', 'U3']);
      assert.deepEqual([...known.keys()].sort(), ['U1', 'U2']);
      assert.equal(known.get('U2')?.inboundId, first.row.id);
      assert.equal(known.get('U2')?.state, 'stored');
      assert.equal((await knownServerUids(s.store.db, 'imap://other@h:143', ['U1'])).size, 0, 'server ids are per account');
    });
  });
}
