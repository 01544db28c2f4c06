/**
 * The web client under its Content-Security-Policy, in Chromium, and the email viewer's inline
 * images. A real multipart/related reply — HTML naming two `cid:` parts of its own, a `cid:`
 * that names no part, and a remote image — is imported through the poller and opened on the
 * record's Email tab as a member would:
 *
 * - every HTML response carries the policy, and a script that got into the page (an inline
 *   `<script>`, an `onerror=` handler) is refused: Chromium reports the violation, nothing runs;
 * - the app still works under it (sign in, the record page, the thread, the HTML view);
 * - the email's own inline images show at once; the unknown `cid:` shows nothing; the remote
 *   image waits for "Load images".
 *
 * Run: node --import tsx --test test/browser/emailViewer.browser.test.ts
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { FrameLocator } from 'playwright-core';
import { createTrackingModule } from '../../src/inbound/index.js';
import { CONTENT_SECURITY_POLICY } from '../../src/http/securityHeaders.js';
import { allModules } from '../../src/modules.js';
import { FakeMailbox } from '../inbound/fakeMailbox.js';
import { TRACKING, eventually, startWorld } from '../reliability/support.js';
import { USER_PASSWORD, testConfig } from '../support/app.js';
import { ensureWebBuilt, launchChromium, requireChromium } from './browser.js';

/** 2×2 PNGs, red and blue: big enough to have a size once decoded. */
const RED = 'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEUlEQVR4nGP4z8DwnwGMgRQAH+4D/dJQfRoAAAAASUVORK5CYII=';
const BLUE = 'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAD0lEQVR4nGNgYPgPRmAKABf2A/1+6zfzAAAAAElFTkSuQmCC';

