/**
 * Hostile mail in a real browser. A reply full of attacks — scripts, event handlers, CSS
 * expressions and url(), javascript: and data: links, frames, forms, meta refresh, SVG and
 * mXSS tricks, remote images, HTML in the subject, sender name and attachment name — is
 * imported through the poller and opened on the record's Email tab in Chromium, as a member
 * would. Every active part points at a local listener, so "nothing ran" is observable: no
 * dialog, `window.__pwned` never set, no request reaching the listener — until the reader
 * presses "Load images", which fetches the remote image and nothing else. The spoofed sender is
 * shown as received and marked. The raw message and the attachment are opened directly too:
 * they must download or show as text, never run as our page.
 *
 * Run: node --import tsx --test test/security/hostileHtml.browser.test.ts
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { Dialog, Frame, Page } from 'playwright-core';
import { createTrackingModule } from '../../src/inbound/index.js';
import { allModules } from '../../src/modules.js';
import { ensureWebBuilt, launchChromium, requireChromium } from '../browser/browser.js';
import { FakeMailbox } from '../inbound/fakeMailbox.js';
import { USER_PASSWORD, testConfig } from '../support/app.js';
import { TRACKING, eventually, startWorld } from '../reliability/support.js';

/** Records every request that reaches it: any hit from the page means the mail made the browser do something. */
async function listener(): Promise<{ base: string; hits: string[]; close(): Promise<void> }> {
  const hits: string[] = [];
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
  const server = http.createServer((req, res) => {
    hits.push(req.url ?? '');
    res.writeHead(200, { 'content-type': req.url?.endsWith('.png') ? 'image/png' : 'text/html', 'access-control-allow-origin': '*' });
    res.end(req.url?.endsWith('.png') ? png : '<script>parent.__pwned = "via frame"; alert("frame")</script>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function hostileReply(inReplyTo: string, m: string): Buffer {
  const html = `<html><head>
<meta http-equiv="refresh" content="0;url=${m}/meta-refresh">
<base href="${m}/base/">
<link rel="stylesheet" href="${m}/link.css">
<style>@import url(${m}/import.css); body { background: url(${m}/style-bg.png) }</style>
<script>window.__pwned = "inline script"; alert("inline"); fetch("${m}/inline-fetch")</script>
<script src="${m}/external.js"></script>
</head>
<body onload="window.__pwned='onload'; alert('onload')">
<p onclick="alert('click')" onmouseover="window.__pwned='hover'" style="color:red; background-image:url(${m}/inline-bg.png); width: expression(alert('expr'))">Please see the chart below.</p>
<img src="${m}/remote-image.png" alt="sales chart" width="40" height="40">
<img src="x" onerror="window.__pwned='onerror'; alert('onerror'); fetch('${m}/onerror')">
<img src="//127.0.0.1:${new URL(m).port}/protocol-relative.png">
<img srcset="${m}/srcset.png 2x" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<svg onload="alert('svg')"><a xlink:href="javascript:alert('svg-link')"><text>svg link</text></a><image href="${m}/svg-image.png"/></svg>
<math><mtext><table><mglyph><style><img src=x onerror="window.__pwned='mxss'; alert('mxss')"></style></mglyph></table></mtext></math>
<a href="javascript:alert('link'); void(window.__pwned='link')">javascript link</a>
<a href="data:text/html,<script>alert('data')</script>">data link</a>
<a href="vbscript:msgbox(1)">vbscript link</a>
<iframe src="${m}/iframe"></iframe><iframe srcdoc="<script>parent.__pwned='srcdoc'</script>"></iframe>
<object data="${m}/object"></object><embed src="${m}/embed">
<video poster="${m}/poster.png" src="${m}/video.mp4"></video><audio src="${m}/audio.mp3" autoplay></audio>
<form action="${m}/form" method="post"><input name="password" value="x"><button>Go</button></form>
<table background="${m}/table-bg.png"><tr><td>totals</td></tr></table>
<div style="behavior:url(${m}/behavior.htc); -moz-binding:url(${m}/binding.xml)">legacy CSS hooks</div>
<a href="https://example.org/details">a harmless link</a>
</body></html>`;
  const b64 = (s: string) =>
    (
      Buffer.from(s, 'utf8')
        .toString('base64')
        .match(/.{1,76}/g) ?? []
    ).join('\r\n');
  return Buffer.from(
    [
      'From: "<script>alert(\'name\')</script> The CEO" <ceo@evil.example>',
      `To: ${TRACKING}`,
      `Subject: Re: <img src=x onerror="alert('subject')"> Invoice`,
      'Message-ID: <hostile-browser@evil.example>',
      `In-Reply-To: ${inReplyTo}`,
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="outer"',
      '',
      '--outer',
      'Content-Type: multipart/alternative; boundary="alt"',
      '',
      '--alt',
      'Content-Type: text/plain; charset=utf-8',
      '',
      `Plain part <script>alert('text')</script> <img src=x onerror=alert('text-img')>`,
      '--alt',
      'Content-Type: text/html; charset=utf-8',
      'Content-Transfer-Encoding: base64',
      '',
      b64(html),
      '--alt--',
      '--outer',
      'Content-Type: text/html; name="\\"><img src=x onerror=alert(\'file\')>.html"',
      'Content-Disposition: attachment; filename="\\"><img src=x onerror=alert(\'file\')>.html"',
      'Content-Transfer-Encoding: base64',
      '',
      b64(`<script>window.__pwned='attachment'; alert('attachment'); fetch('${m}/attachment')</script>`),
      '--outer--',
      '',
    ].join('\r\n'),
  );
}

test('hostile HTML mail runs nothing in the browser; remote images wait for "Load images"', { timeout: 240_000 }, async (t) => {
  if (!(await requireChromium(t))) return;
  ensureWebBuilt();
  const marker = await listener();
  t.after(() => marker.close());
  const box = new FakeMailbox();
  const modules = allModules(testConfig({ database: { kind: 'sqlite', path: ':memory:' }, dataDir: '' })).map((m) =>
    m.name === 'tracking' ? createTrackingModule({ pollOptions: { opener: box.opener } }) : m,
  );
  const w = await startWorld(t, 'sqlite', { modules, config: { port: 0 } });
  if (!w) return;
  box.add(hostileReply(w.original.message_id!, marker.base));
  const poll = await w.h.admin.post('/api/v1/admin/email/tracking/poll');
  assert.equal(poll.body.imported, 1, JSON.stringify(poll.body));
  assert.deepEqual([...marker.hits], [], 'importing fetched nothing');

  const browser = await launchChromium();
  t.after(() => browser.close());
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  t.after(() => context.close());
  const page = await context.newPage();
  const dialogs: string[] = [];
  const requests: string[] = [];
  const pageErrors: string[] = [];
  const watch = (p: Page) => {
    p.on('dialog', (d: Dialog) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    p.on('request', (r) => requests.push(r.url()));
    p.on('pageerror', (e) => pageErrors.push(e.message));
  };
  watch(page);
  context.on('page', (p) => {
    watch(p);
    requests.push(`new page opened: ${p.url()}`);
  });
  const toMarker = () => requests.filter((u) => u.startsWith(marker.base) || u.includes(`127.0.0.1:${new URL(marker.base).port}`));

  await page.goto(`${w.h.running.url}/projects/${w.projectKey}/records/${w.recordId}?tab=email`);
  await page.getByLabel('Username').fill('dev');
  await page.getByLabel('Password').fill(USER_PASSWORD);
  await page.getByLabel('Password').press('Enter');
  const reply = page.locator('article.mail-in');
  await reply.waitFor();
  if ((await reply.getByRole('button', { name: 'HTML' }).count()) === 0) await reply.locator('.mail-toggle').click();

  // The text view: the markup in subject, name and text is shown as text.
  assert.match(await reply.innerText(), /<script>alert\('name'\)<\/script> The CEO/, 'the sender name as received, as text');
  await reply.locator('.badge', { hasText: 'unexpected sender' }).waitFor();
  assert.match(await reply.locator('pre.mail-text').first().innerText(), /<script>alert\('text'\)<\/script>/);

  // The HTML view: sanitized on the server, shown in a sandboxed frame.
  await reply.getByRole('button', { name: 'HTML' }).click();
  const iframe = reply.locator('iframe');
  await iframe.waitFor();
  assert.equal(await iframe.getAttribute('sandbox'), '', 'scripts, forms, popups and same-origin are all off');
  const frame = (await (await iframe.elementHandle())!.contentFrame()) as Frame;
  await frame.waitForLoadState('load');
  await frame.getByText('Please see the chart below.').waitFor();
  // Give anything that might still fire (timers, lazy loads) its chance; the checks are on what happened, not on time.
  await page.waitForTimeout(1_000);
  const body = await frame.locator('body').innerHTML();
  assert.doesNotMatch(
    body,
    /<script|\son\w+=|javascript:|vbscript:|data:text\/html|<iframe|<object|<embed|<form|<meta|<base|<link|<style|expression\(|url\(/i,
    `the frame's HTML: ${body}`,
  );
  assert.match(body, /href="https:\/\/example\.org\/details"/, 'harmless links survive');
  assert.deepEqual(dialogs, [], 'no dialog opened');
  assert.equal(await page.evaluate(() => (globalThis as { __pwned?: unknown }).__pwned), undefined, 'no script ran in our page');
  assert.deepEqual(toMarker(), [], 'the browser asked the attacker for nothing');
  assert.deepEqual([...marker.hits], [], 'nothing reached the listener');

  // Clicking what is left of the links does nothing either.
  await frame
    .getByText('javascript link')
    .click()
    .catch(() => undefined);
  await frame
    .getByText('svg link')
    .click()
    .catch(() => undefined);
  await page.waitForTimeout(300);
  assert.deepEqual(dialogs, []);
  assert.deepEqual(
    requests.filter((u) => u.startsWith('new page')),
    [],
    'no window opened',
  );

  // The reader asks for images: the remote image (and only what an <img> names) is fetched.
  const bar = reply.locator('.safe-html-bar');
  await bar.getByText(/Remote images are blocked/).waitFor();
  await bar.getByRole('button', { name: 'Load images' }).click();
  // The listener is the witness: the image request reached it.
  await eventually(async () => marker.hits.includes('/remote-image.png'), 'the remote image requested after "Load images"', 15_000);
  await page.waitForTimeout(1_000);
  const fetched = [...new Set(marker.hits)].sort();
  assert.ok(fetched.includes('/remote-image.png'), `hits: ${fetched.join(', ')}`);
  for (const hit of fetched) assert.match(hit, /^\/(remote-image|protocol-relative)\.png$/, `only images named by <img> load: ${hit}`);
  assert.deepEqual(dialogs, []);
  assert.equal(await page.evaluate(() => (globalThis as { __pwned?: unknown }).__pwned), undefined);

  // The stored raw message and the HTML attachment, opened directly in the browser.
  const thread = (await w.dev.get(`/api/v1/projects/${w.projectKey}/records/${w.recordId}/emails`)).body.emails as {
    id: string;
    direction: string;
    attachments: { id: string; filename: string }[];
  }[];
  const inbound = thread.find((e) => e.direction === 'inbound')!;
  const att = inbound.attachments.find((a) => a.filename.endsWith('.html'))!;
  assert.ok(att, 'the HTML attachment is kept');
  const attUrl = `${w.h.running.url}/api/v1/emails/${inbound.id}/attachments/${att.id}`;
  const attHead = await page.request.get(attUrl);
  assert.equal(attHead.status(), 200);
  assert.match(attHead.headers()['content-disposition'] ?? '', /^attachment;/);
  assert.doesNotMatch(attHead.headers()['content-type'] ?? '', /html/);
  assert.equal(attHead.headers()['x-content-type-options'], 'nosniff');
  for (const url of [attUrl, `${w.h.running.url}/api/v1/emails/${inbound.id}/raw`]) {
    const tab = await context.newPage();
    watch(tab);
    await tab.goto(url).catch(() => undefined); // a download aborts the navigation
    await tab.waitForTimeout(500);
    assert.equal(await tab.evaluate(() => (globalThis as { __pwned?: unknown }).__pwned).catch(() => undefined), undefined, `${url} ran as a page`);
    await tab.close();
  }
  assert.deepEqual(dialogs, [], 'no dialog from the raw message or the attachment');
  assert.ok(!marker.hits.includes('/attachment') && !marker.hits.includes('/inline-fetch'), `hits: ${marker.hits.join(', ')}`);
  assert.deepEqual(pageErrors, [], 'our page threw');
});
