import assert from 'node:assert/strict';
import { test } from 'node:test';
import { emailImportModule } from '../../src/emailimport/index.js';
import { parseMessage } from '../../src/mail/mime/index.js';
import type { ParsedMessage } from '../../src/mail/mime/parsedMessage.js';
import { newAddress, readAllImap, requirePeers, sendViaPostfix, waitForMessageCount } from '../harness/mailPeers.js';
import { buildReply, compose, drainOutbox, startWorld, type World } from '../inbound/support.js';
import { STORE_KINDS } from '../support/stores.js';

/**
 * Issue 17 end to end on the real Postfix and Dovecot: mail to a project's import address
 * becomes a record with its attachments; the acknowledgement arrives; the sender's reply to it
 * lands on the record and a Cc'd participant gets the forward; a verified member's /status and
 * /assign change the record, an unknown sender's do not; reopen on reply; a member's forward
 * with [KEY-D1] in the subject lands on that record.
 *
 * The import address is an alias of the tracking mailbox (the peers deliver every address to a
 * mailbox of its own and have no recipient delimiter): the envelope goes to the tracking
 * account, the To header names the alias — what an alias or a plus-address delivery looks like
 * to the poller.
 */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

async function latest(address: string, count: number): Promise<{ raw: Buffer; msg: ParsedMessage }> {
  await waitForMessageCount(address, count);
  const all = await readAllImap(address);
  const raw = all[all.length - 1]!;
  return { raw, msg: await parseMessage(raw) };
}

async function poll(w: World) {
  const res = await w.h.admin.post('/api/v1/admin/email/tracking/poll');
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body as { fetched: number; imported: number; forwarded: number; kept: number; rejected: number };
}

