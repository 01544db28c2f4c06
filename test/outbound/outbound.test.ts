import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { simpleParser } from 'mailparser';
import { setClock } from '../../src/clock.js';
import { outboundModule } from '../../src/outbound/index.js';
import { Sender } from '../../src/outbound/sender.js';
import { setTrackingSettings } from '../../src/store/trackingAccounts.repository.js';
import { verifyCookie, parseCookie, subjectToken } from '../../src/tracking/cookie.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { SmtpSink, freePort } from '../support/smtpSink.js';
import { STORE_KINDS } from '../support/stores.js';

const TRACKING = 'tracking@example.test';

async function setup(h: TestApp, smtpPort: number) {
  const sending = await h.admin.put('/api/v1/admin/email/sending', { host: '127.0.0.1', port: smtpPort, security: 'none' });
  assert.equal(sending.status, 200);
  await setTrackingSettings(h.running.ctx.store.db, { address: TRACKING });
  assert.equal((await h.admin.post('/api/v1/projects', { key: 'ACC', name: 'Accounting' })).status, 201);
  const dev = await h.user('dev', { project: 'ACC', group: 'Developers', email: 'dev@example.test' });
  const rec = await dev.post('/api/v1/projects/ACC/records', { type: 'defect', title: 'Totals are wrong' });
  assert.equal(rec.status, 201);
  return { dev, record: rec.body as { id: string; tag: string } };
}

