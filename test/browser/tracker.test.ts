/**
 * The tracker around the email, in Chromium, as people use it: two people editing one record
 * (409 and a merge), workflows, fields, search, test runs. One server without workers, one
 * browser; each person signs in in a context of their own.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { allModules } from '../../src/modules.js';
import { USER_PASSWORD, startTestApp, testConfig, type TestApp } from '../support/app.js';
import { ensureWebBuilt, launchChromium, requireChromium, signedInPage } from './browser.js';

const signIn = (t: TestContext, browser: Browser, baseUrl: string, username: string, path = '/'): Promise<Page> => signedInPage(t, browser, baseUrl, username, USER_PASSWORD, path);

test('the tracker in Chromium', { timeout: 240_000 }, async (t) => {
  if (!(await requireChromium(t))) return;
  ensureWebBuilt();
  const h = (await startTestApp(t, 'sqlite', {
    config: { port: 0 },
    modules: allModules(testConfig({ database: { kind: 'sqlite', path: ':memory:' }, dataDir: '' })),
  })) as TestApp;
  const browser = await launchChromium();
  t.after(() => browser.close());
  assert.equal((await h.admin.post('/api/v1/projects', { key: 'WEB', name: 'Web shop' })).status, 201);
  const ann = await h.user('ann', { project: 'WEB' });
  await h.user('bob', { project: 'WEB' });

  await t.test('two people edit one description: the second gets the conflict and merges', async (t) => {
    const created = await ann.post('/api/v1/projects/WEB/records', { type: 'defect', title: 'Checkout fails', description: 'Steps:\n1. Open the cart\n2. Click Checkout\nResult: nothing\n' });
    assert.equal(created.status, 201);
    const path = `/projects/WEB/records/${created.body.id}`;
    const annPage = await signIn(t, browser, h.running.url, 'ann', path);
    const bobPage = await signIn(t, browser, h.running.url, 'bob', path);
    for (const p of [annPage, bobPage]) {
      await p.getByRole('heading', { level: 1, name: 'Checkout fails' }).waitFor();
      await p.getByRole('button', { name: 'Edit' }).click();
    }
    // Bob saves first: he fixes step 1.
    await bobPage.getByLabel('Description').fill('Steps:\n1. Open the cart with two items\n2. Click Checkout\nResult: nothing\n');
    await bobPage.getByRole('button', { name: 'Save changes' }).click();
    await bobPage.getByRole('button', { name: 'Save changes' }).waitFor({ state: 'detached' });

    // Ann, still on the version she opened, changes the result line and the title.
    await annPage.getByLabel('Title').fill('Checkout does nothing');
    await annPage.getByLabel('Description').fill('Steps:\n1. Open the cart\n2. Click Checkout\nResult: the button does nothing, no error\n');
    await annPage.getByRole('button', { name: 'Save changes' }).click();
    const merge = annPage.getByRole('dialog', { name: /was changed while you edited it/ });
    await merge.waitFor();
    const said = (await merge.innerText()).replace(/\s+/g, ' ');
    assert.match(said, /bob Tester saved a change/);
    assert.match(said, /Open the cart with two items/, 'their change is shown');
    // The two edits touch different lines: both are in the merged text, no markers.
    const merged = await merge.getByLabel('Description, merged').inputValue();
    assert.equal(merged, 'Steps:\n1. Open the cart with two items\n2. Click Checkout\nResult: the button does nothing, no error\n');
    await merge.getByRole('button', { name: 'Save the merge' }).click();
    await merge.waitFor({ state: 'hidden' });
    await annPage.getByRole('heading', { level: 1, name: 'Checkout does nothing' }).waitFor();

    const stored = await ann.get(`/api/v1/projects/WEB/records/${created.body.id}`);
    assert.equal(stored.body.version, 3);
    assert.equal(stored.body.title, 'Checkout does nothing');
    assert.equal(stored.body.description, merged, "neither person's text was lost");

    // The history shows Bob's description edit as a diff.
    await annPage.reload();
    const bobsEdit = annPage.locator('.history-item', { hasText: 'bob Tester' });
    await bobsEdit.getByRole('button', { name: /show the changes/ }).click();
    const diff = bobsEdit.locator('.text-diff');
    assert.equal(await diff.locator('.diff-del').textContent(), '−removed: 1. Open the cart');
    assert.equal(await diff.locator('.diff-add').textContent(), '+added: 1. Open the cart with two items');
    // Within the reworded line, the added words are marked.
    assert.equal((await diff.locator('.diff-add ins').allTextContents()).join(''), ' with two items');
  });

  await t.test('the status offers only the allowed moves; priority and a custom field are set and shown', async (t) => {
    assert.equal((await h.admin.post('/api/v1/projects/WEB/fields', { recordType: 'defect', label: 'Customer', kind: 'text' })).status, 201);
    const created = await ann.post('/api/v1/projects/WEB/records', { type: 'defect', title: 'Totals wrong' });
    const page = await signIn(t, browser, h.running.url, 'ann', `/projects/WEB/records/${created.body.id}`);
    await page.getByRole('heading', { level: 1, name: 'Totals wrong' }).waitFor();
    assert.equal(await page.title(), 'WEB-D2 Totals wrong · Mailtrail');
    await page.getByRole('button', { name: 'Edit' }).click();
    const options = await page.getByLabel('Status').locator('option').allTextContents();
    assert.deepEqual(options, ['Open (now)', 'In progress', 'Fixed', 'Rejected'], 'Closed is not a move from Open');
    await page.getByLabel('Status').selectOption('In progress');
    await page.getByLabel('Priority').selectOption('urgent');
    await page.getByLabel('Customer').fill('Northwind');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('button', { name: 'Save changes' }).waitFor({ state: 'detached' });
    const details = page.getByRole('complementary', { name: 'Details' });
    await details.getByText('Urgent').waitFor();
    await details.getByText('Northwind').waitFor();
    const stored = await ann.get(`/api/v1/projects/WEB/records/${created.body.id}`);
    assert.deepEqual([stored.body.status, stored.body.priority, stored.body.fields], ['In progress', 'urgent', { customer: 'Northwind' }]);
    // The list filters by state and priority.
    await page.goto(`${h.running.url}/projects/WEB/defect?category=inProgress&priority=urgent`);
    await page.getByRole('row', { name: /Totals wrong/ }).waitFor();
    assert.equal(await page.getByRole('row', { name: /Checkout does nothing/ }).count(), 0);
  });
});
