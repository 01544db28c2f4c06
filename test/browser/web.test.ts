/**
 * The web client in a real browser: the server serves web/dist, Chromium (driven by
 * playwright-core) signs in and works the way a person would.
 *
 * Run: node --import tsx --test test/browser/web.test.ts
 * Needs Debian's Chromium at /usr/bin/chromium (or MAILTRAIL_CHROMIUM); without it the test
 * is skipped locally and fails under CI=true. The client is built first when web/dist is missing.
 *
 * Two servers, each with its subtests sharing one browser: the first without workers (pages,
 * forms, permissions), the second in demo mode with the mail sandbox, the outbox and the
 * tracking poller running, for the whole tracked-email loop as a person meets it.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { DEMO_CUSTOMER, DEMO_PASSWORD, DEMO_TRACKING_ADDRESS } from '../../src/demo/index.js';
import { allModules } from '../../src/modules.js';
import { ADMIN_PASSWORD, USER_PASSWORD, startTestApp, testConfig, type TestApp } from '../support/app.js';
import { ensureWebBuilt, freePort, launchChromium, requireChromium } from './browser.js';

/** Generous: mail goes through the outbox worker, the sandbox and the poller (every 3 s in demo mode). */
const MAIL_WAIT_MS = 30_000;

/** A person at the browser: a fresh context (no cookies) per sign-in. */
class WebUi {
  constructor(
    readonly browser: Browser,
    readonly baseUrl: string,
  ) {}

  async open(t: TestContext): Promise<{ context: BrowserContext; page: Page }> {
    const context = await this.browser.newContext({ viewport: { width: 1280, height: 800 } });
    t.after(() => context.close());
    return { context, page: await this.newPage(t, context) };
  }

  /** Another tab of the same person (same cookies), also failing the test if its page throws. */
  async newPage(t: TestContext, context: BrowserContext): Promise<Page> {
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(err.message));
    t.after(() => assert.deepEqual(problems, [], 'the page threw'));
    return page;
  }

  async signIn(t: TestContext, username: string, password: string, path = '/'): Promise<Page> {
    const { page } = await this.open(t);
    await page.goto(this.baseUrl + path);
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.getByLabel('Password').press('Enter');
    await page.locator('header.topbar').waitFor();
    return page;
  }
}