for (const kind of STORE_KINDS) {
  describe(`outbound email on ${kind}`, () => {
    test('a tracked email leaves with From, Reply-To and the cookie in every place', async (t) => {
      const sink = await new SmtpSink().start();
      t.after(() => sink.stop());
      const h = await startTestApp(t, kind, { modules: [outboundModule()] });
      if (!h) return;
      const { dev, record } = await setup(h, sink.port);
      const sent = await dev.post(`/api/v1/projects/ACC/records/${record.id}/emails`, {
        to: ['customer@example.test', 'dev'],
        subject: 'Can you reproduce?',
        text: 'Hello,\nplease check the totals.',
        attachments: [{ filename: 'log.txt', contentType: 'text/plain', contentBase64: Buffer.from('line 1\n').toString('base64') }],
      });
      assert.equal(sent.status, 202);
      assert.equal(sent.body.status, 'queued');
      const sender = new Sender(h.running.ctx);
      assert.equal(await sender.drain(), 1);
      await sender.stop();

      assert.equal(sink.messages.length, 1);
      const m = sink.messages[0]!;
      assert.deepEqual(m.to.sort(), ['customer@example.test', 'dev@example.test']);
      const parsed = await simpleParser(m.raw);
      assert.equal(parsed.from?.value[0]?.address, 'dev@example.test');
      assert.equal(parsed.replyTo?.value[0]?.address, TRACKING);
      const cookie = /^<(mt1[0-9a-z]+)@example\.test>$/.exec(parsed.messageId ?? '')?.[1];
      assert.ok(cookie, `Message-ID carries the cookie: ${parsed.messageId}`);
      assert.ok(
        verifyCookie(
          cookie,
          {
            emailId: sent.body.id,
            projectId: parseCookie(cookie)!.emailId === sent.body.id ? (await h.admin.get('/api/v1/projects/ACC')).body.id : '',
            recordId: record.id,
          },
          'test-secret-0123456789abcdef',
        ),
      );
      // The subject carries the short token (8 characters beyond the key), not the cookie.
      assert.equal(parsed.subject, `[ACC-D1 ${subjectToken(cookie, 'test-secret-0123456789abcdef')}] Can you reproduce?`);
      assert.ok(!(parsed.subject ?? '').includes(cookie));
      assert.ok(parsed.text?.includes(cookie), 'text body carries the cookie');
      assert.ok(typeof parsed.html === 'string' && parsed.html.includes(cookie), 'html body carries the cookie');
      assert.ok(parsed.text?.includes('please check the totals.'));
      assert.equal(m.from, `tracking+bounce-${cookie}@example.test`, 'VERP envelope sender');
      assert.equal(parsed.attachments[0]?.filename, 'log.txt');
      assert.ok(parsed.headers.get('x-mailtrail-loop'));
      assert.equal(parsed.headers.get('auto-submitted'), undefined, 'a person’s email is not auto-submitted');

      const list = await dev.get(`/api/v1/projects/ACC/records/${record.id}/emails`);
      assert.equal(list.status, 200);
      const email = list.body.emails[0];
      assert.equal(email.status, 'sent');
      assert.equal(email.subject, '[ACC-D1] Can you reproduce?', 'people see the subject without the cookie');
      assert.equal(email.direction, 'outbound');
      assert.equal(email.parentId, null);
      assert.deepEqual(email.to, ['customer@example.test', 'dev@example.test']);
      assert.equal(email.attachments[0].filename, 'log.txt');

      const raw = await dev.get(`/api/v1/emails/${email.id}/raw`);
      assert.equal(raw.status, 200);
      assert.match(String(raw.headers['content-type']), /message\/rfc822/);
      assert.equal(raw.body.replace(/\r\n/g, '\n'), m.raw.toString('utf8').replace(/\r\n/g, '\n'), 'raw is exactly what was sent');
      const att = await dev.get(`/api/v1/emails/${email.id}/attachments/${email.attachments[0].id}`);
      assert.equal(att.body, 'line 1\n');

      // A reply from the tracker threads under the original.
      const reply = await dev.post(`/api/v1/emails/${email.id}/reply`, { text: 'Any news?' });
      assert.equal(reply.status, 202);
      const s2 = new Sender(h.running.ctx);
      await s2.drain();
      await s2.stop();
      const p2 = await simpleParser(sink.messages[1]!.raw);
      assert.equal(p2.inReplyTo, parsed.messageId);
      const cookie2 = /^<(mt1[0-9a-z]+)@example\.test>$/.exec(p2.messageId ?? '')?.[1] ?? '';
      assert.equal(
        p2.subject,
        `Re: [ACC-D1 ${subjectToken(cookie2, 'test-secret-0123456789abcdef')}] Can you reproduce?`,
        'the reply carries its own token, not the parent’s',
      );
      assert.ok(p2.headers.get('thread-index'));
      const thread = await dev.get(`/api/v1/projects/ACC/records/${record.id}/emails`);
      assert.deepEqual(
        thread.body.emails.map((e: { parentId: string | null }) => e.parentId),
        [null, email.id],
      );
      assert.equal(thread.body.emails[1].depth, 1);
    });

    test('commands and project options are enforced', async (t) => {
      const sink = await new SmtpSink().start();
      t.after(() => sink.stop());
      const h = await startTestApp(t, kind, { modules: [outboundModule()] });
      if (!h) return;
      const { dev, record } = await setup(h, sink.port);
      const viewer = await h.user('viewer', { project: 'ACC', group: 'Viewers' });
      const outsider = await h.user('outsider');
      const url = `/api/v1/projects/ACC/records/${record.id}/emails`;
      assert.equal((await viewer.post(url, { to: ['x@example.test'], text: 'hi' })).status, 403);
      assert.equal((await viewer.get(url)).status, 200, 'Viewers hold viewTrackedEmail');
      assert.equal((await outsider.get(url)).status, 404);
      const bad = await dev.post(url, { to: ['broken@@example'], text: 'hi' });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.code, 'invalid_recipient');
      const sent = await dev.post(url, { to: ['x@example.test'], text: 'hi' });
      assert.equal((await outsider.get(`/api/v1/emails/${sent.body.id}`)).status, 404);
      assert.equal((await dev.delete(`/api/v1/emails/${sent.body.id}`)).status, 403, 'Developers lack deleteTrackedEmail');
      assert.equal((await h.admin.delete(`/api/v1/emails/${sent.body.id}`)).status, 204);
      assert.equal((await dev.get(url)).body.emails.length, 0);
      const sender = new Sender(h.running.ctx);
      await sender.drain();
      await sender.stop();
      assert.equal(sink.messages.length, 0, 'a deleted queued email is not sent');

      await h.admin.put('/api/v1/projects/ACC/options/email', {
        sendingEnabled: false,
        trackingEnabled: true,
        notificationAccount: { name: 'n', address: '' },
      });
      const off = await dev.post(url, { to: ['x@example.test'], text: 'hi' });
      assert.equal(off.status, 409);
      assert.equal(off.body.error.code, 'email_sending_disabled');

      await h.admin.put('/api/v1/projects/ACC/options/email', {
        sendingEnabled: true,
        trackingEnabled: false,
        notificationAccount: { name: 'n', address: '' },
      });
      await dev.post(url, { to: ['x@example.test'], text: 'untracked' });
      const s2 = new Sender(h.running.ctx);
      await s2.drain();
      await s2.stop();
      const p = await simpleParser(sink.messages[0]!.raw);
      assert.ok(!(p.messageId ?? '').includes('mt1'), 'tracking off: no cookie');
      assert.ok(!(p.text ?? '').includes('Mailtrail ref'));

      const settings = await h.admin.get('/api/v1/admin/email/sending');
      assert.equal(settings.body.passwordSet, false);
      await h.admin.put('/api/v1/admin/email/sending', { host: '127.0.0.1', port: sink.port, security: 'none', username: 'u', password: 'smtp-secret' });
      const after = await h.admin.get('/api/v1/admin/email/sending');
      assert.equal(after.body.passwordSet, true);
      assert.ok(!JSON.stringify(after.body).includes('smtp-secret'), 'the password is never returned');
      const stored = await h.running.ctx.store.db.selectFrom('settings').select('value').where('key', '=', 'email.sending').executeTakeFirstOrThrow();
      assert.ok(!stored.value.includes('smtp-secret'), 'the password is encrypted at rest');
      assert.equal((await dev.get('/api/v1/admin/email/sending')).status, 403);
    });

    test('SMTP down: retried and delivered when it comes back; 5xx: failed with the reply', async (t) => {
      const port = await freePort();
      const h = await startTestApp(t, kind, { modules: [outboundModule()] });
      if (!h) return;
      const { dev, record } = await setup(h, port);
      const sent = await dev.post(`/api/v1/projects/ACC/records/${record.id}/emails`, { to: ['x@example.test'], text: 'hello' });
      const sender = new Sender(h.running.ctx);
      t.after(() => sender.stop());
      await sender.drain();
      let email = (await dev.get(`/api/v1/emails/${sent.body.id}`)).body;
      assert.equal(email.status, 'queued');
      assert.match(email.error, /Will retry/);

      const sink = await new SmtpSink().start(port);
      t.after(() => sink.stop());
      assert.equal(await sender.drain(), 0, 'not due before the backoff');
      const base = Date.now();
      setClock({ now: () => new Date(base + 60_000) });
      t.after(() => setClock({ now: () => new Date() }));
      assert.equal(await sender.drain(), 1);
      email = (await dev.get(`/api/v1/emails/${sent.body.id}`)).body;
      assert.equal(email.status, 'sent');
      assert.equal(sink.messages.length, 1);

      sink.rejectRcpt = { code: 550, message: 'No such user here' };
      const doomed = await dev.post(`/api/v1/projects/ACC/records/${record.id}/emails`, { to: ['nobody@example.test'], text: 'hello' });
      await sender.drain();
      email = (await dev.get(`/api/v1/emails/${doomed.body.id}`)).body;
      assert.equal(email.status, 'failed');
      assert.match(email.error, /550.*No such user here/);
    });
  });
}

