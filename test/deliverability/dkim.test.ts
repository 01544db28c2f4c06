import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, test, type TestContext } from 'node:test';
import { dkimVerify } from 'mailauth';
import { dkimModule } from '../../src/dkim/index.js';
import { createTrackingModule } from '../../src/inbound/index.js';
import { FakeMailbox } from '../inbound/fakeMailbox.js';
import { outboundModule } from '../../src/outbound/index.js';
import { Sender } from '../../src/outbound/sender.js';
import { rulesModule } from '../../src/rules/index.js';
import { setTrackingSettings } from '../../src/store/trackingAccounts.repository.js';
import { templatesModule } from '../../src/templates/index.js';
import { startTestApp } from '../support/app.js';
import { SmtpSink } from '../support/smtpSink.js';
import { newAddress, readAllImap, requirePeers, waitForMessageCount } from '../harness/mailPeers.js';
import { STORE_KINDS, type StoreKind } from '../support/stores.js';

/**
 * DKIM signing of outgoing mail on both databases: a key generated (or uploaded) through the
 * admin API, the private half sealed in the settings, the DNS record the API shows; the bytes
 * the SMTP server receives verify with mailauth's dkimVerify against a resolver that publishes
 * exactly that record. Tracked emails and notification-rule emails both go out signed.
 */
async function setup(t: TestContext, kind: StoreKind) {
  const sink = await new SmtpSink().start();
  t.after(() => sink.stop());
  const h = await startTestApp(t, kind, { modules: [templatesModule, outboundModule(), rulesModule, dkimModule] });
  if (!h) return undefined;
  assert.equal((await h.admin.put('/api/v1/admin/email/sending', { host: '127.0.0.1', port: sink.port, security: 'none' })).status, 200);
  await setTrackingSettings(h.running.ctx.store.db, { address: 'tracking@example.test' });
  await h.admin.post('/api/v1/projects', { key: 'ACC', name: 'Accounting' });
  await h.admin.put('/api/v1/projects/ACC/options/email', {
    sendingEnabled: true,
    trackingEnabled: true,
    notificationAccount: { name: 'ACC Tracker', address: 'acc-notify@example.test' },
  });
  const dev = await h.user('dev', { project: 'ACC', group: 'Developers' });
  const record = await dev.post('/api/v1/projects/ACC/records', { type: 'defect', title: 'Rounding' });
  assert.equal(record.status, 201);
  const send = async (to: string) => {
    const r = await dev.post(`/api/v1/projects/ACC/records/${record.body.id}/emails`, { to: [to], subject: 'Rounding', text: 'Does 2.5 round up?' });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const s = new Sender(h.running.ctx);
    await s.drain();
    await s.stop();
    const got = sink.messages.find((m) => m.to.includes(to));
    assert.ok(got, `the sink received the mail to ${to}`);
    return got.raw;
  };
  return { h, sink, dev, record: record.body as { id: string }, send };
}

