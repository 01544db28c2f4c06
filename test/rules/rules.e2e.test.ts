import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMessage } from '../../src/mail/mime/index.js';
import { rulesModule } from '../../src/rules/index.js';
import { templatesModule } from '../../src/templates/index.js';
import { newAddress, readAllImap, requirePeers, sendViaPostfix, waitForMessageCount } from '../harness/mailPeers.js';
import { buildReply, drainOutbox, startWorld } from '../inbound/support.js';
import { STORE_KINDS } from '../support/stores.js';

/**
 * Issue "Notification rules", end to end on the real Postfix and Dovecot: assigning a defect
 * mails the assignee from the notification account; the assignee's reply lands on the defect
 * and is forwarded to the notification account's mailbox.
 */
for (const kind of STORE_KINDS) {
  test(`assign → assignee mailed from the notification account → reply on the defect and forwarded (${kind})`, async (t) => {
    if (!(await requirePeers(t))) return;
    const w = await startWorld(t, kind, { protocol: 'pop3' }, { extraModules: [templatesModule, rulesModule], projectKey: 'RUL' });
    if (!w) return;
    const notify = newAddress('notify');
    const assigneeAddress = newAddress('ann');
    await w.h.admin.put('/api/v1/projects/RUL/options/email', {
      sendingEnabled: true,
      trackingEnabled: true,
      notificationAccount: { name: 'RUL Tracker', address: notify },
    });
    await w.h.user('ann', { project: 'RUL', group: 'Developers', email: assigneeAddress });
    const rule = await w.h.admin.post('/api/v1/projects/RUL/notification-rules', {
      name: 'Tell the assignee',
      enabled: true,
      event: 'record.assigned',
      recordTypes: ['defect'],
      recipients: ['assignee'],
      template: 'Record assigned',
      tracked: true,
    });
    assert.equal(rule.status, 201);

    assert.equal((await w.dev.patch(`/api/v1/projects/RUL/records/${w.recordId}`, { assignee: 'ann' })).status, 200);
    assert.equal(await drainOutbox(w.h), 1);
    await waitForMessageCount(assigneeAddress, 1);
    const [raw] = await readAllImap(assigneeAddress);
    const received = await parseMessage(raw!);
    assert.equal(received.from?.address, notify);
    assert.equal(received.from?.name, 'RUL Tracker');
    assert.equal(received.replyTo[0]?.address, w.tracking);
    assert.match(received.subject, /RUL-D1/);

    const reply = await buildReply(received, { from: assigneeAddress, to: w.tracking, text: 'On it, will look today.' });
    await sendViaPostfix({ from: assigneeAddress, to: w.tracking, raw: reply });
    await waitForMessageCount(w.tracking, 1);
    const poll = await w.h.admin.post('/api/v1/admin/email/tracking/poll');
    assert.equal(poll.body.imported, 1, JSON.stringify(poll.body));

    const thread = await w.dev.get(`/api/v1/projects/RUL/records/${w.recordId}/emails`);
    const inbound = thread.body.emails.find((e: { direction: string }) => e.direction === 'inbound');
    assert.ok(inbound, 'the reply is on the defect');
    assert.equal(inbound.replyText, 'On it, will look today.');
    assert.equal(inbound.parentId, thread.body.emails.find((e: { source: string }) => e.source === 'rule').id);

    await drainOutbox(w.h);
    await waitForMessageCount(notify, 1);
    const forwarded = (await readAllImap(notify))[0]!.toString('utf8');
    assert.match(forwarded, /On it, will look today\./, 'the notification account got the forward');
  });
}