test('sending "test connection" reports success and failure in words', async (t) => {
  const sink = await new SmtpSink().start();
  t.after(() => sink.stop());
  const h = await startTestApp(t, 'sqlite', { modules: [outboundModule()] });
  if (!h) return;
  const none = await h.admin.post('/api/v1/admin/email/sending/test');
  assert.deepEqual(none.body, { ok: false, message: 'Sending is not configured yet.' });
  await h.admin.put('/api/v1/admin/email/sending', { host: '127.0.0.1', port: sink.port, security: 'none' });
  const ok = await h.admin.post('/api/v1/admin/email/sending/test');
  assert.equal(ok.body.ok, true);
  assert.match(ok.body.message, /Connected to 127\.0\.0\.1/);
  const closed = await freePort();
  const down = await h.admin.post('/api/v1/admin/email/sending/test', { port: closed });
  assert.equal(down.body.ok, false, 'testing unsaved settings: a closed port fails');
  assert.match(down.body.message, /refused|connect/i);
  assert.equal((await h.admin.get('/api/v1/admin/email/sending')).body.port, sink.port, 'testing does not save');
});

test('usernames in "to" resolve only to members of the project', async (t) => {
  const sink = await new SmtpSink().start();
  t.after(() => sink.stop());
  const h = await startTestApp(t, 'sqlite', { modules: [outboundModule()] });
  if (!h) return;
  const { dev, record } = await setup(h, sink.port);
  await h.user('stranger', { email: 'secret-address@example.test' });
  const res = await dev.post(`/api/v1/projects/ACC/records/${record.id}/emails`, { to: ['stranger'], text: 'who are you?' });
  assert.equal(res.status, 400);
  assert.equal(res.body.error.code, 'unknown_recipient');
  assert.ok(!JSON.stringify(res.body).includes('secret-address'));
  assert.equal((await dev.post(`/api/v1/projects/ACC/records/${record.id}/emails`, { to: ['admin'], text: 'hi' })).status, 202);
});