function resolverFor(records: Record<string, string>) {
  return async (name: string, rrtype: string): Promise<string[][]> => {
    const value = rrtype === 'TXT' ? records[name.toLowerCase()] : undefined;
    if (value) return [[value]];
    throw Object.assign(new Error(`query${rrtype} ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
  };
}

async function verify(raw: Buffer, dns: { name: string; value: string }) {
  const res = await dkimVerify(raw, { resolver: resolverFor({ [dns.name]: dns.value }) });
  return res.results.map((r) => ({ domain: r.signingDomain, selector: r.selector, result: r.status.result }));
}

for (const kind of STORE_KINDS) {
  describe(`DKIM signing on ${kind}`, { timeout: 60_000 }, () => {
    test('a generated key: off sends unsigned; on, tracked and rule emails verify with mailauth against the DNS record shown', async (t) => {
      const s = await setup(t, kind);
      if (!s) return;
      const { h } = s;
      assert.equal((await h.admin.put('/api/v1/admin/email/dkim', { enabled: true, domain: 'example.test' })).body.error.code, 'dkim_incomplete');
      assert.equal((await s.dev.get('/api/v1/admin/email/dkim')).status, 403, 'admins only');

      const gen = await h.admin.post('/api/v1/admin/email/dkim/generate', { domain: 'Example.Test', selector: 'mt2026' });
      assert.equal(gen.status, 200, JSON.stringify(gen.body));
      assert.equal(gen.body.enabled, false, 'a new key does not turn signing on: the DNS record comes first');
      assert.equal(gen.body.keyBits, 2048);
      assert.equal(gen.body.dnsRecord.name, 'mt2026._domainkey.example.test');
      assert.match(gen.body.dnsRecord.value, /^v=DKIM1; k=rsa; p=[A-Za-z0-9+/=]{300,}$/);
      const row = await h.running.ctx.store.db.selectFrom('settings').select('value').where('key', '=', 'email.dkim').executeTakeFirstOrThrow();
      assert.doesNotMatch(row.value, /PRIVATE KEY|MIIE[uv]/, 'the private key is stored sealed (only the public half, MIIB…, in the clear)');
      assert.match(row.value, /"privateKeySealed":"v1:/);
      assert.equal(JSON.stringify((await h.admin.get('/api/v1/admin/email/dkim')).body).includes('PRIVATE'), false);

      const unsigned = await s.send('first@customer.example');
      assert.doesNotMatch(unsigned.toString('latin1'), /^DKIM-Signature:/im);

      const on = await h.admin.put('/api/v1/admin/email/dkim', { enabled: true });
      assert.equal(on.body.enabled, true);
      const raw = await s.send('second@customer.example');
      assert.match(raw.toString('latin1'), /^DKIM-Signature:/m);
      assert.deepEqual(await verify(raw, gen.body.dnsRecord), [{ domain: 'example.test', selector: 'mt2026', result: 'pass' }]);
      // The same message against another key's record does not verify: the check can fail.
      const other = await h.admin.post('/api/v1/admin/email/dkim/generate', {});
      assert.notEqual(other.body.dnsRecord.value, gen.body.dnsRecord.value);
      assert.notEqual((await verify(raw, other.body.dnsRecord))[0]!.result, 'pass');

      // A notification rule's email goes through the same sender, signed with the current key.
      const rule = await h.admin.post('/api/v1/projects/ACC/notification-rules', {
        name: 'Tell QA',
        enabled: true,
        event: 'record.updated',
        recordTypes: [],
        recipients: ['address:qa@customer.example'],
        template: 'Record changed',
        tracked: true,
      });
      assert.equal(rule.status, 201, JSON.stringify(rule.body));
      assert.equal((await s.dev.patch(`/api/v1/projects/ACC/records/${s.record.id}`, { title: 'Rounding of halves' })).status, 200);
      const sender = new Sender(h.running.ctx);
      await sender.drain();
      await sender.stop();
      const ruleMail = s.sink.messages.find((m) => m.to.includes('qa@customer.example'));
      assert.ok(ruleMail);
      assert.deepEqual(await verify(ruleMail.raw, other.body.dnsRecord), [{ domain: 'example.test', selector: 'mt2026', result: 'pass' }]);

      assert.equal((await h.admin.put('/api/v1/admin/email/dkim', { enabled: false })).body.enabled, false);
      assert.doesNotMatch((await s.send('third@customer.example')).toString('latin1'), /^DKIM-Signature:/im);
    });

    test('an uploaded key signs; keys that are not RSA private keys of 1024+ bits are refused', async (t) => {
      const s = await setup(t, kind);
      if (!s) return;
      const { h } = s;
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
      const put = await h.admin.put('/api/v1/admin/email/dkim', { enabled: true, domain: 'mail.example.test', selector: 'up', privateKey: pem });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      assert.equal(put.body.dnsRecord.value, `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`);
      const raw = await s.send('up@customer.example');
      assert.deepEqual(await verify(raw, put.body.dnsRecord), [{ domain: 'mail.example.test', selector: 'up', result: 'pass' }]);

      const bad = await h.admin.put('/api/v1/admin/email/dkim', { privateKey: 'not a key' });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.code, 'invalid_dkim_key');
      const ed = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      assert.equal((await h.admin.put('/api/v1/admin/email/dkim', { privateKey: ed })).body.error.code, 'invalid_dkim_key');
      const small = generateKeyPairSync('rsa', { modulusLength: 512 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      assert.equal((await h.admin.put('/api/v1/admin/email/dkim', { privateKey: small })).body.error.code, 'invalid_dkim_key');
      assert.equal((await h.admin.put('/api/v1/admin/email/dkim', { domain: 'not a domain' })).body.error.code, 'invalid_dkim_domain');
      // Refused changes left the working key in place.
      assert.deepEqual(await verify(await s.send('again@customer.example'), put.body.dnsRecord), [
        { domain: 'mail.example.test', selector: 'up', result: 'pass' },
      ]);
    });

    test('the forward of a reply goes out signed too', async (t) => {
      const sink = await new SmtpSink().start();
      t.after(() => sink.stop());
      const box = new FakeMailbox();
      const h = await startTestApp(t, kind, {
        modules: [templatesModule, outboundModule(), createTrackingModule({ pollOptions: { opener: box.opener } }), dkimModule],
      });
      if (!h) return;
      await h.admin.put('/api/v1/admin/email/sending', { host: '127.0.0.1', port: sink.port, security: 'none' });
      await h.admin.put('/api/v1/admin/email/tracking', {
        protocol: 'pop3',
        host: 'mail.invalid',
        port: 110,
        security: 'none',
        username: 'tracking',
        password: 'secret-password',
        address: 'tracking@example.test',
        pollSeconds: 3600,
        deleteUntracked: false,
      });
      await h.admin.post('/api/v1/projects', { key: 'FW', name: 'Forwards' });
      const dev = await h.user('dev', { project: 'FW', group: 'Developers', email: 'dev@example.test' });
      const gen = await h.admin.post('/api/v1/admin/email/dkim/generate', { domain: 'example.test', selector: 'fw' });
      await h.admin.put('/api/v1/admin/email/dkim', { enabled: true });
      const rec = await dev.post('/api/v1/projects/FW/records', { type: 'defect', title: 'Forwarded' });
      const sent = await dev.post(`/api/v1/projects/FW/records/${rec.body.id}/emails`, {
        to: ['customer@customer.example'],
        subject: 'Question',
        text: 'Is it fixed?',
      });
      const drain = async () => {
        const s = new Sender(h.running.ctx);
        await s.drain();
        await s.stop();
      };
      await drain();
      const messageId = (await dev.get(`/api/v1/emails/${sent.body.id}`)).body.messageId as string;
      box.add(
        [
          'From: Customer <customer@customer.example>',
          'To: tracking@example.test',
          'Subject: Re: Question',
          'Message-ID: <answer@customer.example>',
          `In-Reply-To: ${messageId}`,
          '',
          'Yes, it is fixed.',
          '',
        ].join('\r\n'),
      );
      assert.equal((await h.admin.post('/api/v1/admin/email/tracking/poll')).body.forwarded, 1);
      await drain();
      const forward = sink.messages.find((m) => m.to.includes('dev@example.test'));
      assert.ok(forward, 'the forward reached the sink');
      assert.match(forward.raw.toString('latin1'), /Yes, it is fixed\./);
      assert.deepEqual(await verify(forward.raw, gen.body.dnsRecord), [{ domain: 'example.test', selector: 'fw', result: 'pass' }]);
    });

    test('a signed email still verifies after the real Postfix delivered it to a Dovecot mailbox', { timeout: 60_000 }, async (t) => {
      if (!(await requirePeers(t))) return;
      const h = await startTestApp(t, kind, { modules: [templatesModule, outboundModule(), dkimModule] });
      if (!h) return;
      const customer = newAddress('customer');
      assert.equal((await h.admin.put('/api/v1/admin/email/sending', { host: '127.0.0.1', port: 25, security: 'none' })).status, 200);
      await setTrackingSettings(h.running.ctx.store.db, { address: newAddress('tracking') });
      await h.admin.post('/api/v1/projects', { key: 'PF', name: 'Postfix project' });
      const dev = await h.user('dev', { project: 'PF', email: newAddress('dev') });
      const gen = await h.admin.post('/api/v1/admin/email/dkim/generate', { domain: 'example.test', selector: 'pf' });
      assert.equal((await h.admin.put('/api/v1/admin/email/dkim', { enabled: true })).status, 200);
      const rec = await dev.post('/api/v1/projects/PF/records', { type: 'defect', title: 'Signed through Postfix' });
      const sent = await dev.post(`/api/v1/projects/PF/records/${rec.body.id}/emails`, {
        to: [customer],
        subject: 'Signed',
        text: 'Über the MTA and back — with a long line '.repeat(8),
        html: '<p>Signed <b>HTML</b> too</p>',
      });
      assert.equal(sent.status, 202);
      const sender = new Sender(h.running.ctx);
      await sender.drain();
      await sender.stop();
      assert.equal((await dev.get(`/api/v1/emails/${sent.body.id}`)).body.status, 'sent');
      await waitForMessageCount(customer, 1, 15_000);
      const [raw] = await readAllImap(customer);
      assert.match(raw!.toString('latin1'), /^Received: /m, 'Postfix added its headers');
      assert.deepEqual(await verify(raw!, gen.body.dnsRecord), [{ domain: 'example.test', selector: 'pf', result: 'pass' }]);
    });
  });
}