test('the web client in Chromium', { timeout: 180_000 }, async (t) => {
  if (!(await requireChromium(t))) return;
  ensureWebBuilt();
  const h = (await startTestApp(t, 'sqlite', {
    config: { port: 0 },
    modules: allModules(testConfig({ database: { kind: 'sqlite', path: ':memory:' }, dataDir: '' })),
  })) as TestApp;
  const index = await fetch(`${h.running.url}/projects/WEB/defect`);
  assert.equal(index.status, 200, 'client routes are served the single-page app');
  assert.match(await index.text(), /<div id="root">/);

  const browser = await launchChromium();
  t.after(() => browser.close());
  const ui = new WebUi(browser, h.running.url);

  const project = await h.admin.post('/api/v1/projects', { key: 'WEB', name: 'Web shop' });
  assert.equal(project.status, 201);

  await t.test('sign in, add a defect, find it in the list, change its status, read the history', async (t) => {
    const page = await ui.signIn(t, 'admin', ADMIN_PASSWORD);

    // The admin lands on the project list and opens the project.
    await page.getByRole('link', { name: /Web shop/ }).click();
    await page.waitForURL(/\/projects\/WEB\/defect$/);
    await page.getByText('No defects yet').waitFor();

    await page.getByRole('button', { name: 'New defect' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'New defect' });
    await dialog.getByLabel('Title').fill('Checkout button does nothing on Safari');
    await dialog.getByLabel('Description').fill('Click Checkout: nothing happens.');
    // An empty title is refused inline, next to the field, without a round trip.
    await dialog.getByLabel('Title').fill('');
    await dialog.getByRole('button', { name: 'Create defect' }).click();
    await dialog.getByText('Give it a title.').waitFor();
    await dialog.getByLabel('Title').fill('Checkout button does nothing on Safari');
    await dialog.getByLabel('Title').press('Enter');
    await dialog.waitFor({ state: 'hidden' });

    const row = page.getByRole('row', { name: /Checkout button does nothing on Safari/ });
    await row.waitFor();
    assert.match((await row.innerText()).replace(/\s+/g, ' '), /WEB-D1 .*Open/);

    // Search narrows the list; a miss says so.
    await page.getByRole('searchbox').fill('umlaut');
    await page.getByText('No defects match').waitFor();
    await page.getByRole('searchbox').fill('safari');
    await row.waitFor();

    await row.getByRole('link').click();
    await page.waitForURL(/\/projects\/WEB\/records\//);
    await page.getByRole('heading', { level: 1, name: 'Checkout button does nothing on Safari' }).waitFor();

    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('Status').selectOption('Fixed');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('button', { name: 'Save changes' }).waitFor({ state: 'detached' });

    const history = page.locator('.history');
    await history.getByText('Fixed').waitFor();
    const text = (await history.innerText()).replace(/\s+/g, ' ');
    assert.match(text, /status Open → (to )?Fixed/i);
    assert.match(text, /created this record/);

    const id = page.url().split('/').pop()!;
    const stored = await h.admin.get(`/api/v1/projects/WEB/records/${id}`);
    assert.equal(stored.body.status, 'Fixed');

    // Back in the list, the new status shows.
    await page.getByRole('link', { name: 'Defects' }).first().click();
    await page.getByRole('row', { name: /Checkout button does nothing on Safari.*Fixed/ }).waitFor();

    // Signing out returns to the sign-in form, and the session is gone on the server too.
    await page.getByRole('button', { name: /Administrator/ }).click();
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await page.reload();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
  });

  await t.test('without defects.viewTrackedEmail there is no Email tab', async (t) => {
    const group = await h.admin.post('/api/v1/projects/WEB/security-groups', { name: 'Reporters', commands: ['defects.view', 'defects.add', 'defects.edit'] });
    assert.equal(group.status, 201);
    await h.user('rita', { project: 'WEB', group: 'Reporters' });
    await h.user('dev', { project: 'WEB', group: 'Developers' });
    const created = await h.admin.post('/api/v1/projects/WEB/records', { type: 'defect', title: 'Prices round wrongly' });
    assert.equal(created.status, 201);
    const path = `/projects/WEB/records/${created.body.id as string}`;

    const rita = await ui.signIn(t, 'rita', USER_PASSWORD, path);
    await rita.getByRole('heading', { level: 1, name: 'Prices round wrongly' }).waitFor();
    await rita.getByRole('tab', { name: 'Overview' }).waitFor();
    assert.equal(await rita.getByRole('tab', { name: /Email/ }).count(), 0, 'no Email tab');
    assert.equal(await rita.getByRole('button', { name: /Email/ }).count(), 0, 'no button to write email');
    assert.equal(await rita.getByText('Latest tracked email').count(), 0);
    // The address of the Email tab shows the overview instead of mail.
    await rita.goto(`${ui.baseUrl}${path}?tab=email`);
    await rita.getByRole('tab', { name: 'Overview', selected: true }).waitFor();

    // A developer (who holds the command) does see it: the check above is about the command.
    const dev = await ui.signIn(t, 'dev', USER_PASSWORD, path);
    await dev.getByRole('heading', { level: 1, name: 'Prices round wrongly' }).waitFor();
    await dev.getByRole('tab', { name: /Email/ }).click();
    await dev.getByRole('tab', { name: /Email/, selected: true }).waitFor();
  });
  await t.test('write a tracked email from the Email tab and reply to it', async (t) => {
    const created = await h.admin.post('/api/v1/projects/WEB/records', { type: 'defect', title: 'Invoice PDF has no page numbers' });
    assert.equal(created.status, 201);
    const id = created.body.id as string;
    const dev = await ui.signIn(t, 'dev', USER_PASSWORD, `/projects/WEB/records/${id}?tab=email`);
    await dev.getByText('No tracked email yet').waitFor();
    await dev.getByRole('button', { name: /New tracked email/ }).click();

    // Recipients: a member picked from the suggestions, and a free address.
    const to = dev.getByRole('combobox', { name: 'To' });
    await to.fill('rit');
    await dev.getByRole('option', { name: /rita Tester/ }).waitFor();
    await to.press('Enter');
    await to.fill('vendor@example.test');
    await to.press('Enter');
    await dev.getByLabel('Message', { exact: true }).fill('Could you look at the page numbers?');
    await dev.getByRole('button', { name: 'Send', exact: true }).click();

    const first = dev.locator('article.mail').first();
    await first.waitFor();
    assert.match(await first.innerText(), /Could you look at the page numbers\?/);
    await first.locator('.badge', { hasText: 'queued' }).waitFor();
    // Developers may reply but not delete.
    assert.equal(await first.getByRole('button', { name: 'Delete' }).count(), 0);

    const sent = await h.admin.get(`/api/v1/projects/WEB/records/${id}/emails`);
    assert.equal(sent.body.emails.length, 1);
    assert.deepEqual([...sent.body.emails[0].to].sort(), ['rita@example.test', 'vendor@example.test']);

    await first.getByRole('button', { name: /Reply$/ }).click();
    await dev.getByLabel(/Reply to/).fill('And the footer, please.');
    await dev.getByRole('button', { name: 'Send reply' }).click();
    await dev.locator('article.mail').nth(1).waitFor();
    const after = await h.admin.get(`/api/v1/projects/WEB/records/${id}/emails`);
    assert.equal(after.body.emails.length, 2);
    const reply = after.body.emails.find((e: { parentId: string | null }) => e.parentId !== null);
    assert.equal(reply.parentId, sent.body.emails[0].id, 'the reply hangs under the first email');
  });
});

test('tracked email in Chromium: send with a template, reply in the sandbox, see the reply on the record', { timeout: 300_000 }, async (t) => {
  if (!(await requireChromium(t))) return;
  ensureWebBuilt();
  // Demo mode: the DEMO project and its users, email pointed at the sandbox, the poller every 3 s.
  const h = (await startTestApp(t, 'sqlite', {
    config: { port: 0, workers: true, demo: true, sandboxSmtpPort: await freePort(), sandboxPop3Port: await freePort() },
    modules: allModules(testConfig({ database: { kind: 'sqlite', path: ':memory:' }, dataDir: '', demo: true })),
  })) as TestApp;
  const browser = await launchChromium();
  t.after(() => browser.close());
  const ui = new WebUi(browser, h.running.url);

  await t.test('sign in, create a defect, send a tracked email with a template, see it sent; the reply from the sandbox appears, forwarded', async (t) => {
    const { context, page } = await ui.open(t);
    await page.goto(`${ui.baseUrl}/projects/DEMO/defect`);
    await page.getByLabel('Username').fill('dana');
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.getByLabel('Password').press('Enter');
    await page.locator('header.topbar').waitFor();

    const title = 'Invoice PDF rounds the total twice';
    await page.getByRole('button', { name: 'New defect' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'New defect' });
    await dialog.getByLabel('Title').fill(title);
    await dialog.getByRole('button', { name: 'Create defect' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page
      .getByRole('row', { name: new RegExp(title) })
      .getByRole('link')
      .click();
    await page.getByRole('heading', { level: 1, name: title }).waitFor();

    await page.getByRole('tab', { name: /Email/ }).click();
    await page.getByText('No tracked email yet').waitFor();
    await page.getByRole('button', { name: /New tracked email/ }).click();
    const to = page.getByRole('combobox', { name: 'To' });
    await to.fill(DEMO_CUSTOMER.address);
    await to.press('Enter');
    await page.getByLabel('Template').selectOption({ label: 'Request for information' });
    await page.getByLabel('Message', { exact: true }).fill('Which invoice number shows the doubled rounding?');
    // The live preview renders the template for this record, the typed text in its slot.
    const preview = page.getByLabel('Preview');
    await preview.getByText(`Information needed: ${title}`).waitFor();
    await preview.getByText('Which invoice number shows the doubled rounding?').waitFor();
    await page.getByRole('button', { name: 'Send', exact: true }).click();

    const sent = page.locator('article.mail-out').first();
    await sent.waitFor();
    // The page follows the outbox: queued, then sent once the sandbox took it.
    await sent.locator('.badge', { hasText: /^sent$/ }).waitFor({ timeout: MAIL_WAIT_MS });
    await page.getByRole('heading', { level: 3, name: new RegExp(`Information needed: ${title}`) }).waitFor();

    // The customer answers in a second tab: the sandbox, as their mail program. The record tab
    // stays open and must show the reply by itself.
    const mail = await ui.newPage(t, context);
    await mail.goto(`${ui.baseUrl}/sandbox`);
    await mail.getByRole('link', { name: DEMO_CUSTOMER.address }).click();
    await mail.locator('.msg-link', { hasText: `Information needed: ${title}` }).click({ timeout: MAIL_WAIT_MS });
    await mail.locator('.sandbox-subject', { hasText: title }).waitFor();
    const answer = 'It is invoice 2024-117: the total is 10.05 instead of 10.04.';
    await mail.getByLabel(/Reply as/).fill(answer);
    await mail.getByRole('button', { name: 'Send reply' }).click();
    await mail.getByText('Reply sent.').waitFor();

    const reply = page.locator('article.mail-in');
    await reply.waitFor({ timeout: MAIL_WAIT_MS });
    const shown = reply.locator('pre.mail-text').first();
    assert.equal((await shown.innerText()).trim(), answer, 'the new part only: quote and our marker trimmed');
    assert.equal(await reply.locator('.mail-quoted').count(), 0, 'the quote is folded away');
    await reply.getByRole('button', { name: /Show quoted text/ }).click();
    const quoted = await reply.locator('.mail-quoted').innerText();
    assert.match(quoted, /wrote:/);
    assert.match(quoted, /Which invoice number shows the doubled rounding\?/);
    // Forwarded to Dana, who sent the original: the status says so once the forward left.
    await reply.locator('.badge', { hasText: /^forwarded$/ }).waitFor({ timeout: MAIL_WAIT_MS });
    assert.match(await reply.locator('.mail-dir').innerText(), /forwarded/);
  });

  await t.test('admin, Email tracking: test the connection, poll now, last poll and its error, outbox counts', async (t) => {
    const page = await ui.signIn(t, 'admin', ADMIN_PASSWORD, '/admin/tracking');
    const form = page.locator('form', { has: page.getByLabel('Poll every (seconds)') });
    await expectValue(page.getByLabel('Username'), DEMO_TRACKING_ADDRESS);

    await form.getByRole('button', { name: 'Test connection' }).click();
    const tested = page.getByRole('status').filter({ hasText: 'Connected.' });
    await tested.waitFor({ timeout: MAIL_WAIT_MS });
    assert.match(await tested.innerText(), /Signed in to POP3 127\.0\.0\.1:\d+/);

    await form.getByRole('button', { name: 'Poll now' }).click();
    const polled = page.getByRole('status').filter({ hasText: 'Polled.' });
    await polled.waitFor({ timeout: 90_000 });
    for (const label of ['fetched', 'imported', 'forwarded', 'deleted untracked', 'kept', 'rejected']) await polled.getByText(label, { exact: true }).waitFor();

    const status = page.locator('section', { has: page.getByRole('heading', { name: 'Last poll' }) });
    await status.getByText(/Last poll: just now/).waitFor();
    assert.equal(await status.getByText('Last error:').count(), 0);
    await status.getByText('waiting to send').waitFor();
    await status.getByText('failed', { exact: true }).waitFor();

    // Another port without the password: the stored one does not go there (finding 6), the form says so.
    await page.getByLabel('Port').fill('1');
    await form.getByRole('button', { name: 'Test connection' }).click();
    await form
      .getByText(/Type the password again for 127\.0\.0\.1:1/)
      .first()
      .waitFor();
    // A wrong port with the password typed: the test says so without saving; a poll with it fails and is shown as such.
    await form.getByLabel('Password', { exact: true }).fill(DEMO_PASSWORD);
    await form.getByRole('button', { name: 'Test connection' }).click();
    await page.getByRole('status').filter({ hasText: 'Connection failed.' }).waitFor({ timeout: MAIL_WAIT_MS });
    await form.getByRole('button', { name: 'Save & poll now' }).click();
    await page.getByRole('alert').filter({ hasText: 'Poll failed.' }).waitFor({ timeout: 90_000 });
    await status.getByText('Last error:').waitFor({ timeout: MAIL_WAIT_MS });
    // Back to the sandbox's port: the next poll clears the error.
    const port = String(h.running.ctx.config.sandboxPop3Port);
    await page.getByLabel('Port').fill(port);
    await form.getByLabel('Password', { exact: true }).fill(DEMO_PASSWORD);
    await form.getByRole('button', { name: 'Save & poll now' }).click();
    await page.getByRole('status').filter({ hasText: 'Polled.' }).waitFor({ timeout: 90_000 });
    await status.getByText('Last error:').waitFor({ state: 'detached', timeout: MAIL_WAIT_MS });
    assert.equal((await h.admin.get('/api/v1/admin/email/tracking')).body.port, Number(port));

    // Sending shows the same outbox counts.
    await page.goto(`${ui.baseUrl}/admin/sending`);
    await page
      .locator('section', { has: page.getByRole('heading', { name: 'Outbox' }) })
      .getByText('waiting to send')
      .waitFor();
  });

  await t.test('admin, tracking accounts: add a second account bound to a project, poll it, see its status, remove it', async (t) => {
    const page = await ui.signIn(t, 'admin', ADMIN_PASSWORD, '/admin/tracking');
    const panel = page.locator('section', { has: page.getByRole('heading', { name: 'Tracking accounts' }) });
    await panel.locator('tr[data-account="default"]').getByText(DEMO_TRACKING_ADDRESS, { exact: true }).waitFor();
    await panel.getByRole('button', { name: 'Add account' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add tracking account' });
    const team = 'team-tracking@demo.test';
    await dialog.getByLabel('Name', { exact: true }).fill('Team Demo');
    await dialog.getByLabel('Address', { exact: true }).fill(team);
    await dialog.getByLabel('Protocol', { exact: true }).selectOption('pop3');
    await dialog.getByLabel('Security', { exact: true }).selectOption('none');
    await dialog.getByLabel('Host', { exact: true }).fill('127.0.0.1');
    await dialog.getByLabel('Port', { exact: true }).fill(String(h.running.ctx.config.sandboxPop3Port));
    await dialog.getByLabel('Username', { exact: true }).fill(team);
    await dialog.getByLabel('Password', { exact: true }).fill('team-password');
    await dialog.getByLabel(/^DEMO — /).check();
    await dialog.getByRole('button', { name: 'Add account' }).click();
    await dialog.waitFor({ state: 'hidden' });

    const row = panel.locator('tr', { hasText: 'Team Demo' });
    await row.getByText('DEMO', { exact: true }).waitFor();
    await panel.locator('tr[data-account="default"]').getByText('none (all have their own)').waitFor();
    const listed = (await h.admin.get('/api/v1/admin/email/accounts')).body.accounts;
    assert.deepEqual(listed.find((a: { name: string }) => a.name === 'Team Demo').projects, ['DEMO']);
    assert.ok(!JSON.stringify(listed).includes('team-password'));

    await row.getByRole('button', { name: 'Poll now' }).click();
    await panel.getByRole('status').filter({ hasText: 'Team Demo: fetched 0' }).waitFor({ timeout: 90_000 });
    await row.getByText(/polled just now/).waitFor({ timeout: MAIL_WAIT_MS });

    page.once('dialog', (d) => void d.accept());
    await row.getByRole('button', { name: 'Remove Team Demo' }).click();
    await row.waitFor({ state: 'detached' });
    assert.deepEqual(
      (await h.admin.get('/api/v1/admin/email/accounts')).body.accounts.map((a: { id: string }) => a.id),
      ['default'],
    );
  });

  await t.test('admin, Unmatched mail: file a fresh email on a record that has no email yet', async (t) => {
    const created = await h.admin.post('/api/v1/projects/DEMO/records', { type: 'defect', title: 'Bulk export of invoices times out' });
    assert.equal(created.status, 201);
    const tag = created.body.tag as string;
    // Somebody writes to the tracking address out of the blue: no cookie, nothing to match.
    const dropped = await h.admin.post('/api/v1/sandbox/send', {
      from: 'pat@customer.example',
      fromName: 'Pat Buyer',
      to: [DEMO_TRACKING_ADDRESS],
      subject: 'Export of all 2025 invoices?',
      text: 'Hello, the export of all 2025 invoices stops after a minute. Can you help?',
    });
    assert.equal(dropped.status, 202, JSON.stringify(dropped.body));

    const page = await ui.signIn(t, 'admin', ADMIN_PASSWORD, '/admin/inbound');
    // The list refreshes by itself while the poller takes the message in.
    const row = page.getByRole('row', { name: /Export of all 2025 invoices\?/ });
    await row.waitFor({ timeout: MAIL_WAIT_MS });
    await row.getByRole('button', { name: 'Attach…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Attach to a record' });
    await dialog.getByLabel('Find the record').fill('bulk export');
    await dialog.getByRole('radio', { name: new RegExp(`${tag} Bulk export of invoices times out`) }).check();
    await dialog.getByText(`${tag} has no tracked email yet`).waitFor();
    await dialog.getByRole('button', { name: `Attach to ${tag}` }).click();
    await dialog.waitFor({ state: 'hidden' });
    await row.waitFor({ state: 'detached' });

    await page.goto(`${ui.baseUrl}/projects/DEMO/records/${created.body.id as string}?tab=email`);
    const mail = page.locator('article.mail-in');
    await mail.getByText('the export of all 2025 invoices stops after a minute').waitFor();
    assert.match(await mail.locator('.mail-dir').innerText(), /wrote/, 'a conversation of its own, not a reply');
    await mail.locator('.badge', { hasText: /^received$/ }).waitFor();
    await mail.getByText('unexpected sender').waitFor();
  });
});

/** Waits until an input shows `value` (forms fill in once their settings have loaded). */
async function expectValue(input: Locator, value: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await input.inputValue()) !== value) {
    if (Date.now() > deadline) assert.equal(await input.inputValue(), value);
    await new Promise((r) => setTimeout(r, 100));
  }
}