for (const kind of STORE_KINDS) {
  test(`email import on Postfix + Dovecot (${kind}): record, acknowledgement, reply, participants, commands, reopen, forward-into`, async (t) => {
    if (!(await requirePeers(t))) return;
    const w = await startWorld(t, kind, { protocol: 'pop3' }, { extraModules: [emailImportModule], projectKey: 'IMP' });
    if (!w) return;
    const db = w.h.running.ctx.store.db;
    const notify = newAddress('notify');
    const importAddress = newAddress('support');
    const customer = newAddress('customer');
    const pat = newAddress('pat');
    const stranger = newAddress('stranger');
    const annAddress = newAddress('ann');
    await w.h.user('ann', { project: 'IMP', group: 'Developers', email: annAddress });
    assert.equal(
      (
        await w.h.admin.put('/api/v1/projects/IMP/options/email', {
          sendingEnabled: true,
          trackingEnabled: true,
          notificationAccount: { name: 'IMP Support', address: notify },
        })
      ).status,
      200,
    );
    const settings = await w.h.admin.put('/api/v1/projects/IMP/options/email-import', {
      enabled: true,
      address: importAddress,
      whoMayCreate: 'anyone',
      allowedDomains: [],
      maxPerHour: 10,
      forwardToParticipants: true,
      reopenStatus: 'Open',
      doneStatuses: ['Closed'],
    });
    assert.equal(settings.status, 200, JSON.stringify(settings.body));

    // 1. A customer writes to the import address, Cc pat, with an attachment and an inline image.
    const first = await compose({
      from: `Casey Customer <${customer}>`,
      to: importAddress,
      cc: pat,
      subject: 'Fwd: [EXTERNAL] Printer on floor 3 jams on every page',
      text: 'The printer on floor 3 jams on every page since Monday.\nThe error log is attached.\n\n-- \nCasey, Facilities',
      html: '<p>The printer on floor 3 jams on every page since Monday.</p><p><img src="cid:shot@customer"></p>',
      attachments: [
        { filename: 'error-log.txt', content: 'E42 paper path blocked\n' },
        { filename: 'shot.png', content: PNG, cid: 'shot@customer' },
      ],
    });
    await sendViaPostfix({ from: customer, to: [w.tracking], raw: first });
    await waitForMessageCount(w.tracking, 1);
    const p1 = await poll(w);
    assert.equal(p1.imported, 1, JSON.stringify(p1));

    const list = await w.dev.get('/api/v1/projects/IMP/records?type=defect');
    const created = list.body.records.find((r: { id: string }) => r.id !== w.recordId);
    assert.ok(created, 'a new defect was created');
    assert.equal(created.title, 'Printer on floor 3 jams on every page');
    assert.equal(created.tag, 'IMP-D2');
    assert.match(created.description, /jams on every page since Monday/);
    assert.doesNotMatch(created.description, /Casey, Facilities/, 'the signature is trimmed');
    assert.equal(created.creator, 'mailtrail-import');
    const thread = (await w.dev.get(`/api/v1/projects/IMP/records/${created.id}/emails`)).body.emails;
    const importedMail = thread.find((e: { direction: string }) => e.direction === 'inbound');
    assert.equal(importedMail.parentId, null, 'the original is the first inbound email of the record');
    assert.equal(importedMail.from, customer);
    assert.deepEqual(importedMail.attachments.map((a: { filename: string }) => a.filename).sort(), ['error-log.txt', 'shot.png']);
    const parts = (await w.dev.get(`/api/v1/projects/IMP/records/${created.id}/participants`)).body.participants
      .map((p: { address: string }) => p.address)
      .sort();
    assert.deepEqual(parts, [customer, pat].sort(), 'sender and Cc are participants; the import address is not');

    // 2. The acknowledgement arrives, from the notification account, with a cookie.
    await drainOutbox(w.h);
    const ack = await latest(customer, 1);
    assert.equal(ack.msg.from?.address, notify);
    assert.match(ack.msg.subject, /\[IMP-D2 [0-9a-z]+\]/, 'the subject tag carries the tracking token');
    assert.match(ack.msg.text ?? '', /recorded as IMP-D2/);

    // 3. The customer's reply to it lands on the record; the Cc'd participant gets the forward.
    const reply = await buildReply(ack.msg, { from: customer, to: w.tracking, text: 'It also happens on floor 4.' });
    await sendViaPostfix({ from: customer, to: w.tracking, raw: reply });
    await waitForMessageCount(w.tracking, 1);
    const p2 = await poll(w);
    assert.equal(p2.imported, 1, JSON.stringify(p2));
    const thread2 = (await w.dev.get(`/api/v1/projects/IMP/records/${created.id}/emails`)).body.emails;
    const customerReply = thread2.find((e: { replyText: string | null }) => e.replyText === 'It also happens on floor 4.');
    assert.ok(customerReply, 'the reply is on the record');
    const forwards = await db.selectFrom('outbox').select(['forward_to']).where('kind', '=', 'forward').where('email_id', '=', customerReply.id).execute();
    assert.deepEqual(forwards.map((f) => f.forward_to).sort(), [notify, pat].sort());
    await drainOutbox(w.h);
    const patCopy = await latest(pat, 1);
    assert.match(patCopy.msg.text ?? '', /It also happens on floor 4\./, 'pat got the forward');

    // 4. A verified member, added as a participant, gets the next forward and answers with commands.
    assert.equal((await w.dev.post(`/api/v1/projects/IMP/records/${created.id}/participants`, { address: w.devAddress })).status, 201);
    const reply2 = await buildReply(ack.msg, { from: customer, to: w.tracking, text: 'Any news?' });
    await sendViaPostfix({ from: customer, to: w.tracking, raw: reply2 });
    await waitForMessageCount(w.tracking, 1);
    await poll(w);
    await drainOutbox(w.h);
    const devCopy = await latest(w.devAddress, 1);
    const commandMail = await buildReply(devCopy.msg, { from: w.devAddress, to: w.tracking, text: '/status In progress\n/assign ann\n\nTaking a look today.' });
    await sendViaPostfix({ from: w.devAddress, to: w.tracking, raw: commandMail });
    await waitForMessageCount(w.tracking, 1);
    await poll(w);
    const afterCommands = (await w.dev.get(`/api/v1/projects/IMP/records/${created.id}`)).body;
    assert.equal(afterCommands.status, 'In progress');
    assert.equal(afterCommands.assignee, 'ann');
    const thread3 = (await w.dev.get(`/api/v1/projects/IMP/records/${created.id}/emails`)).body.emails;
    const devReply = thread3.find((e: { from: string; direction: string }) => e.direction === 'inbound' && e.from === w.devAddress);
    assert.equal(devReply.replyText, 'Taking a look today.', 'the command lines are removed from the stored text');
    assert.doesNotMatch(devReply.text, /\/status/);
    const history = (await w.dev.get(`/api/v1/projects/IMP/records/${created.id}/history`)).body.events;
    const byMail = history.filter((e: { emailId: string | null }) => e.emailId === devReply.id);
    assert.equal(byMail.length, 2, 'both changes name the email');
    assert.equal(byMail[0].actor, `devimp`);
    await drainOutbox(w.h);
    const report = await latest(w.devAddress, 2);
    assert.equal(report.msg.from?.address, notify);
    assert.match(report.msg.text ?? '', /Done: \/status In progress/);
    assert.match(report.msg.text ?? '', /Done: \/assign ann/);

    // 5. An unknown sender with the same cookie: the reply is filed, the commands are not applied or answered.
    const strangerMail = await buildReply(devCopy.msg, { from: stranger, to: w.tracking, text: '/status Closed\n/assign nobody\n\nI say it is done.' });
    await sendViaPostfix({ from: stranger, to: w.tracking, raw: strangerMail });
    await waitForMessageCount(w.tracking, 1);
    await poll(w);
    const afterStranger = (await w.dev.get(`/api/v1/projects/IMP/records/${created.id}`)).body;
    assert.equal(afterStranger.status, 'In progress', "an unknown sender's /status changes nothing");
    assert.equal(afterStranger.assignee, 'ann');
    const strangerReply = (await w.dev.get(`/api/v1/projects/IMP/records/${created.id}/emails`)).body.emails.find((e: { from: string }) => e.from === stranger);
    assert.match(strangerReply.replyText, /^\/status Closed/, 'their lines stay text');
    await drainOutbox(w.h);
    assert.equal((await readAllImap(stranger)).length, 0, 'nothing is sent to the unknown sender');

    // 6. Reopen on reply: the member closes it by mail, the customer writes again, it reopens.
    const closeMail = await buildReply(devCopy.msg, { from: w.devAddress, to: w.tracking, text: '/close' });
    await sendViaPostfix({ from: w.devAddress, to: w.tracking, raw: closeMail });
    await waitForMessageCount(w.tracking, 1);
    await poll(w);
    // The defect workflow's only done move from "In progress" is "Rejected" ("Closed" follows "Verified").
    assert.equal((await w.dev.get(`/api/v1/projects/IMP/records/${created.id}`)).body.status, 'Rejected');
    const again = await buildReply(ack.msg, { from: customer, to: w.tracking, text: 'It is jamming again.' });
    await sendViaPostfix({ from: customer, to: w.tracking, raw: again });
    await waitForMessageCount(w.tracking, 1);
    await poll(w);
    assert.equal((await w.dev.get(`/api/v1/projects/IMP/records/${created.id}`)).body.status, 'Open');
    const emails4 = (await w.dev.get(`/api/v1/projects/IMP/records/${created.id}/emails`)).body.emails;
    const jamming = emails4.find((e: { replyText: string | null }) => e.replyText === 'It is jamming again.');
    const reopenEvent = (await w.dev.get(`/api/v1/projects/IMP/records/${created.id}/history`)).body.events.find(
      (e: { kind: string; emailId?: string }) => e.kind === 'updated' && e.emailId === jamming.id,
    );
    assert.ok(reopenEvent, 'history says which email reopened it');
    assert.equal(reopenEvent.actor, null);
    assert.deepEqual(reopenEvent.changes, [{ field: 'status', old: 'Rejected', new: 'Open' }]);

    // 7. A member forwards an email into IMP-D1 with the id in the subject.
    const fwd = await compose({
      from: w.devAddress,
      to: importAddress,
      subject: 'Fwd: totals from the customer [IMP-D1]',
      text: '---------- Forwarded message ---------\nFrom: someone@elsewhere.test\n\nThe March totals are 1,234.00.',
      attachments: [{ filename: 'totals.csv', content: 'month,total\nmarch,1234\n' }],
    });
    await sendViaPostfix({ from: w.devAddress, to: [w.tracking], raw: fwd });
    await waitForMessageCount(w.tracking, 1);
    const p7 = await poll(w);
    assert.equal(p7.imported, 1, JSON.stringify(p7));
    const d1 = (await w.dev.get(`/api/v1/projects/IMP/records/${w.recordId}/emails`)).body.emails;
    const forwarded = d1.find((e: { subject: string }) => e.subject === 'Fwd: totals from the customer [IMP-D1]');
    assert.ok(forwarded, 'the forward is on IMP-D1');
    assert.equal(forwarded.parentId, null);
    assert.equal(forwarded.flags.forwardedInBy, 'devimp');
    assert.deepEqual(
      forwarded.attachments.map((a: { filename: string }) => a.filename),
      ['totals.csv'],
    );
    const records = (await w.dev.get('/api/v1/projects/IMP/records')).body.records;
    assert.equal(records.length, 2, 'the forward created no record');
  });
}
