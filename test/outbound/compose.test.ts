import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { simpleParser } from 'mailparser';
import { newAddress, readAllImap, requirePeers, sendViaPostfix, waitForMessageCount } from '../harness/mailPeers.js';
import { compose, drainOutbox, startWorld } from '../inbound/support.js';
import { STORE_KINDS } from '../support/stores.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const b64 = (b: Buffer) => b.toString('base64');

/** The newest message of a mailbox, parsed, with its raw bytes. */
async function latest(address: string, count: number) {
  await waitForMessageCount(address, count);
  const all = await readAllImap(address);
  assert.equal(all.length, count, `${address} holds ${count} message(s)`);
  const raw = all[all.length - 1]!;
  return { raw, parsed: await simpleParser(raw) };
}

/**
 * Issue 16 item 6, on the real Postfix and Dovecot: a draft kept per user on the server, with
 * attachments that arrive byte-exact, Cc on the envelope and in the headers, Bcc on the envelope
 * only, the subject shown while writing being the subject received; reply to all without our own
 * addresses; forward from the record carrying the attachments.
 */
for (const kind of STORE_KINDS) {
  test(`compose: drafts, attachments, Cc/Bcc, reply all, forward (${kind})`, async (t) => {
    if (!(await requirePeers(t))) return;
    const w = await startWorld(t, kind, { protocol: 'pop3' }, { projectKey: 'CMP' });
    if (!w) return;
    const { h, dev } = w;
    const notify = newAddress('notify');
    assert.equal(
      (
        await h.admin.put('/api/v1/projects/CMP/options/email', {
          sendingEnabled: true,
          trackingEnabled: true,
          notificationAccount: { name: 'CMP', address: notify },
        })
      ).status,
      200,
    );
    const eve = await h.user('eve', { project: 'CMP', group: 'Developers' });
    const customer = newAddress('customer');
    const ccAddress = newAddress('cc');
    const bccAddress = newAddress('bcc');
    const base = `/api/v1/projects/CMP/records/${w.recordId}`;

    // A draft: created, typed into, with two files; only its writer sees it.
    const created = await dev.post(`${base}/drafts`, {});
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const draftId = created.body.id as string;
    const saved = await dev.patch(`/api/v1/drafts/${draftId}`, {
      to: [customer],
      cc: [ccAddress],
      bcc: [bccAddress],
      subject: 'Logs from the crash',
      text: 'Both files attached.',
    });
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
    const binary = randomBytes(300_000);
    const textFile = Buffer.from('line one\r\nline two\n\u00e9t\u00e9\n', 'utf8');
    assert.equal(
      (await dev.post(`/api/v1/drafts/${draftId}/attachments`, { filename: 'core.bin', contentType: 'application/octet-stream', contentBase64: b64(binary) }))
        .status,
      201,
    );
    const withFiles = await dev.post(`/api/v1/drafts/${draftId}/attachments`, {
      filename: 'notes.txt',
      contentType: 'text/plain',
      contentBase64: b64(textFile),
    });
    assert.equal(withFiles.status, 201);
    assert.deepEqual(
      withFiles.body.attachments.map((a: { filename: string; size: number }) => [a.filename, a.size]),
      [
        ['core.bin', binary.length],
        ['notes.txt', textFile.length],
      ],
    );
    const subjectOnWire = withFiles.body.subjectOnWire as string;
    assert.match(subjectOnWire, /^\[CMP-D1 [0-9a-z]{8}\] Logs from the crash$/, 'the exact subject, tracking token included');
    const listed = await dev.get(`${base}/drafts`);
    assert.deepEqual(
      listed.body.drafts.map((d: { id: string; text: string; bcc: string[] }) => [d.id, d.text, d.bcc]),
      [[draftId, 'Both files attached.', [bccAddress]]],
      'the draft is still there when read again (a reload)',
    );
    // Per-user: a colleague on the same record neither sees nor touches it.
    assert.deepEqual((await eve.get(`${base}/drafts`)).body.drafts, []);
    assert.equal((await eve.get(`/api/v1/drafts/${draftId}`)).status, 404);
    assert.equal((await eve.patch(`/api/v1/drafts/${draftId}`, { text: 'mine now' })).status, 404);
    assert.equal((await eve.post(`/api/v1/drafts/${draftId}/send`, {})).status, 404);
    assert.equal((await eve.delete(`/api/v1/drafts/${draftId}`)).status, 404);
    assert.equal((await dev.get(`/api/v1/drafts/${draftId}`)).body.text, 'Both files attached.', "the colleague's attempts changed nothing");

    // The size limit is a clear error, and the draft keeps what it had.
    const big = await dev.post(`${base}/drafts`, { to: [customer], text: 'too big' });
    assert.equal(
      (
        await dev.post(`/api/v1/drafts/${big.body.id}/attachments`, {
          filename: 'a.bin',
          contentType: 'application/octet-stream',
          contentBase64: b64(Buffer.alloc(11 * 1024 * 1024, 1)),
        })
      ).status,
      201,
    );
    const tooBig = await dev.post(`/api/v1/drafts/${big.body.id}/attachments`, {
      filename: 'b.bin',
      contentType: 'application/octet-stream',
      contentBase64: b64(Buffer.alloc(10 * 1024 * 1024, 2)),
    });
    assert.equal(tooBig.status, 400);
    assert.equal(tooBig.body.error.code, 'attachments_too_large');
    assert.match(tooBig.body.error.message, /20 MB/);
    assert.equal((await dev.get(`/api/v1/drafts/${big.body.id}`)).body.attachments.length, 1);
    assert.equal((await dev.delete(`/api/v1/drafts/${big.body.id}`)).status, 204);
    assert.equal((await dev.get(`/api/v1/drafts/${big.body.id}`)).status, 404, 'a discarded draft is gone');

    // Sending: the draft becomes the email (same id) and is gone.
    const sent = await dev.post(`/api/v1/drafts/${draftId}/send`, {});
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    assert.equal(sent.body.id, draftId);
    assert.deepEqual((await dev.get(`${base}/drafts`)).body.drafts, []);
    assert.equal(await drainOutbox(h), 1);

    const atCustomer = await latest(customer, 1);
    const atCc = await latest(ccAddress, 1);
    const atBcc = await latest(bccAddress, 1);
    for (const copy of [atCustomer, atCc, atBcc]) {
      assert.equal(copy.parsed.subject, subjectOnWire, 'the subject received is the one shown while writing');
      const files = copy.parsed.attachments.map((a) => [a.filename, sha256(a.content)]);
      assert.deepEqual(files, [
        ['core.bin', sha256(binary)],
        ['notes.txt', sha256(textFile)],
      ]);
      assert.ok(!/^bcc:/im.test(copy.raw.toString('latin1').split(/\r?\n\r?\n/)[0]!), 'no Bcc header');
    }
    assert.deepEqual(atCustomer.parsed.to && !Array.isArray(atCustomer.parsed.to) ? atCustomer.parsed.to.value.map((v) => v.address) : [], [customer]);
    assert.deepEqual(atCustomer.parsed.cc && !Array.isArray(atCustomer.parsed.cc) ? atCustomer.parsed.cc.value.map((v) => v.address) : [], [ccAddress]);
    for (const copy of [atCustomer, atCc])
      assert.ok(!copy.raw.toString('latin1').includes(bccAddress), 'the Bcc address appears nowhere in the others’ copies');
    const stored = await dev.get(`/api/v1/emails/${draftId}/raw`);
    assert.ok(!String(stored.body).includes(bccAddress), 'nor in the stored message');
    const email = (await dev.get(`/api/v1/emails/${draftId}`)).body;
    assert.deepEqual(email.bcc, [bccAddress], 'the sender still sees whom they Bcc’d');
    assert.equal(email.attachments.length, 2);

    // The customer answers to all: the tracking account, the Cc, the developer and the notification account.
    const reply = await compose({
      from: customer,
      to: w.tracking,
      cc: [ccAddress, w.devAddress, notify],
      subject: `Re: ${atCustomer.parsed.subject}`,
      text: 'Thanks, looking at it.',
      inReplyTo: atCustomer.parsed.messageId!,
      references: [atCustomer.parsed.messageId!],
    });
    await sendViaPostfix({ from: customer, to: w.tracking, raw: reply });
    await waitForMessageCount(w.tracking, 1);
    assert.equal((await h.admin.post('/api/v1/admin/email/tracking/poll')).body.imported, 1);
    const thread = (await dev.get(`${base}/emails`)).body.emails as { id: string; direction: string }[];
    const inboundId = thread.find((e) => e.direction === 'inbound')!.id;
    const all = await dev.get(`/api/v1/emails/${inboundId}/reply-recipients?all=true`);
    assert.deepEqual(all.body, { to: [customer], cc: [ccAddress] }, 'our own addresses (tracking, notification, yours) are left out');
    assert.deepEqual((await dev.get(`/api/v1/emails/${inboundId}/reply-recipients`)).body, { to: [customer], cc: [] });
    const answered = await dev.post(`/api/v1/emails/${inboundId}/reply`, { replyAll: true, text: 'Found it: the cache.' });
    assert.equal(answered.status, 202, JSON.stringify(answered.body));
    await drainOutbox(h);
    const replyAtCc = await latest(ccAddress, 2);
    assert.match(replyAtCc.parsed.text ?? '', /Found it: the cache\./);

    // Forward from the record: the original email with its attachments to someone new, tracked.
    const colleague = newAddress('colleague');
    const fwd = await dev.post(`/api/v1/emails/${draftId}/forward`, { to: [colleague], text: 'FYI, see the logs.' });
    assert.equal(fwd.status, 202, JSON.stringify(fwd.body));
    await drainOutbox(h);
    const atColleague = await latest(colleague, 1);
    assert.match(atColleague.parsed.subject ?? '', /^Fwd: \[CMP-D1 [0-9a-z]{8}\] Logs from the crash$/);
    assert.match(atColleague.parsed.text ?? '', /FYI, see the logs\.[\s\S]*Forwarded message[\s\S]*Both files attached\./);
    assert.deepEqual(
      atColleague.parsed.attachments.map((a) => [a.filename, sha256(a.content)]),
      [
        ['core.bin', sha256(binary)],
        ['notes.txt', sha256(textFile)],
      ],
    );
    const forwarded = (await dev.get(`/api/v1/emails/${fwd.body.id}`)).body;
    assert.equal(forwarded.parentId, draftId, 'filed under the forwarded email');
    assert.equal(forwarded.tracked, true);

    // A forward draft starts with the forwarded email's files; removing one leaves the other.
    const fwdDraft = await dev.post(`${base}/drafts`, { kind: 'forward', parentId: draftId });
    assert.equal(fwdDraft.status, 201, JSON.stringify(fwdDraft.body));
    assert.match(fwdDraft.body.subject, /^Fwd: /);
    assert.deepEqual(
      fwdDraft.body.attachments.map((a: { filename: string }) => a.filename),
      ['core.bin', 'notes.txt'],
    );
    const trimmed = await dev.delete(`/api/v1/drafts/${fwdDraft.body.id}/attachments/${fwdDraft.body.attachments[0].id}`);
    assert.deepEqual(
      trimmed.body.attachments.map((a: { filename: string }) => a.filename),
      ['notes.txt'],
    );
    // A reply-all draft starts addressed like the reply above.
    const replyDraft = await dev.post(`${base}/drafts`, { kind: 'reply', parentId: inboundId, replyAll: true });
    assert.deepEqual([replyDraft.body.to, replyDraft.body.cc], [[customer], [ccAddress]]);
    assert.equal((await eve.post(`${base}/drafts`, { kind: 'reply', parentId: 'nope' })).status, 400);
  });
}
