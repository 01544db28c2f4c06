/**
 * The web client in a real browser: the server serves web/dist, Chromium (driven by
 * playwright-core) signs in and works the way a person would.
 *
 * Run: node --import tsx --test test/browser/web.test.ts
 * Needs Debian's Chromium at /usr/bin/chromium (or MAILTRAIL_CHROMIUM); without it the test
 * is skipped locally and fails under CI=true. The client is built first when web/dist is missing.
 *
 * Each scenario is a subtest of one server and one browser; add new ones (the tracked email
 * send/reply scenario) as further `await t.test(...)` blocks using `ui` and `h`.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { allModules } from '../../src/modules.js';
import { ADMIN_PASSWORD, USER_PASSWORD, startTestApp, testConfig, type TestApp } from '../support/app.js';
import { ensureWebBuilt, launchChromium, requireChromium } from './browser.js';

/** A person at the browser: a fresh context (no cookies) per sign-in. */
class WebUi {
  constructor(
    readonly browser: Browser,
    readonly baseUrl: string,
  ) {}

  async open(t: TestContext): Promise<{ context: BrowserContext; page: Page }> {
    const context = await this.browser.newContext({ viewport: { width: 1280, height: 800 } });
    t.after(() => context.close());
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(err.message));
    t.after(() => assert.deepEqual(problems, [], 'the page threw'));
    return { context, page };
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
  if (!requireChromium(t)) return;
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
    await page.getByLabel('Status').fill('Fixed');
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
    await dev.getByLabel('Message').fill('Could you look at the page numbers?');
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

    await first.getByRole('button', { name: /Reply/ }).click();
    await dev.getByLabel(/Reply to/).fill('And the footer, please.');
    await dev.getByRole('button', { name: 'Send reply' }).click();
    await dev.locator('article.mail').nth(1).waitFor();
    const after = await h.admin.get(`/api/v1/projects/WEB/records/${id}/emails`);
    assert.equal(after.body.emails.length, 2);
    const reply = after.body.emails.find((e: { parentId: string | null }) => e.parentId !== null);
    assert.equal(reply.parentId, sent.body.emails[0].id, 'the reply hangs under the first email');
  });

  // Next: a reply typed in the mail sandbox arrives on the record (needs the sandbox and the tracking poller in this test app).
});