async function imageListener(): Promise<{ base: string; hits: string[]; close(): Promise<void> }> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'image/png' });
    res.end(Buffer.from(RED, 'base64'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** A reply as Apple Mail or Outlook writes one with pictures pasted in: multipart/related. */
function relatedReply(inReplyTo: string, remote: string): Buffer {
  const html = [
    '<html><body><p>Here is the screenshot of the totals.</p>',
    '<img src="cid:totals@customer.example" alt="totals" width="40" height="40">',
    '<img src="cid:%3Clogo@customer.example%3E" alt="logo" width="40" height="40">',
    '<img src="cid:not-a-part@customer.example" alt="missing" width="40" height="40">',
    `<img src="${remote}/tracker.png" alt="remote" width="40" height="40">`,
    '</body></html>',
  ].join('\r\n');
  return Buffer.from(
    [
      'From: Customer <customer@customer.example>',
      `To: ${TRACKING}`,
      'Subject: Re: Invoice totals',
      'Message-ID: <related-reply@customer.example>',
      `In-Reply-To: ${inReplyTo}`,
      'MIME-Version: 1.0',
      'Content-Type: multipart/alternative; boundary="alt"',
      '',
      '--alt',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Here is the screenshot of the totals.',
      '--alt',
      'Content-Type: multipart/related; boundary="rel"; type="text/html"',
      '',
      '--rel',
      'Content-Type: text/html; charset=utf-8',
      '',
      html,
      '--rel',
      'Content-Type: image/png; name="totals.png"',
      'Content-Transfer-Encoding: base64',
      'Content-ID: <totals@customer.example>',
      'Content-Disposition: inline; filename="totals.png"',
      '',
      RED,
      '--rel',
      'Content-Type: image/png; name="logo.png"',
      'Content-Transfer-Encoding: base64',
      'Content-ID: <logo@customer.example>',
      '',
      BLUE,
      '--rel--',
      '--alt--',
      '',
    ].join('\r\n'),
  );
}

interface ImageState {
  alt: string;
  src: string | null;
  width: number;
}

function images(frame: FrameLocator): Promise<ImageState[]> {
  return frame
    .locator('img')
    .evaluateAll((els) =>
      els.map((e) => ({ alt: e.getAttribute('alt') ?? '', src: e.getAttribute('src'), width: (e as unknown as { naturalWidth: number }).naturalWidth })),
    );
}

test('the web client under its CSP; an email shows its own inline images, nothing else until "Load images"', { timeout: 240_000 }, async (t) => {
  if (!(await requireChromium(t))) return;
  ensureWebBuilt();
  const remote = await imageListener();
  t.after(() => remote.close());
  const box = new FakeMailbox();
  const modules = allModules(testConfig({ database: { kind: 'sqlite', path: ':memory:' }, dataDir: '' })).map((m) =>
    m.name === 'tracking' ? createTrackingModule({ pollOptions: { opener: box.opener } }) : m,
  );
  const w = await startWorld(t, 'sqlite', { modules, config: { port: 0 } });
  if (!w) return;
  box.add(relatedReply(w.original.message_id!, remote.base));
  const poll = await w.h.admin.post('/api/v1/admin/email/tracking/poll');
  assert.equal(poll.body.imported, 1, JSON.stringify(poll.body));

  // The API: each cid: of a part of this email becomes that attachment's URL; the unknown one has no src.
  const thread = (await w.dev.get(`/api/v1/projects/${w.projectKey}/records/${w.recordId}/emails`)).body.emails as {
    id: string;
    direction: string;
    html: string;
    attachments: { id: string; filename: string }[];
  }[];
  const inbound = thread.find((e) => e.direction === 'inbound')!;
  const urlOf = (name: string) => `/api/v1/emails/${inbound.id}/attachments/${inbound.attachments.find((a) => a.filename === name)!.id}`;
  assert.match(inbound.html, new RegExp(`<img alt="totals"[^>]* src="${urlOf('totals.png')}"`));
  assert.match(inbound.html, new RegExp(`<img alt="logo"[^>]* src="${urlOf('logo.png')}"`));
  assert.match(inbound.html, /<img alt="missing" width="40" height="40" \/>/, 'a cid: naming no part of this email has no src');
  assert.match(inbound.html, /<img alt="remote"[^>]*data-blocked-src="http:\/\/127\.0\.0\.1:\d+\/tracker\.png"/);
  assert.equal((await w.dev.get(urlOf('totals.png'))).status, 200);

  const browser = await launchChromium();
  t.after(() => browser.close());
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  t.after(() => context.close());
  // Chromium fires securitypolicyviolation at the document; keep what it reports (init scripts run before the page and are not subject to its CSP).
  await context.addInitScript(() => {
    type Violation = { effectiveDirective: string; blockedURI: string };
    const w = globalThis as unknown as { __violations: string[]; document: { addEventListener(type: string, listener: (e: Violation) => void): void } };
    w.__violations = [];
    w.document.addEventListener('securitypolicyviolation', (e) => w.__violations.push(`${e.effectiveDirective} ${e.blockedURI}`));
  });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  const htmlResponses: { url: string; csp: string | undefined }[] = [];
  page.on('response', (r) => {
    if ((r.headers()['content-type'] ?? '').includes('text/html')) htmlResponses.push({ url: r.url(), csp: r.headers()['content-security-policy'] });
  });
  const base = w.h.running.url;

  // Every HTML the server gives out (the app at several client routes, and index.html itself) carries the policy.
  for (const path of ['/', '/index.html', `/projects/${w.projectKey}/records/${w.recordId}`, '/no/such/page']) {
    const res = await page.request.get(base + path);
    assert.match(res.headers()['content-type'] ?? '', /text\/html/, path);
    assert.equal(res.headers()['content-security-policy'], CONTENT_SECURITY_POLICY, path);
  }
  assert.match(CONTENT_SECURITY_POLICY, /script-src 'self'(;|$)/);

  // A script that got into our page is refused: the document as served, with an inline script and an onerror handler added.
  await page.route(`${base}/`, async (route) => {
    const res = await route.fetch();
    const body = (await res.text()).replace(
      '<div id="root"></div>',
      '<div id="root"></div><script>window.__inline = "ran"</script><img src="/nothing.png" onerror="window.__onerror = \'ran\'">',
    );
    await route.fulfill({ response: res, body });
  });
  await page.goto(`${base}/`);
  await page.getByLabel('Username').waitFor();
  const ran = await page.evaluate(() => {
    const g = globalThis as unknown as { __inline?: string; __onerror?: string; __violations: string[] };
    return { inline: g.__inline, onerror: g.__onerror, violations: g.__violations };
  });
  assert.equal(ran.inline, undefined, 'the inline script did not run');
  assert.equal(ran.onerror, undefined, 'the onerror handler did not run');
  assert.ok(
    ran.violations.some((v) => v.startsWith('script-src-elem inline')),
    `Chromium reported the inline script: ${ran.violations.join(' | ')}`,
  );
  assert.ok(
    ran.violations.some((v) => v.startsWith('script-src-attr inline')),
    `Chromium reported the handler: ${ran.violations.join(' | ')}`,
  );
  await page.unroute(`${base}/`);

  // The app works under the policy: sign in, the record's Email tab, the reply's HTML.
  await page.goto(`${base}/projects/${w.projectKey}/records/${w.recordId}?tab=email`);
  await page.getByLabel('Username').fill('dev');
  await page.getByLabel('Password').fill(USER_PASSWORD);
  await page.getByLabel('Password').press('Enter');
  const reply = page.locator('article.mail-in');
  await reply.waitFor();
  if ((await reply.getByRole('button', { name: 'HTML' }).count()) === 0) await reply.locator('.mail-toggle').click();
  await reply.getByRole('button', { name: 'HTML' }).click();
  const iframe = reply.locator('iframe');
  await iframe.waitFor();
  // A frame locator, not the frame of an element handle: the reader replaces the frame's document
  // once the inline images are fetched, and a handle taken before can keep answering "hidden".
  const frame = reply.frameLocator('iframe');
  await frame.getByText('Here is the screenshot of the totals.').waitFor();

  // Its own inline images show at once, as data: URLs decoded to their 2×2 pixels.
  const shown = await eventually(
    async () => {
      const imgs = await images(frame);
      return imgs.filter((i) => i.alt === 'totals' || i.alt === 'logo').every((i) => i.width === 2) ? imgs : undefined;
    },
    'the inline images decoded in the frame',
    15_000,
  );
  for (const alt of ['totals', 'logo']) assert.match(shown.find((i) => i.alt === alt)!.src ?? '', /^data:image\/png;base64,/, alt);
  const missing = shown.find((i) => i.alt === 'missing')!;
  assert.equal(missing.src, null, 'the cid: that names no part has no address');
  const remoteImg = shown.find((i) => i.alt === 'remote')!;
  assert.equal(remoteImg.width, 0, 'the remote image waits');
  assert.deepEqual(remote.hits, [], 'nothing was asked of the remote server yet');
  await page.screenshot({ path: 'test-results/email-inline-images.png' }).catch(() => undefined);

  // "Load images" brings the remote one; the inline ones stay.
  await reply.locator('.safe-html-bar').getByRole('button', { name: 'Load images' }).click();
  await eventually(async () => remote.hits.includes('/tracker.png'), 'the remote image requested after "Load images"', 15_000);
  const after = await eventually(
    async () => {
      const imgs = await images(frame);
      return imgs.find((i) => i.alt === 'remote')?.width === 2 ? imgs : undefined;
    },
    'the remote image decoded',
    15_000,
  );
  for (const alt of ['totals', 'logo']) assert.equal(after.find((i) => i.alt === alt)!.width, 2, alt);

  assert.deepEqual(pageErrors, [], 'our page threw');
  assert.ok(htmlResponses.length > 0);
  for (const r of htmlResponses) if (r.url.startsWith(base)) assert.equal(r.csp, CONTENT_SECURITY_POLICY, r.url);
  const violations = await page.evaluate(() => (globalThis as unknown as { __violations: string[] }).__violations);
  assert.deepEqual(
    violations.filter((v) => !v.includes('tracker.png')),
    [],
    'the app itself breaks no rule of its policy',
  );
});
