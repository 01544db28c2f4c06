import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { emailImportModule } from '../../src/emailimport/index.js';
import { createTrackingModule } from '../../src/inbound/index.js';
import { inboundDb } from '../../src/inbound/inbound.table.js';
import { outboundModule } from '../../src/outbound/index.js';
import { parseMessage } from '../../src/mail/mime/index.js';
import { FakeMailbox } from '../inbound/fakeMailbox.js';
import { compose } from '../inbound/support.js';
import { startTestApp } from '../support/app.js';
import { STORE_KINDS, type StoreKind } from '../support/stores.js';

/**
 * Loop safety, who may create, and command security of email import, on both databases with an
 * in-memory mailbox (docs/email-import.md, "Loop safety" and "Commands by email").
 */
const TRACKING = 'tracking@example.test';
const IMPORT = 'support@example.test';
const NOTIFY = 'notify@example.test';

async function setup(t: TestContext, kind: StoreKind) {
  const box = new FakeMailbox();
  const h = await startTestApp(t, kind, { modules: [outboundModule(), createTrackingModule({ pollOptions: { opener: box.opener } }), emailImportModule] });
  if (!h) return undefined;
  const put = await h.admin.put('/api/v1/admin/email/tracking', {
    protocol: 'pop3',
    host: 'mail.invalid',
    port: 110,
    security: 'none',
    username: 'tracking',
    password: 'secret-password',
    address: TRACKING,
    pollSeconds: 60,
    deleteUntracked: false,
  });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  assert.equal((await h.admin.post('/api/v1/projects', { key: 'IMP', name: 'Import' })).status, 201);
  assert.equal(
    (
      await h.admin.put('/api/v1/projects/IMP/options/email', {
        sendingEnabled: true,
        trackingEnabled: true,
        notificationAccount: { name: 'IMP', address: NOTIFY },
      })
    ).status,
    200,
  );
  const settings = {
    enabled: true,
    address: IMPORT,
    whoMayCreate: 'anyone',
    allowedDomains: [],
    maxPerHour: 2,
    forwardToParticipants: false,
    reopenStatus: '',
    doneStatuses: ['Closed'],
  };
  assert.equal((await h.admin.put('/api/v1/projects/IMP/options/email-import', settings)).status, 200);
  const db = h.running.ctx.store.db;
  const poll = async () => (await h.admin.post('/api/v1/admin/email/tracking/poll')).body;
  const lastInbound = async () =>
    inboundDb(db).selectFrom('inbound_messages').select(['state', 'reason', 'detail']).orderBy('id', 'desc').executeTakeFirstOrThrow();
  const recordCount = async () =>
    Number(
      (
        await db
          .selectFrom('records')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const mail = async (o: { from: string; subject: string; text?: string; messageId?: string; headers?: Record<string, string>; inReplyTo?: string }) => {
    box.add(
      await compose({
        from: o.from,
        to: IMPORT,
        subject: o.subject,
        text: o.text ?? 'Hello.',
        ...(o.messageId ? { messageId: o.messageId } : {}),
        ...(o.headers ? { headers: o.headers } : {}),
        ...(o.inReplyTo ? { inReplyTo: o.inReplyTo, references: [o.inReplyTo] } : {}),
      }),
    );
    return poll();
  };
  return { h, db, settings, poll, lastInbound, recordCount, mail };
}

for (const kind of STORE_KINDS) {
  test(`import loop safety and who may create (${kind})`, async (t) => {
    const s = await setup(t, kind);
    if (!s) return;
    // Our own notification account writing to the import address: no record.
    await s.mail({ from: NOTIFY, subject: 'Weekly digest' });
    assert.deepEqual(await s.lastInbound(), { state: 'rejected', reason: 'import_own_mail', detail: `from ${NOTIFY}` });
    // An out-of-office reply and a bulk message: no record.
    await s.mail({ from: 'away@customer.example', subject: 'Out of office', headers: { 'Auto-Submitted': 'auto-replied' } });
    assert.equal((await s.lastInbound()).reason, 'auto_reply_unmatched');
    await s.mail({ from: 'news@customer.example', subject: 'Newsletter', headers: { Precedence: 'bulk' } });
    assert.equal((await s.lastInbound()).reason, 'auto_reply_unmatched');
    assert.equal(await s.recordCount(), 0);

    // One Message-ID twice (different bytes): one record.
    await s.mail({ from: 'ann@customer.example', subject: 'Login fails', messageId: '<same-id@customer.example>' });
    assert.equal((await s.lastInbound()).state, 'attached');
    await s.mail({ from: 'ann@customer.example', subject: 'Login fails (copy)', messageId: '<same-id@customer.example>' });
    assert.equal((await s.lastInbound()).reason, 'import_duplicate');
    assert.equal(await s.recordCount(), 1);

    // maxPerHour 2: the third record from one sender in an hour is held for review.
    await s.mail({ from: 'ann@customer.example', subject: 'Second problem' });
    await s.mail({ from: 'ann@customer.example', subject: 'Third problem' });
    const held = await s.lastInbound();
    assert.equal(held.state, 'unmatched');
    assert.equal(held.reason, 'import_held');
    assert.match(held.detail ?? '', /created 2 record\(s\) by email in the last hour; the limit is 2/);
    assert.equal(await s.recordCount(), 2);
    // Acknowledgements: one per created record, none for refused mail.
    const acks = await s.db.selectFrom('emails').select(['to_list']).where('template', '=', 'acknowledgement').execute();
    assert.equal(acks.length, 2);

    // Only listed domains: a sender from elsewhere waits in Unmatched mail.
    assert.equal(
      (
        await s.h.admin.put('/api/v1/projects/IMP/options/email-import', {
          ...s.settings,
          maxPerHour: 100,
          whoMayCreate: 'domains',
          allowedDomains: ['partner.test'],
        })
      ).status,
      200,
    );
    await s.mail({ from: 'bob@customer.example', subject: 'Not a partner' });
    assert.equal((await s.lastInbound()).reason, 'import_not_allowed');
    await s.mail({ from: 'carol@eu.partner.test', subject: 'Partner problem' });
    assert.equal((await s.lastInbound()).state, 'attached', 'subdomains of a listed domain count');
    // A list gets its record but no acknowledgement.
    await s.mail({ from: 'list@partner.test', subject: 'List mail', headers: { 'List-Id': '<dev.partner.test>' } });
    assert.match((await s.lastInbound()).detail ?? '', /no acknowledgement: mail from a mailing list/);

    // Bad settings are refused clearly.
    const bad = await s.h.admin.put('/api/v1/projects/IMP/options/email-import', { ...s.settings, address: 'not an address' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'invalid_import_address');
    const badRule = await s.h.admin.post('/api/v1/projects/IMP/import-rules', { name: 'Broken', recordType: 'defect', match: { subject: '(' } });
    assert.equal(badRule.status, 400);
    assert.equal(badRule.body.error.code, 'invalid_subject_pattern');
    const badStatus = await s.h.admin.post('/api/v1/projects/IMP/import-rules', { name: 'Odd', recordType: 'defect', defaults: { status: 'Proposed' } });
    assert.equal(badStatus.status, 400);
    assert.equal(badStatus.body.error.code, 'unknown_status');
    const badPriority = await s.h.admin.post('/api/v1/projects/IMP/import-rules', { name: 'Odd', recordType: 'defect', defaults: { priority: 'sky-high' } });
    assert.equal(badPriority.body.error.code, 'invalid_priority');

    // A rule's defaults: status, priority and a custom field land on the record made from mail.
    const field = await s.h.admin.post('/api/v1/projects/IMP/fields', { recordType: 'requirement', key: 'source', label: 'Source', kind: 'text' });
    assert.equal(field.status, 201, JSON.stringify(field.body));
    const rule = await s.h.admin.post('/api/v1/projects/IMP/import-rules', {
      name: 'Requests',
      recordType: 'requirement',
      match: { subject: '^request' },
      defaults: { status: 'in progress', priority: 'High', fields: { source: 'email' } },
    });
    assert.equal(rule.status, 201, JSON.stringify(rule.body));
    await s.mail({ from: 'carol@eu.partner.test', subject: 'Request: export to CSV' });
    assert.equal((await s.lastInbound()).state, 'attached');
    const made = (await s.h.admin.get('/api/v1/projects/IMP/records?type=requirement')).body.records[0];
    const full = (await s.h.admin.get(`/api/v1/projects/IMP/records/${made.id}`)).body;
    assert.equal(full.status, 'In progress');
    assert.equal(full.priority, 'high');
    assert.equal(full.fields.source, 'email');
  });

  test(`commands by email: a Viewer's are refused and reported, a subject-only match applies none (${kind})`, async (t) => {
    const s = await setup(t, kind);
    if (!s) return;
    await s.h.user('vic', { project: 'IMP', group: 'Viewers', email: 'vic@example.test' });
    await s.h.user('dev', { project: 'IMP', group: 'Developers', email: 'dev@example.test' });
    await s.mail({ from: 'ann@customer.example', subject: 'Printer jams' });
    const ack = await s.db.selectFrom('emails').selectAll().where('template', '=', 'acknowledgement').executeTakeFirstOrThrow();
    const recordId = ack.record_id;
    const status = async () => (await s.db.selectFrom('records').select('status').where('id', '=', recordId).executeTakeFirstOrThrow()).status;

    // A Viewer with a valid cookie: refused with the web's own reason, and told so.
    await s.mail({ from: 'vic@example.test', subject: `Re: ${ack.subject}`, text: '/status Closed\n\nDone here.', inReplyTo: ack.message_id! });
    assert.equal(await status(), 'Open');
    const report = await s.db.selectFrom('emails').select(['text_body', 'to_list']).where('template', '=', 'command-report').executeTakeFirstOrThrow();
    assert.match(report.text_body, /Refused: \/status Closed — You are not allowed to change defects in this project/);
    assert.match(report.to_list, /vic@example\.test/);

    // A Developer whose reply names the record only in the subject (cookie in the subject tag): nothing applied.
    const wire = await parseMessage(await s.h.running.ctx.blobs.get(ack.raw_blob!));
    await s.mail({ from: 'dev@example.test', subject: `Re: ${wire.subject}`, text: '/status Closed' });
    assert.equal((await s.lastInbound()).state, 'attached', 'the reply is still filed');
    const bySubject = await s.db
      .selectFrom('emails')
      .select('flags')
      .where('from_address', '=', 'dev@example.test')
      .orderBy('created_at', 'desc')
      .executeTakeFirstOrThrow();
    assert.match(JSON.parse(bySubject.flags).matchedVia, /^subject/, 'matched by the subject tag alone');
    assert.equal(await status(), 'Open', 'a subject-only match applies no command');

    // The same Developer with the cookie in In-Reply-To: applied.
    await s.mail({ from: 'dev@example.test', subject: `Re: ${ack.subject}`, text: '/close', inReplyTo: ack.message_id! });
    assert.equal(await status(), 'Rejected', "the defect workflow's only done move from Open");
  });
}
