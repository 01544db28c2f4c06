import assert from 'node:assert/strict';
import { test } from 'node:test';
import { simpleParser } from 'mailparser';
import { renderTemplate } from '../../src/modules.js';
import { outboundModule } from '../../src/outbound/index.js';
import { Sender } from '../../src/outbound/sender.js';
import { templatesModule } from '../../src/templates/index.js';
import { startTestApp } from '../support/app.js';
import { SmtpSink } from '../support/smtpSink.js';
import { STORE_KINDS } from '../support/stores.js';

for (const kind of STORE_KINDS) {
  test(`sending with a standard template renders it for the record (${kind})`, async (t) => {
    const sink = await new SmtpSink().start();
    t.after(() => sink.stop());
    const h = await startTestApp(t, kind, { modules: [templatesModule, outboundModule({ renderTemplate })] });
    if (!h) return;
    await h.admin.put('/api/v1/admin/email/sending', { host: '127.0.0.1', port: sink.port, security: 'none' });
    await h.admin.post('/api/v1/projects', { key: 'ACC', name: 'Accounting' });
    const dev = await h.user('dev', { project: 'ACC' });
    const rec = await dev.post('/api/v1/projects/ACC/records', { type: 'defect', title: 'Totals <b>wrong</b>', description: 'Off by one cent.' });
    const sent = await dev.post(`/api/v1/projects/ACC/records/${rec.body.id}/emails`, {
      to: ['qa@example.test'],
      template: 'Request for information',
      text: 'Which browser?',
    });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    const unknown = await dev.post(`/api/v1/projects/ACC/records/${rec.body.id}/emails`, { to: ['qa@example.test'], template: 'No such template' });
    assert.equal(unknown.status, 400);
    const s = new Sender(h.running.ctx);
    await s.drain();
    await s.stop();
    assert.equal(sink.messages.length, 1);
    const p = await simpleParser(sink.messages[0]!.raw);
    assert.match(p.text ?? '', /Which browser\?/);
    assert.match(p.text ?? '', /Totals <b>wrong<\/b>/, 'text part is literal');
    assert.ok(typeof p.html === 'string' && p.html.includes('Totals &lt;b&gt;wrong&lt;/b&gt;'), 'html part escapes record fields');
    const list = await dev.get(`/api/v1/projects/ACC/records/${rec.body.id}/emails`);
    assert.equal(list.body.emails[0].template, 'Request for information');
  });
}
