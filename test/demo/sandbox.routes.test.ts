import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import { sandboxModule } from '../../src/sandbox/module.js';
import { startTestApp, type TestApp } from '../support/app.js';

const PIXEL_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');
const EVIL_HTML = [
  '<html><head><title>Do not show</title><style>body{background:url(https://tracker.test/css.gif)}</style>',
  '<script>alert("head")</script></head><body onload="steal()">',
  '<p style="color:#333;background-image:url(https://tracker.test/bg.gif)">Hello <b>Casey</b>,</p>',
  '<p onclick="steal()">the CSV export is fixed.</p>',
  '<a href="javascript:steal()">click</a> <a href="https://mailtrail.test/DEMO-D1">DEMO-D1</a>',
  '<img src="https://tracker.test/pixel.gif" alt="logo" width="1"><img src="cid:logo@demo.test" alt="inline">',
  '<iframe src="https://evil.test"></iframe><form action="https://evil.test"><input name="pw"></form>',
  '<svg><script>alert(1)</script></svg><script>alert("body")</script>',
  '</body></html>',
].join('\n');

function mailbox(address: string): string {
  return `/api/v1/sandbox/mailboxes/${encodeURIComponent(address)}`;
}

async function running(t: Parameters<typeof startTestApp>[0], demo = true, enabled?: boolean): Promise<{ h: TestApp; smtpPort: number; pop3Port: number }> {
  const module = sandboxModule({ demo }, enabled === undefined ? {} : { enabled });
  const h = await startTestApp(t, 'sqlite', { modules: [module], config: { demo, workers: true, sandboxSmtpPort: 0, sandboxPop3Port: 0 } });
  assert.ok(h);
  const sandbox = module.sandbox();
  return { h, smtpPort: sandbox?.smtpPort ?? 0, pop3Port: sandbox?.pop3Port ?? 0 };
}

async function sendOriginal(smtpPort: number, overrides: Record<string, unknown> = {}): Promise<void> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, ignoreTLS: true });
  try {
    await transport.sendMail({
      from: 'Dana Reyes <dana@demo.test>',
      to: 'Casey Customer <customer@demo.test>',
      cc: 'quinn@demo.test',
      replyTo: 'tracking@demo.test',
      subject: '[DEMO-D1] CSV export drops the last row',
      messageId: '<orig.1@demo.test>',
      references: '<root.1@demo.test>',
      text: 'Hello Casey,\n\nthe CSV export is fixed.\nCould you try again?\n\n-- \nMailtrail DEMO-D1 [mt:abc123]\n',
      html: EVIL_HTML,
      attachments: [
        { filename: 'logo.png', content: PIXEL_PNG, contentType: 'image/png', cid: 'logo@demo.test' },
        { filename: 'report.html', content: '<script>alert(1)</script>', contentType: 'text/html' },
        { filename: 'orders – März.csv', content: 'id,total\n1,9.50\n', contentType: 'text/csv' },
      ],
      ...overrides,
    });
  } finally {
    transport.close();
  }
}

