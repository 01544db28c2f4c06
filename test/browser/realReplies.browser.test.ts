/**
 * Replies from real mail clients on a record's Email tab (issue 12): a bottom-posted and an
 * interleaved reply made with mutt (test/fixtures/real-clients/mutt, README there), replayed
 * through the whole import path in the world they were made in, then read in Chromium the way a
 * person reads them: the answers shown, each quoted question collapsed above its answer, and
 * "Show quoted text" revealing everything that was cut.
 *
 * Screenshots go to MAILTRAIL_SCREENSHOTS_DIR (docs/screenshots to refresh the docs' images),
 * else to a temporary folder. Needs Debian's Chromium (skipped locally without it, fails under CI).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Locator } from 'playwright-core';
import { freshDatabase } from '../support/stores.js';
import { USER_PASSWORD } from '../support/app.js';
import { FakeMailbox } from '../inbound/fakeMailbox.js';
import { buildWorld, DEV_USER, rekeyWorld, type Manifest } from '../inbound/realClientsWorld.js';
import { ensureWebBuilt, launchChromium, requireChromium } from './browser.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/real-clients/', import.meta.url));
const SHOTS = process.env.MAILTRAIL_SCREENSHOTS_DIR ?? mkdtempSync(join(tmpdir(), 'mailtrail-shots-'));
const norm = (s: string) => s.replace(/\s+/g, ' ').trim();

function fixture(id: string): { raw: Buffer; typed: string; original: string } {
  const meta = JSON.parse(readFileSync(join(FIXTURES, `${id}.json`), 'utf8')) as { typed: string; original: string };
  return { raw: readFileSync(join(FIXTURES, `${id}.eml`)), typed: meta.typed, original: meta.original };
}

test('bottom-posted and interleaved replies from mutt on the Email tab', { timeout: 180_000 }, async (t) => {
  if (!(await requireChromium(t))) return;
  ensureWebBuilt();
  mkdirSync(SHOTS, { recursive: true });
  const manifest = (JSON.parse(readFileSync(join(FIXTURES, 'manifest.json'), 'utf8')) as { worlds: Manifest[] }).worlds[0]!;
  const bottom = fixture('mutt/bottom-post');
  const interleaved = fixture('mutt/interleaved');
  const originals = manifest.originals.filter((o) => o.name === bottom.original || o.name === interleaved.original);
  assert.equal(originals.length, 1, 'both replies answer the same original');

  const db = await freshDatabase('sqlite');
  t.after(() => db.drop());
  const box = new FakeMailbox();
  const w = await buildWorld(db.config, db.dataDir, originals, {
    opener: box.opener,
    tracking: { host: 'mail.invalid', port: 143, protocol: 'imap' },
    listen: true,
  });
  t.after(() => w.running.close());
  await rekeyWorld(w, manifest);
  // One reply per record, so each screenshot shows one reply under its original.
  box.add(bottom.raw);
  const first = await w.admin.post('/api/v1/admin/email/tracking/poll');
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.equal(first.body.fetched, 1);
  box.add(interleaved.raw);
  const second = await w.admin.post('/api/v1/admin/email/tracking/poll');
  assert.equal(second.body.fetched, 1);
  const record = manifest.records.find((r) => r.name === originals[0]!.record)!;

  const browser = await launchChromium();
  t.after(() => browser.close());
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  t.after(() => context.close());
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(err.message));
  t.after(() => assert.deepEqual(problems, [], 'the page threw'));

  await page.goto(`${w.running.url}/projects/${manifest.projectKey}/records/${record.id}?tab=email`);
  await page.getByLabel('Username').fill(DEV_USER);
  await page.getByLabel('Password').fill(USER_PASSWORD);
  await page.getByLabel('Password').press('Enter');
  await page.getByRole('tab', { name: /Email/, selected: true }).waitFor();
  const replies = page.locator('article.mail-in');
  await replies.nth(1).waitFor();
  assert.equal(await replies.count(), 2, 'both replies are on the record');

  /** The reply whose shown text contains `words`, opened. */
  const replyWith = async (words: string): Promise<Locator> => {
    const reply = replies.filter({ hasText: words });
    assert.equal(await reply.count(), 1, `one reply shows ${JSON.stringify(words)}`);
    if ((await reply.locator('.mail-toggle').getAttribute('aria-expanded')) !== 'true') await reply.locator('.mail-toggle').click();
    await reply.locator('.mail-body').waitFor();
    return reply;
  };

  await t.test('bottom-posted: the answer below the quote is shown, the question folded above it', async () => {
    const reply = await replyWith('It is invoice 2026-0311');
    const answers = reply.locator('.mail-segments > pre.mail-text');
    assert.deepEqual((await answers.allInnerTexts()).map(norm), [norm(bottom.typed)], 'the typed answer, nothing else, as text');
    const quotes = reply.locator('.mail-segments > details.mail-segment-quote');
    assert.equal(await quotes.count(), 1, 'the quote it answers, as one collapsed block above the answer');
    assert.equal(await quotes.first().getAttribute('open'), null, 'collapsed');
    // Labelled with the question it answers, never with the quoted signature separator or marker.
    assert.equal(norm(await quotes.locator('summary').innerText()), 'Did the problem start after the February update?');
    assert.ok(!(await quotes.locator('pre').isVisible()), 'the quoted text is hidden until opened');
    const order = await reply.locator('.mail-segments > *').evaluateAll((els) => els.map((e) => e.tagName.toLowerCase()));
    assert.deepEqual(order, ['details', 'pre'], 'the question above the answer');
    assert.doesNotMatch(await reply.locator('.mail-body').innerText(), /wrote:|Which invoice number/, 'no attribution, no quoted question shown');
    await reply.screenshot({ path: join(SHOTS, 'reply-bottom-posted.png') });

    await reply.getByRole('button', { name: /Show quoted text/ }).click();
    const cut = await reply.locator('.mail-body > .mail-quoted').innerText();
    assert.match(cut, /wrote:/, 'the attribution line is in what was cut');
    assert.match(cut, /Which invoice number shows the wrong total\?/);
    assert.match(cut, /Did the problem start after the February update\?/);
    await reply.getByRole('button', { name: /Hide quoted text/ }).click();
    assert.equal(await reply.locator('.mail-body > .mail-quoted').count(), 0);
  });

  await t.test('interleaved: each answer under the question it answers, questions folded', async () => {
    const reply = await replyWith('Invoice 2026-0311.');
    const answers = (await reply.locator('.mail-segments > pre.mail-text').allInnerTexts()).map(norm);
    assert.deepEqual(answers, interleaved.typed.split('\n').map(norm), 'one answer per question, in order, as typed');
    const segs = reply.locator('.mail-segments > *');
    const order = await segs.evaluateAll((els) => els.map((e) => e.tagName.toLowerCase()));
    assert.deepEqual(order, ['details', 'pre', 'details', 'pre'], 'question, answer, question, answer');
    const summaries = (await reply.locator('details.mail-segment-quote > summary').allInnerTexts()).map(norm);
    assert.deepEqual(
      summaries,
      ['Which invoice number shows the wrong total?', 'Did the problem start after the February update?'],
      'each fold is labelled with its question',
    );
    for (const d of await reply.locator('details.mail-segment-quote').all()) assert.equal(await d.getAttribute('open'), null, 'collapsed');
    await reply.screenshot({ path: join(SHOTS, 'reply-interleaved.png') });

    // Opening one fold shows the whole quoted block it stands for.
    await reply.locator('details.mail-segment-quote > summary').first().click();
    const opened = await reply.locator('details.mail-segment-quote').first().locator('pre').innerText();
    assert.match(opened, /we are looking into the totals/);
    assert.match(opened, /Which invoice number shows the wrong total\?/);
    await reply.locator('details.mail-segment-quote > summary').first().click();

    await reply.getByRole('button', { name: /Show quoted text/ }).click();
    const cut = await reply.locator('.mail-body > .mail-quoted').innerText();
    assert.match(cut, /Which invoice number shows the wrong total\?/);
    assert.match(cut, /Did the problem start after the February update\?/);
  });
});
