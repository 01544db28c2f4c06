/**
 * Workflows and custom fields set up in Project settings, in Chromium, and what people then
 * see (issue 16 item 2): an administrator edits the defects' workflow (renames a status, adds
 * one, changes the moves; removing a status still in use is refused in words and can be taken
 * back), and a developer's record offers only the new moves. A custom field added in settings
 * is set on a record, shown, filtered and sorted by in the list. Every settings and admin
 * section fits a 390 px phone (issue 16 item 8).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { allModules } from '../../src/modules.js';
import { ADMIN_PASSWORD, USER_PASSWORD, startTestApp, testConfig, type TestApp } from '../support/app.js';
import { ensureWebBuilt, launchChromium, requireChromium, signedInPage } from './browser.js';

const signIn = signedInPage;

/** The texts of a select's options. */
const optionsOf = (page: Page, label: string) => page.getByLabel(label, { exact: true }).locator('option').allTextContents();
/** A filter of the records list (its label holds the select, so the label's text is not just the name). */
const listFilter = (page: Page, name: string) => page.locator('.toolbar label.filter').filter({ has: page.locator('span', { hasText: new RegExp(`^${name}$`) }) }).locator('select, input');

test('workflows and custom fields from Project settings, in Chromium', { timeout: 240_000 }, async (t) => {
  if (!(await requireChromium(t))) return;
  ensureWebBuilt();
  const h = (await startTestApp(t, 'sqlite', {
    config: { port: 0 },
    modules: allModules(testConfig({ database: { kind: 'sqlite', path: ':memory:' }, dataDir: '' })),
  })) as TestApp;
  assert.equal((await h.admin.post('/api/v1/projects', { key: 'WEB', name: 'Web shop' })).status, 201);
  const ann = await h.user('ann', { project: 'WEB' });
  const open = (await ann.post('/api/v1/projects/WEB/records', { type: 'defect', title: 'Cart forgets items' })).body;
  const busy = (await ann.post('/api/v1/projects/WEB/records', { type: 'defect', title: 'Coupon ignored', status: 'In progress' })).body;
  const fixed = (await ann.post('/api/v1/projects/WEB/records', { type: 'defect', title: 'Totals off by one', status: 'Fixed' })).body;
  assert.deepEqual([open.tag, busy.status, fixed.status], ['WEB-D1', 'In progress', 'Fixed']);
  const browser = await launchChromium();
  t.after(() => browser.close());

  await t.test('an administrator edits the defects workflow; a record then offers only the allowed moves', async (t) => {
    const admin = await signIn(t, browser, h.running.url, 'admin', ADMIN_PASSWORD, '/projects/WEB/settings/workflows');
    const editor = admin.getByRole('form', { name: 'Workflow of defects' });
    await editor.waitFor();
    const names = editor.getByRole('list', { name: 'Statuses' }).getByRole('textbox');
    assert.deepEqual(await names.evaluateAll((els) => els.map((e) => (e as unknown as { value: string }).value)), ['Open', 'In progress', 'Fixed', 'Verified', 'Closed', 'Rejected']);

    // Removing a status that a record is in: the save is refused in words, and it can be put back.
    await editor.getByRole('button', { name: 'Remove Fixed' }).click();
    await editor.getByRole('button', { name: 'Save workflow' }).click();
    const refused = editor.getByRole('alert');
    await refused.waitFor();
    assert.match(await refused.innerText(), /One record is in “Fixed”, so it cannot be removed\. Rename it instead .* Nothing was saved\./s);
    await refused.getByRole('button', { name: 'Keep “Fixed”' }).click();
    await editor.getByRole('button', { name: 'Remove Fixed' }).waitFor();

    // Rename "In progress", add "Needs info", and change what Open may move to.
    await editor.getByLabel('Name of status 2').fill('Doing');
    await editor.getByText('Renamed from “In progress”').waitFor();
    await editor.getByRole('button', { name: 'Add status' }).click();
    const added = editor.getByLabel('Name of status 7');
    assert.equal(await admin.evaluate(() => (globalThis as unknown as { document: { activeElement: { getAttribute(n: string): string | null } } }).document.activeElement.getAttribute('aria-label')), 'Name of status 7', 'the new row has the focus');
    await added.fill('Needs info');
    await editor.getByLabel('Category of Needs info').selectOption('open');
    const moves = editor.getByRole('table');
    await moves.getByLabel('Open → Fixed').uncheck();
    await moves.getByLabel('Open → Needs info').check();
    await moves.getByLabel('Needs info → Open').check();
    await moves.getByLabel('Needs info → Doing').check();
    await editor.getByRole('button', { name: 'Save workflow' }).click();
    await editor.getByRole('button', { name: 'Saved' }).waitFor();

    const stored = (await h.admin.get('/api/v1/projects/WEB/workflows')).body.workflows.find((w: { type: string }) => w.type === 'defect');
    assert.deepEqual(stored.statuses.at(-1), { name: 'Needs info', category: 'open' });
    assert.deepEqual(stored.transitions['Open'], ['Doing', 'Rejected', 'Needs info']);
    assert.deepEqual(stored.transitions['Needs info'], ['Open', 'Doing']);
    assert.deepEqual(stored.transitions['Fixed'], ['Open', 'Doing', 'Verified'], 'moves into a renamed status follow it');
    assert.equal((await ann.get(`/api/v1/projects/WEB/records/${busy.id}`)).body.status, 'Doing', 'the renamed status moved its record along');

    // A bad name is caught before anything is sent, under the row.
    await editor.getByLabel('Name of status 7').fill('doing');
    await editor.getByRole('button', { name: 'Save workflow' }).click();
    await editor.getByText('“doing” is already a status (names are compared without case).').waitFor();
    await editor.getByRole('button', { name: 'Undo changes' }).click();
    assert.equal(await editor.getByLabel('Name of status 7').inputValue(), 'Needs info');

    // Ann's record in Open offers the new moves only, and takes one.
    const page = await signIn(t, browser, h.running.url, 'ann', USER_PASSWORD, '/projects/WEB/records/WEB-D1');
    await page.getByRole('heading', { level: 1, name: 'Cart forgets items' }).waitFor();
    await page.getByRole('button', { name: 'Edit' }).click();
    assert.deepEqual(await optionsOf(page, 'Status'), ['Open (now)', 'Doing', 'Rejected', 'Needs info']);
    await page.getByLabel('Status', { exact: true }).selectOption('Needs info');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('button', { name: 'Save changes' }).waitFor({ state: 'detached' });
    await page.getByRole('complementary', { name: 'Details' }).getByText('Needs info').waitFor();
    await page.getByRole('button', { name: 'Edit' }).click();
    assert.deepEqual(await optionsOf(page, 'Status'), ['Needs info (now)', 'Open', 'Doing']);
    await page.getByRole('button', { name: 'Cancel' }).click();
    // "Move to" beside the status offers the same moves, one click each.
    await page.getByRole('button', { name: 'Move to' }).click();
    const menu = page.getByRole('menu');
    assert.deepEqual((await menu.getByRole('menuitem').allInnerTexts()).map((x) => x.replace(/\s+/g, ' ').trim()), ['Open Open', 'Doing In progress']);
    await menu.getByRole('menuitem', { name: /^Doing/ }).click();
    await page.getByRole('complementary', { name: 'Details' }).getByText('Doing').waitFor();
    assert.equal((await ann.get(`/api/v1/projects/WEB/records/${open.id}`)).body.status, 'Doing');

    // The list's status filter offers the workflow's statuses, in its order.
    await page.goto(`${h.running.url}/projects/WEB/defect`);
    await page.getByRole('row', { name: /Cart forgets items/ }).waitFor();
    assert.equal(await page.title(), 'Defects · WEB · Mailtrail');
    assert.deepEqual(await listFilter(page, 'Status').locator('option').allTextContents(), ['Any', 'Open', 'Doing', 'Fixed', 'Verified', 'Closed', 'Rejected', 'Needs info']);
  });

  await t.test('a custom field added in settings is set on a record, shown, filtered and sorted by', async (t) => {
    const admin = await signIn(t, browser, h.running.url, 'admin', ADMIN_PASSWORD, '/projects/WEB/settings/fields');
    await admin.getByRole('heading', { name: 'No custom fields on defects' }).waitFor();

    // A choice field without options is refused by the server, in words, under Options.
    await admin.getByRole('button', { name: 'New field' }).click();
    let dialog = admin.getByRole('dialog', { name: 'New field on defects' });
    await dialog.getByLabel('Label').fill('Customer tier');
    await dialog.getByLabel('Kind').selectOption('choice');
    await dialog.getByRole('button', { name: 'Add field' }).click();
    await dialog.getByText('A single choice field needs at least one option.').waitFor();
    await dialog.getByLabel('Options').fill('Gold\nSilver\n\nBronze\n');
    await dialog.getByRole('button', { name: 'Add field' }).click();
    await dialog.waitFor({ state: 'hidden' });

    await admin.getByRole('button', { name: 'New field' }).click();
    dialog = admin.getByRole('dialog', { name: 'New field on defects' });
    await dialog.getByLabel('Label').fill('Affected users');
    await dialog.getByLabel('Kind').selectOption('number');
    await dialog.getByLabel('Key').fill('affected');
    await dialog.getByRole('button', { name: 'Add field' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const rows = admin.getByRole('table', { name: 'Custom fields of defects' }).getByRole('row');
    await rows.filter({ hasText: 'Affected users' }).waitFor();
    assert.deepEqual(
      (await rows.allInnerTexts()).slice(1).map((r) => r.replace(/\s+/g, ' ').replace(/\s*↑\s*↓\s*Edit\s*Remove$/, '').trim()),
      ['Customer tier customerTier Single choice Gold, Silver, Bronze', 'Affected users affected Number —'],
    );

    // Edit: another label and one more option; the key stays.
    await admin.getByRole('button', { name: 'Edit Customer tier' }).click();
    dialog = admin.getByRole('dialog', { name: 'Edit Customer tier' });
    await dialog.getByLabel('Label').fill('Tier');
    await dialog.getByLabel('Options').fill('Gold\nSilver\nBronze\nPlatinum');
    await dialog.getByRole('button', { name: 'Save field' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await rows.filter({ hasText: 'Platinum' }).waitFor();
    const fields = (await h.admin.get('/api/v1/projects/WEB/fields?type=defect')).body.fields;
    assert.deepEqual(
      fields.map((f: { key: string; label: string; kind: string; options: string[] }) => [f.key, f.label, f.kind, f.options]),
      [
        ['customerTier', 'Tier', 'choice', ['Gold', 'Silver', 'Bronze', 'Platinum']],
        ['affected', 'Affected users', 'number', []],
      ],
    );

    // Ann sets both on one record in the browser; another gets its values by the API.
    const page = await signIn(t, browser, h.running.url, 'ann', USER_PASSWORD, '/projects/WEB/records/WEB-D2');
    await page.getByRole('heading', { level: 1, name: 'Coupon ignored' }).waitFor();
    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('Tier').selectOption('Platinum');
    await page.getByLabel('Affected users').fill('120');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('button', { name: 'Save changes' }).waitFor({ state: 'detached' });
    const details = page.getByRole('complementary', { name: 'Details' });
    await details.getByText('Platinum').waitFor();
    await details.getByText('120').waitFor();
    assert.deepEqual((await ann.get(`/api/v1/projects/WEB/records/${busy.id}`)).body.fields, { customerTier: 'Platinum', affected: 120 });
    const set = await ann.patch(`/api/v1/projects/WEB/records/${fixed.id}`, { fields: { customerTier: 'Gold', affected: 7 }, version: fixed.version });
    assert.equal(set.status, 200, JSON.stringify(set.body));

    // The list shows both as columns, filters by the tier, sorts by the number.
    await page.goto(`${h.running.url}/projects/WEB/defect`);
    const list = page.getByRole('table').first();
    await list.getByRole('row', { name: /Coupon ignored.*Platinum.*120/ }).waitFor();
    await listFilter(page, 'Tier').selectOption('Platinum');
    await page.waitForURL(/f\.customerTier=Platinum/);
    await list.getByRole('row', { name: /Totals off by one/ }).waitFor({ state: 'detached' });
    assert.deepEqual(await list.locator('tbody .col-id').allTextContents(), ['WEB-D2']);
    // The filter is in the address: a reload keeps it.
    await page.reload();
    await list.getByRole('row', { name: /Coupon ignored/ }).waitFor();
    assert.deepEqual(await list.locator('tbody .col-id').allTextContents(), ['WEB-D2']);
    await page.getByRole('button', { name: 'Clear filters' }).first().click();
    await list.getByRole('row', { name: /Cart forgets items/ }).waitFor();

    await list.getByRole('button', { name: /Affected users/ }).click();
    await page.waitForURL(/sort=field%3Aaffected&order=asc|sort=field:affected&order=asc/);
    await page.waitForFunction(() => {
      const ids = [...(globalThis as unknown as { document: { querySelectorAll(s: string): { textContent: string }[] } }).document.querySelectorAll('tbody .col-id')].map((e) => e.textContent);
      return ids.join(',') === 'WEB-D3,WEB-D2,WEB-D1';
    });
    await list.getByRole('button', { name: /Affected users/ }).click();
    await page.waitForFunction(() => {
      const ids = [...(globalThis as unknown as { document: { querySelectorAll(s: string): { textContent: string }[] } }).document.querySelectorAll('tbody .col-id')].map((e) => e.textContent);
      return ids.join(',') === 'WEB-D2,WEB-D3,WEB-D1';
    });

    // Removing the field asks first, then its values are gone from the records.
    await admin.getByRole('button', { name: 'Remove Affected users' }).click();
    dialog = admin.getByRole('dialog', { name: 'Remove Affected users?' });
    await dialog.getByRole('button', { name: 'Remove field' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await rows.filter({ hasText: 'Affected users' }).waitFor({ state: 'detached' });
    assert.deepEqual((await ann.get(`/api/v1/projects/WEB/records/${busy.id}`)).body.fields, { customerTier: 'Platinum' });
  });

  await t.test('refusals say in words what is missing, not the command names', async (t) => {
    assert.equal((await h.admin.post('/api/v1/projects/WEB/security-groups', { name: 'Defect readers', commands: ['defects.view'] })).status, 201);
    await h.user('dora', { project: 'WEB', group: 'Defect readers' });
    const dora = await signIn(t, browser, h.running.url, 'dora', USER_PASSWORD, '/projects/WEB/settings/workflows');
    await dora.getByRole('heading', { name: 'Project administrators only' }).waitFor();
    let said = (await dora.locator('main').innerText()).replace(/\s+/g, ' ');
    assert.match(said, /Only the administrators of Web shop can change its settings/);
    assert.doesNotMatch(said, /project\.administer/);
    await dora.goto(`${h.running.url}/projects/WEB/requirement`);
    await dora.getByRole('heading', { name: 'You cannot view requirements here' }).waitFor();
    said = (await dora.locator('main').innerText()).replace(/\s+/g, ' ');
    assert.match(said, /does not include seeing requirements/);
    assert.doesNotMatch(said, /requirements\.view/);
  });

  await t.test('every project settings and admin section fits a phone screen', async (t) => {
    const admin = await signIn(t, browser, h.running.url, 'admin', ADMIN_PASSWORD, '/projects/WEB/settings/workflows');
    await admin.setViewportSize({ width: 390, height: 844 });
    const project = ['email', 'import', 'members', 'groups', 'workflows', 'fields', 'templates', 'rules'].map((s) => `/projects/WEB/settings/${s}`);
    const server = ['sending', 'tracking', 'inbound', 'suppressed', 'dkim', 'users'].map((s) => `/admin/${s}`);
    for (const path of [...project, ...server]) {
      await admin.goto(h.running.url + path);
      await admin.locator('.settings-main .settings-card').first().waitFor();
      await admin.locator('.settings-main .loading').first().waitFor({ state: 'detached' });
      assert.equal(await admin.evaluate('document.documentElement.scrollWidth'), 390, `${path} is wider than the phone`);
    }
  });
});
