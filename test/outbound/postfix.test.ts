import assert from 'node:assert/strict';
import { test } from 'node:test';
import { simpleParser } from 'mailparser';
import { renderTemplate } from '../../src/modules.js';
import { outboundModule } from '../../src/outbound/index.js';
import { Sender } from '../../src/outbound/sender.js';
import { setTrackingSettings } from '../../src/store/trackingAccounts.repository.js';
import { templatesModule } from '../../src/templates/index.js';
import { newAddress, readAllImap, requirePeers, waitForMessageCount } from '../harness/mailPeers.js';
import { startTestApp } from '../support/app.js';
import { STORE_KINDS } from '../support/stores.js';

for (const kind of STORE_KINDS) {
  test(`a tracked email sent through the real Postfix arrives in the recipient's Dovecot mailbox (${kind})`, async (t) => {
    if (!(await requirePeers(t))) return;
    const h = await startTestApp(t, kind, { modules: [templatesModule, outboundModule({ renderTemplate })] });
    if (!h) return;
    const tracking = newAddress('tracking');
    const customer = newAddress('customer');
    const devAddress = newAddress('dev');
    await h.admin.put('/api/v1/admin/email/sending', { host: '127.0.0.1', port: 25, security: 'none' });
    await setTrackingSettings(h.running.ctx.store.db, { address: tracking });
    await h.admin.post('/api/v1/projects', { key: 'PF', name: 'Postfix project' });
    const dev = await h.user('dev', { project: 'PF', email: devAddress });
    const rec = await dev.post('/api/v1/projects/PF/records', { type: 'testCase', title: 'Login with SSO' });
    const sent = await dev.post(`/api/v1/projects/PF/records/${rec.body.id}/emails`, {
      to: [customer],
      subject: 'Please run this test',
      text: 'Steps are in the record.',
      html: '<p>Steps are <b>in the record</b>.</p>',
    });
    assert.equal(sent.status, 202);
    const sender = new Sender(h.running.ctx);
    await sender.drain();
    await sender.stop();
    assert.equal((await dev.get(`/api/v1/emails/${sent.body.id}`)).body.status, 'sent');

    await waitForMessageCount(customer, 1, 15_000);
    const [raw] = await readAllImap(customer);
    const m = await simpleParser(raw!);
    const cookie = /^<(mt1[0-9a-z]{42})@/.exec(m.messageId ?? '')?.[1];
    assert.ok(cookie, `cookie in Message-ID: ${m.messageId}`);
    assert.equal(m.from?.value[0]?.address, devAddress);
    assert.equal(m.replyTo?.value[0]?.address, tracking);
    assert.match(m.subject ?? '', /\[PF-TC1 [0-9a-z]{8}\]/, `short subject tag: ${m.subject}`);
    assert.ok(m.text?.includes(`Mailtrail ref: ${cookie}`), 'text body line');
    assert.ok(typeof m.html === 'string' && m.html.includes(`Mailtrail ref: ${cookie}`), 'html body line');
    assert.ok(typeof m.html === 'string' && m.html.includes('<b>in the record</b>'));
    const returnPath = m.headers.get('return-path') as { value?: { address: string }[] } | undefined;
    assert.equal(returnPath?.value?.[0]?.address, tracking.replace('@', `+bounce-${cookie}@`), 'VERP Return-Path');
  });
}