describe('sandbox routes', () => {
  test('not running: 404 sandbox_not_running; outside demo mode only the admin may look', async (t) => {
    const { h } = await running(t, false);
    const res = await h.admin.get('/api/v1/sandbox/mailboxes');
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, 'sandbox_not_running');
    assert.deepEqual((await h.admin.get('/api/v1/sandbox')).body, { running: false });
    const user = await h.user('ann');
    assert.equal((await user.get('/api/v1/sandbox/mailboxes')).status, 403);
    assert.equal((await h.anonymous.get('/api/v1/sandbox/mailboxes')).status, 401);
    const doc = await h.anonymous.get('/api/openapi.json');
    const reply = doc.body.paths['/api/v1/sandbox/mailboxes/{address}/messages/{id}/reply'].post;
    assert.ok(reply.requestBody.content['application/json'].schema.properties.replyAll);
    assert.ok(reply.responses['202']);
    assert.ok(doc.body.paths['/api/v1/sandbox/mailboxes/{address}/messages/{id}'].get.responses['200']);
  });

  test('explicitly enabled outside demo mode: runs, admin only', async (t) => {
    const { h, smtpPort } = await running(t, false, true);
    assert.ok(smtpPort > 0);
    assert.equal((await h.admin.get('/api/v1/sandbox/mailboxes')).status, 200);
    const user = await h.user('ann');
    const denied = await user.get('/api/v1/sandbox/mailboxes');
    assert.equal(denied.status, 403);
    assert.equal(denied.body.error.code, 'admin_only');
  });

  // The mail program itself, driven by the admin, who reaches every mailbox. Which mailboxes
  // everyone else reaches (their own, their projects' customers) is finding 4 in
  // test/security/findings.test.ts, against the real demo.
  test('demo mode: the admin lists, reads, downloads, replies, composes and deletes in any mailbox', async (t) => {
    const { h, smtpPort, pop3Port } = await running(t, true);
    assert.ok(smtpPort > 0 && pop3Port > 0);
    const status = await h.admin.get('/api/v1/sandbox');
    assert.deepEqual(status.body, { running: true, host: '127.0.0.1', smtpPort, pop3Port });
    await h.user('casey', { email: 'customer@demo.test' });
    await h.user('dana', { email: 'dana@demo.test' });
    const dana = h.admin;
    assert.equal((await h.anonymous.get('/api/v1/sandbox/mailboxes')).status, 401);

    await sendOriginal(smtpPort);
    await sendOriginal(smtpPort, { subject: 'Second, newer', messageId: '<orig.2@demo.test>', cc: undefined, attachments: [], html: undefined });

    const boxes = await dana.get('/api/v1/sandbox/mailboxes');
    assert.equal(boxes.status, 200);
    const byAddress = new Map(boxes.body.mailboxes.map((m: { address: string; count: number; size: number }) => [m.address, m]));
    assert.equal((byAddress.get('customer@demo.test') as { count: number }).count, 2);
    assert.equal((byAddress.get('quinn@demo.test') as { count: number }).count, 1);

    const list = await dana.get(`${mailbox('customer@demo.test')}/messages`);
    assert.equal(list.status, 200);
    assert.equal(list.body.total, 2);
    assert.deepEqual(
      list.body.messages.map((m: { subject: string }) => m.subject),
      ['Second, newer', '[DEMO-D1] CSV export drops the last row'],
      'newest first',
    );
    const summary = list.body.messages[1];
    assert.equal(summary.from, 'Dana Reyes <dana@demo.test>');
    assert.deepEqual(summary.to, ['Casey Customer <customer@demo.test>']);
    assert.ok(summary.size > 1000);
    assert.match(summary.date, /^\d{4}-\d\d-\d\dT/);
    const id: string = summary.id;

    // Reading: headers, parts, attachments, and HTML that cannot hurt the reader.
    const read = await dana.get(`${mailbox('customer@demo.test')}/messages/${id}`);
    assert.equal(read.status, 200);
    const m = read.body;
    assert.equal(m.subject, '[DEMO-D1] CSV export drops the last row');
    assert.deepEqual(m.cc, ['quinn@demo.test']);
    assert.equal(m.messageId, '<orig.1@demo.test>');
    assert.match(m.text, /the CSV export is fixed/);
    assert.ok(
      m.headers.some(([name, value]: [string, string]) => name === 'Delivered-To' && value === 'customer@demo.test'),
      'trace headers are listed',
    );
    assert.ok(m.headers.some(([name]: [string, string]) => name === 'Message-ID'));
    assert.deepEqual(
      m.attachments.map((a: { index: number; filename: string; contentType: string }) => [a.index, a.filename, a.contentType]),
      [
        [0, 'logo.png', 'image/png'],
        [1, 'report.html', 'text/html'],
        [2, 'orders – März.csv', 'text/csv'],
      ],
    );
    const html: string = m.html;
    for (const bad of [
      '<script',
      'alert(',
      'onload',
      'onclick',
      'javascript:',
      '<iframe',
      '<form',
      '<input',
      ' src="https://tracker.test',
      'css.gif',
      'bg.gif',
      'Do not show',
      'url(',
    ]) {
      assert.ok(!html.includes(bad), `sanitized html must not contain ${bad}: ${html}`);
    }
    assert.match(html, /<b>Casey<\/b>/);
    assert.match(html, /href="https:\/\/mailtrail.test\/DEMO-D1"/);
    assert.match(html, /<img alt="inline" src="data:image\/png;base64,/, 'the inline cid: image is shown');
    assert.match(
      html,
      /<img alt="logo" width="1" data-blocked-src="https:\/\/tracker.test\/pixel.gif" \/>/,
      'the remote image is blocked, its address kept for "show images"',
    );
    assert.equal(m.blockedImages, 1);
    const withImages = await dana.get(`${mailbox('customer@demo.test')}/messages/${id}?images=1`);
    assert.match(withImages.body.html, /<img alt="logo" width="1" src="https:\/\/tracker.test\/pixel.gif" \/>/);
    assert.ok(!withImages.body.html.includes('<script'));
    assert.equal(withImages.body.blockedImages, 0);

    // Raw and attachments come back byte for byte, as downloads that never render in our origin.
    const raw = await h.app.inject({
      method: 'GET',
      url: `${mailbox('customer@demo.test')}/messages/${id}/raw`,
      headers: { authorization: `Bearer ${dana.token}` },
    });
    assert.equal(raw.statusCode, 200);
    assert.equal(raw.headers['content-type'], 'message/rfc822');
    assert.match(raw.body, /^Return-Path: <dana@demo.test>\r\n/);
    assert.match(raw.body, /Message-ID: <orig.1@demo.test>/);
    const att = await h.app.inject({
      method: 'GET',
      url: `${mailbox('customer@demo.test')}/messages/${id}/attachments/1`,
      headers: { authorization: `Bearer ${dana.token}` },
    });
    assert.equal(att.statusCode, 200);
    assert.equal(att.headers['content-type'], 'application/octet-stream');
    assert.equal(att.headers['x-content-type-options'], 'nosniff');
    assert.match(String(att.headers['content-disposition']), /^attachment; filename="report.html"/);
    assert.equal(att.body, '<script>alert(1)</script>');
    const csv = await h.app.inject({
      method: 'GET',
      url: `${mailbox('customer@demo.test')}/messages/${id}/attachments/2`,
      headers: { authorization: `Bearer ${dana.token}` },
    });
    assert.equal(csv.headers['content-type'], 'text/csv');
    assert.match(String(csv.headers['content-disposition']), /filename\*=UTF-8''orders%20%E2%80%93%20M%C3%A4rz.csv/);
    assert.equal(csv.body, 'id,total\n1,9.50\n');
    assert.equal((await dana.get(`${mailbox('customer@demo.test')}/messages/${id}/attachments/9`)).body.error.code, 'attachment_not_found');

    // Reply-all as the mailbox owner: to Reply-To, the others in Cc, threaded, quoted like a mail program.
    const replied = await dana.post(`${mailbox('customer@demo.test')}/messages/${id}/reply`, { text: 'Works now, all 50 rows.\nThanks!', replyAll: true });
    assert.equal(replied.status, 202);
    assert.match(replied.body.messageId, /^<[^@]+@demo\.test>$/);
    const tracking = await dana.get(`${mailbox('tracking@demo.test')}/messages`);
    assert.equal(tracking.body.total, 1);
    const replyRaw = await h.app.inject({
      method: 'GET',
      url: `${mailbox('tracking@demo.test')}/messages/${tracking.body.messages[0].id}/raw`,
      headers: { authorization: `Bearer ${dana.token}` },
    });
    const reply = await simpleParser(replyRaw.rawPayload);
    assert.deepEqual(
      reply.from?.value,
      [{ name: 'casey Tester', address: 'customer@demo.test' }],
      'From is the mailbox owner, named as the user with that address',
    );
    assert.deepEqual(reply.to && !Array.isArray(reply.to) ? reply.to.value.map((a) => a.address) : [], ['tracking@demo.test']);
    // As Thunderbird and Gmail do: Reply-To replaces From, so the original sender is not copied (the tracker forwards to her).
    assert.deepEqual(reply.cc && !Array.isArray(reply.cc) ? reply.cc.value.map((a) => a.address) : [], ['quinn@demo.test']);
    assert.equal(reply.subject, 'Re: [DEMO-D1] CSV export drops the last row');
    assert.equal(reply.messageId, replied.body.messageId);
    assert.equal(reply.inReplyTo, '<orig.1@demo.test>');
    assert.deepEqual(reply.references, ['<root.1@demo.test>', '<orig.1@demo.test>']);
    const text = reply.text ?? '';
    assert.ok(text.startsWith('Works now, all 50 rows.\nThanks!\n\nOn '), text);
    assert.match(text, /\nOn \w{3}, \d{1,2} \w{3} \d{4} at \d\d:\d\d, Dana Reyes <dana@demo.test> wrote:\n> Hello Casey,\n>\n> the CSV export is fixed.\n/);
    assert.match(text, /> Mailtrail DEMO-D1 \[mt:abc123\]/, 'the cookie line travels in the quote');
    assert.match(String(reply.html), /<blockquote class="gmail_quote"[^>]*>.*the CSV export is fixed/s);
    assert.ok(!String(reply.html).includes('<script'));
    // A copy went to the Cc'd person; nothing came back to the mailbox owner.
    assert.equal((await dana.get(`${mailbox('quinn@demo.test')}/messages`)).body.total, 2);
    assert.equal((await dana.get(`${mailbox('customer@demo.test')}/messages`)).body.total, 2);

    // Replying to a reply keeps one "Re:", and without replyAll there is no Cc.
    const again = await dana.post(`${mailbox('tracking@demo.test')}/messages/${tracking.body.messages[0].id}/reply`, { text: 'ok' });
    assert.equal(again.status, 202);
    const customerList = await dana.get(`${mailbox('customer@demo.test')}/messages`);
    assert.equal(customerList.body.messages[0].subject, 'Re: [DEMO-D1] CSV export drops the last row');
    const latest = await dana.get(`${mailbox('customer@demo.test')}/messages/${customerList.body.messages[0].id}`);
    assert.deepEqual(latest.body.cc, []);
    assert.deepEqual(latest.body.to, ['casey Tester <customer@demo.test>']);

    // Compose as anyone.
    const sent = await dana.post('/api/v1/sandbox/send', {
      from: 'boss@client.test',
      fromName: 'The Boss',
      to: ['dana@demo.test'],
      subject: 'Status?',
      text: 'Where are we?',
    });
    assert.equal(sent.status, 202);
    const danaBox = await dana.get(`${mailbox('dana@demo.test')}/messages`);
    assert.equal(danaBox.body.messages[0].from, 'The Boss <boss@client.test>');
    assert.equal(danaBox.body.messages[0].subject, 'Status?');
    // Without a user for the mailbox, the reply is signed with the name the sender used for it.
    await dana.post('/api/v1/sandbox/send', { from: 'dana@demo.test', to: ['Pat.Partner@partner.test'], subject: 'Hi Pat', text: 'Hello' });
    await sendOriginal(smtpPort, { to: 'Pat Partner <pat.partner@partner.test>', cc: undefined, replyTo: undefined, messageId: '<pat.1@demo.test>' });
    const patBox = await dana.get(`${mailbox('pat.partner@partner.test')}/messages`);
    assert.equal(patBox.body.total, 2, 'addresses are case-insensitive: one mailbox');
    const patReply = await dana.post(`${mailbox('Pat.Partner@partner.test')}/messages/${patBox.body.messages[0].id}/reply`, { text: 'Hi' });
    assert.equal(patReply.status, 202);
    const fromPat = (await dana.get(`${mailbox('dana@demo.test')}/messages`)).body.messages[0];
    assert.equal(fromPat.from, 'Pat Partner <pat.partner@partner.test>');
    assert.equal(fromPat.subject, 'Re: [DEMO-D1] CSV export drops the last row');

    const badTo = await dana.post('/api/v1/sandbox/send', { from: 'a@b.test', to: ['not an address'], subject: 'x', text: 'y' });
    assert.equal(badTo.status, 400);

    // Delete, then it is gone.
    assert.equal((await dana.delete(`${mailbox('customer@demo.test')}/messages/${id}`)).status, 204);
    const gone = await dana.get(`${mailbox('customer@demo.test')}/messages/${id}`);
    assert.equal(gone.status, 404);
    assert.equal(gone.body.error.code, 'message_not_found');
    assert.equal((await dana.delete(`${mailbox('customer@demo.test')}/messages/${id}`)).status, 404);
    assert.equal((await dana.post(`${mailbox('customer@demo.test')}/messages/${id}/reply`, { text: 'x' })).status, 404);

    // Odd addresses are refused, never turned into paths.
    const odd = await dana.get(`${mailbox('../../etc')}/messages`);
    assert.equal(odd.status, 400);
    assert.equal(odd.body.error.code, 'invalid_address');
    assert.equal((await dana.get(`${mailbox('nobody@demo.test')}/messages`)).body.total, 0);
  });

  test('stops with the server', async (t) => {
    const module = sandboxModule({ demo: true });
    const h = await startTestApp(t, 'sqlite', { modules: [module], config: { demo: true, workers: true } });
    assert.ok(h);
    const port = module.sandbox()?.smtpPort;
    assert.ok(port);
    await h.running.close();
    assert.equal(module.sandbox(), undefined);
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port, ignoreTLS: true, connectionTimeout: 2000 });
    await assert.rejects(transport.verify(), /ECONNREFUSED|connect/);
  });
});
