import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setClock } from '../../src/clock.js';
import { parseMessage } from '../../src/mail/mime/index.js';
import { deliverDueDigests, notificationsModule } from '../../src/notifications/index.js';
import { newAddress, readAllImap, requirePeers, sendViaPostfix, waitForMessageCount } from '../harness/mailPeers.js';
import { buildReply, compose, drainOutbox, startWorld } from '../inbound/support.js';
import { STORE_KINDS } from '../support/stores.js';

const HOUR = 3_600_000;

/**
 * Issue 18, item 5, through the real Postfix, Dovecot and the POP3 poller: the daily digest
 * arrives at the person's hour with one section per record, and a reply about a section lands
 * on that record — sent from the section's "Reply about" mailto link as a mail client sends it,
 * or as a reply to the whole digest that names one record or keeps one section quoted. A reply
 * to the whole digest that says neither stays with the digest email, on its first record.
 */
for (const kind of STORE_KINDS) {
  test(`daily digest: sections per record, replies land on the record they are about (${kind})`, { timeout: 240_000 }, async (t) => {
    if (!(await requirePeers(t))) return;
    let at = Date.now();
    setClock({ now: () => new Date(at) });
    t.after(() => setClock({ now: () => new Date() }));
    const w = await startWorld(t, kind, { protocol: 'pop3' }, { extraModules: [notificationsModule], projectKey: 'DGE' });
    if (!w) return;
    const key = w.projectKey;
    const notify = newAddress('notify');
    await w.h.admin.put(`/api/v1/projects/${key}/options/email`, {
      sendingEnabled: true,
      trackingEnabled: true,
      notificationAccount: { name: 'DGE', address: notify },
    });
    const annAddress = newAddress('ann');
    const ann = await w.h.user('ann', { project: key, group: 'Developers', email: annAddress });
    const target = Math.ceil((at + 1) / HOUR) * HOUR;
    const put = await ann.put(`/api/v1/projects/${key}/notification-settings`, {
      events: { changed: 'digest', commented: 'digest' },
      digestHour: new Date(target).getUTCHours(),
      timeZone: 'UTC',
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const rec1 = w.recordId;
    const rec2 = ((await w.dev.post(`/api/v1/projects/${key}/records`, { type: 'defect', title: 'Export is slow' })).body as { id: string }).id;
    for (const id of [rec1, rec2]) assert.equal((await ann.put(`/api/v1/projects/${key}/records/${id}/watchers/ann`, {})).status, 200);
    assert.equal((await w.dev.patch(`/api/v1/projects/${key}/records/${rec1}`, { priority: 'high' })).status, 200);
    assert.equal((await w.dev.post(`/api/v1/projects/${key}/records/${rec2}/comments`, { body: 'Takes a minute per thousand rows' })).status, 201);

    at = target - 1;
    assert.equal(await deliverDueDigests(w.h.running.ctx), 0, 'not before the hour');
    at = target;
    assert.equal(await deliverDueDigests(w.h.running.ctx), 1);
    assert.equal(await drainOutbox(w.h), 1);
    await waitForMessageCount(annAddress, 1);
    const digest = await parseMessage((await readAllImap(annAddress))[0]!);
    assert.match(digest.subject, /Daily digest: 2 records/);
    const headings = (digest.text ?? '').split('\n').filter((l) => l.startsWith('== '));
    assert.deepEqual(
      headings.map((h) => h.split(':')[0]),
      [`== ${key}-D1`, `== ${key}-D2`],
    );

    const db = w.h.running.ctx.store.db;
    const sections = await db.selectFrom('emails').select(['id', 'record_id']).where('template', '=', 'digest-section').execute();
    const sectionOf = (recordId: string) => sections.find((s) => s.record_id === recordId)!.id;
    const digestRow = await db.selectFrom('emails').select(['id', 'record_id']).where('template', '=', 'digest').executeTakeFirstOrThrow();
    assert.equal(digestRow.record_id, rec1);

    /** Sends `raw` from ann to the tracking mailbox, polls it in, drains the forwards; the filed reply and its forwards. */
    const deliver = async (raw: Buffer, text: string) => {
      await sendViaPostfix({ from: annAddress, to: w.tracking, raw });
      await waitForMessageCount(w.tracking, 1);
      const poll = await w.h.admin.post('/api/v1/admin/email/tracking/poll');
      assert.equal(poll.body.imported, 1, JSON.stringify(poll.body));
      const filed = await db
        .selectFrom('emails')
        .selectAll()
        .where('direction', '=', 'inbound')
        .where('reply_text', 'like', `${text}%`)
        .executeTakeFirstOrThrow();
      const forwards = await db.selectFrom('outbox').select('forward_to').where('email_id', '=', filed.id).where('kind', '=', 'forward').execute();
      await drainOutbox(w.h);
      return { filed, forwardedTo: forwards.map((f) => f.forward_to!.toLowerCase()) };
    };

    // 1. The second section's "Reply about" link, as a mail client turns a mailto: into a new message.
    const links = [...(digest.html ?? '').matchAll(/href="(mailto:[^"]+)"/g)].map((m) => new URL(m[1]!.replace(/&amp;/g, '&')));
    assert.equal(links.length, 2);
    const link = links[1]!;
    const typed = 'Only with more than ten thousand rows.';
    const viaLink = await deliver(
      await compose({
        from: annAddress,
        to: decodeURIComponent(link.pathname),
        subject: link.searchParams.get('subject') ?? '',
        text: `${typed}${link.searchParams.get('body') ?? ''}`,
      }),
      typed,
    );
    assert.equal(viaLink.filed.record_id, rec2, 'filed on the record of the section');
    assert.equal(viaLink.filed.parent_id, sectionOf(rec2), 'under that section');
    assert.deepEqual(viaLink.forwardedTo, [w.devAddress.toLowerCase()], 'forwarded to whoever did what the section tells of');

    // 2. Reply to the whole digest, the whole of it quoted, naming one record in the answer.
    const named = `${key}-D1 is the urgent one.`;
    const r2 = await deliver(await buildReply(digest, { from: annAddress, to: w.tracking, text: named }), named);
    assert.equal(r2.filed.record_id, rec1);
    assert.equal(r2.filed.parent_id, sectionOf(rec1));

    // 3. Reply to the whole digest with the quote cut down to the second section.
    const kept = (digest.text ?? '').split('\n== ')[2]!.split('\n\n').slice(0, 3).join('\n\n');
    assert.match(kept, /Mailtrail ref: mt1/);
    const trimmed = 'Agreed, let us look at this one first.';
    const r3 = await deliver(
      await compose({
        from: annAddress,
        to: w.tracking,
        subject: `Re: ${digest.subject}`,
        inReplyTo: `<${digest.messageId}>`,
        references: [`<${digest.messageId}>`],
        text: `${trimmed}\n\nOn Tue, 3 Mar 2026 at 10:00, ${notify} wrote:\n${`== ${kept}`
          .split('\n')
          .map((l) => `> ${l}`)
          .join('\n')}\n`,
      }),
      trimmed,
    );
    assert.equal(r3.filed.record_id, rec2);
    assert.equal(r3.filed.parent_id, sectionOf(rec2));

    // 4. Reply to the whole digest that says nothing of which record: it stays with the digest email.
    const vague = 'Thanks, will read it all after lunch.';
    const r4 = await deliver(await buildReply(digest, { from: annAddress, to: w.tracking, text: vague }), vague);
    assert.equal(r4.filed.record_id, rec1);
    assert.equal(r4.filed.parent_id, digestRow.id);
    assert.deepEqual(r4.forwardedTo, [notify.toLowerCase()]);
  });
}
