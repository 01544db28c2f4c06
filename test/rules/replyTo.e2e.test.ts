import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMessage } from '../../src/mail/mime/index.js';
import type { ParsedMessage } from '../../src/mail/mime/parsedMessage.js';
import { rulesModule } from '../../src/rules/index.js';
import { templatesModule } from '../../src/templates/index.js';
import { newAddress, readAllImap, requirePeers, sendViaPostfix, waitForMessageCount } from '../harness/mailPeers.js';
import { buildReply, drainOutbox, startWorld, type World } from '../inbound/support.js';
import { STORE_KINDS } from '../support/stores.js';

/**
 * Issue 16, item 7: replies to notification emails reach the people who act on them. Each rule
 * chooses where its replies are forwarded — whoever made the change, the watchers, the
 * assignee as they are when the reply arrives — and every reply is filed on the record. All of
 * it through the real Postfix and Dovecot and the POP3 poller.
 */
for (const kind of STORE_KINDS) {
  test(`rule replyTo: actor, watchers, assignee at reply time; each reply filed on the record (${kind})`, { timeout: 240_000 }, async (t) => {
    if (!(await requirePeers(t))) return;
    const w = await startWorld(t, kind, { protocol: 'pop3' }, { extraModules: [templatesModule, rulesModule], projectKey: 'RTO' });
    if (!w) return;
    const key = w.projectKey;
    const notify = newAddress('notify');
    await w.h.admin.put(`/api/v1/projects/${key}/options/email`, {
      sendingEnabled: true,
      trackingEnabled: true,
      notificationAccount: { name: 'RTO Tracker', address: notify },
    });
    const addr = { ann: newAddress('ann'), wat: newAddress('wat'), vic: newAddress('vic') };
    const ann = await w.h.user('ann', { project: key, group: 'Developers', email: addr.ann });
    await w.h.user('wat', { project: key, group: 'Developers', email: addr.wat });
    await w.h.user('vic', { project: key, group: 'Viewers', email: addr.vic });
    const rule = async (body: Record<string, unknown>) => {
      const res = await w.h.admin.post(`/api/v1/projects/${key}/notification-rules`, {
        enabled: true,
        recordTypes: ['defect'],
        tracked: true,
        template: 'Record changed',
        ...body,
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.replyTo, body['replyTo']);
    };
    await rule({
      name: 'Assigned: tell the assignee, replies to whoever assigned',
      event: 'record.assigned',
      recipients: ['assignee'],
      template: 'Record assigned',
      replyTo: 'actor',
    });
    await rule({
      name: 'In progress: tell vic, replies to the watchers',
      event: 'record.statusChanged',
      conditions: { statusEquals: 'In progress' },
      recipients: ['user:vic'],
      replyTo: 'watchers',
    });
    await rule({
      name: 'Fixed: tell vic, replies to the assignee',
      event: 'record.statusChanged',
      conditions: { statusEquals: 'Fixed' },
      recipients: ['user:vic'],
      replyTo: 'assignee',
    });
    const rec = `/api/v1/projects/${key}/records/${w.recordId}`;
    const db = w.h.running.ctx.store.db;

    /** The newest message in a mailbox once it holds `n`. */
    const nth = async (address: string, n: number): Promise<ParsedMessage> => {
      await waitForMessageCount(address, n);
      const all = await readAllImap(address);
      return parseMessage(all[n - 1]!);
    };
    /** Replies to `received` from `from`, polls it in, drains the forwards; returns the filed reply and where it was forwarded. */
    const replyAndPoll = async (world: World, received: ParsedMessage, from: string, text: string) => {
      await sendViaPostfix({ from, to: world.tracking, raw: await buildReply(received, { from, to: world.tracking, text }) });
      await waitForMessageCount(world.tracking, 1);
      const poll = await world.h.admin.post('/api/v1/admin/email/tracking/poll');
      assert.equal(poll.body.imported, 1, JSON.stringify(poll.body));
      const filed = await db.selectFrom('emails').selectAll().where('direction', '=', 'inbound').where('reply_text', '=', text).executeTakeFirstOrThrow();
      assert.equal(filed.record_id, world.recordId, 'the reply is filed on the record');
      const forwards = await db.selectFrom('outbox').select('forward_to').where('email_id', '=', filed.id).where('kind', '=', 'forward').execute();
      await drainOutbox(world.h);
      return { filed, forwardedTo: forwards.map((f) => f.forward_to!.toLowerCase()).sort() };
    };

    // 1. The developer assigns ann: ann is mailed; her reply goes to the developer, not the notification account.
    assert.equal((await w.dev.patch(rec, { assignee: 'ann' })).status, 200);
    assert.equal(await drainOutbox(w.h), 1);
    const assigned = await nth(addr.ann, 1);
    assert.equal(assigned.from?.address, notify);
    const r1 = await replyAndPoll(w, assigned, addr.ann, 'Looking at it after lunch.');
    assert.deepEqual(r1.forwardedTo, [w.devAddress.toLowerCase()]);
    const ruleEmail = await db
      .selectFrom('emails')
      .select(['id', 'forward_to', 'reply_route'])
      .where('source', '=', 'rule')
      .where('to_list', 'like', `%${addr.ann}%`)
      .executeTakeFirstOrThrow();
    assert.equal(r1.filed.parent_id, ruleEmail.id, 'filed under the notification email');
    assert.match((await nth(w.devAddress, 1)).text ?? '', /Looking at it after lunch\./);

    // 2. wat watches; ann starts work: vic is told, and vic's reply reaches every watcher — wat,
    //    ann (assignee) and the developer (creator) — but not vic, and not the notification account.
    assert.equal((await w.h.login('wat', 'user-password-123').then((c) => c.put(`${rec}/watchers/wat`, {}))).status, 200);
    assert.equal((await ann.patch(rec, { status: 'In progress' })).status, 200);
    assert.equal(await drainOutbox(w.h), 1);
    const started = await nth(addr.vic, 1);
    assert.match(started.subject, /RTO-D1/);
    const r2 = await replyAndPoll(w, started, addr.vic, 'Customer says it is urgent.');
    assert.deepEqual(r2.forwardedTo, [addr.ann, addr.wat, w.devAddress].map((a) => a.toLowerCase()).sort());
    for (const [who, n] of [
      [addr.wat, 1],
      [addr.ann, 2],
      [w.devAddress, 2],
    ] as const)
      assert.match((await nth(who, n)).text ?? '', /Customer says it is urgent\./, `${who} got the forward`);

    // 3. ann marks it Fixed: vic is told; before vic answers, the record goes to wat. The reply
    //    reaches the assignee as they are when it arrives: wat, not ann.
    assert.equal((await ann.patch(rec, { status: 'Fixed' })).status, 200);
    assert.equal(await drainOutbox(w.h), 1);
    const fixed = await nth(addr.vic, 2);
    assert.equal((await w.dev.patch(rec, { assignee: 'wat' })).status, 200);
    assert.equal(await drainOutbox(w.h), 1, 'the assignment mails wat');
    const r3 = await replyAndPoll(w, fixed, addr.vic, 'Confirmed fixed on my side.');
    assert.deepEqual(r3.forwardedTo, [addr.wat.toLowerCase()]);
    assert.match((await nth(addr.wat, 3)).text ?? '', /Confirmed fixed on my side\./);
    assert.equal((await readAllImap(addr.ann)).length, 2, 'ann, no longer the assignee, gets no copy');

    // 4. Nobody to route to: the notification account gets the reply, as before.
    assert.equal((await w.dev.patch(rec, { assignee: null })).status, 200);
    const r4 = await replyAndPoll(w, fixed, addr.vic, 'One more thing.');
    assert.deepEqual(r4.forwardedTo, [notify.toLowerCase()]);
    assert.match((await nth(notify, 1)).text ?? '', /One more thing\./);

    const thread = (await w.dev.get(`${rec}/emails`)).body.emails as { direction: string; replyText: string | null }[];
    assert.deepEqual(
      thread
        .filter((e) => e.direction === 'inbound')
        .map((e) => e.replyText)
        .sort(),
      ['Confirmed fixed on my side.', 'Customer says it is urgent.', 'Looking at it after lunch.', 'One more thing.'],
      'every reply is on the record',
    );
  });
}
