/**
 * Project settings and admin sections in a real browser, each form started from what the API
 * stores: a form remounts (React `key`) when another item is picked or the stored item changes,
 * so switching groups, resetting a template or editing another user never shows stale input.
 *
 * Run: node --import tsx --test test/browser/settingsSections.browser.test.ts
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { allModules } from '../../src/modules.js';
import { ADMIN_PASSWORD, startTestApp, testConfig, type TestApp } from '../support/app.js';
import { ensureWebBuilt, launchChromium, requireChromium } from './browser.js';

/** Waits until an input shows `value` (forms fill in once their data has loaded). */
async function expectValue(input: Locator, value: string): Promise<void> {
  await input.page().waitForFunction(([el, v]) => (el as unknown as { value: string }).value === v, [await input.elementHandle(), value] as const);
}

async function signIn(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel('Username', { exact: true }).fill('admin');
  await page.getByLabel('Password', { exact: true }).fill(ADMIN_PASSWORD);
  await page.getByLabel('Password', { exact: true }).press('Enter');
  await page.locator('header.topbar').waitFor();
}

test('settings sections in Chromium: email options, groups, templates, rules, users start from what is stored', { timeout: 180_000 }, async (t) => {
  if (!(await requireChromium(t))) return;
  ensureWebBuilt();
  const h = (await startTestApp(t, 'sqlite', {
    config: { port: 0 },
    modules: allModules(testConfig({ database: { kind: 'sqlite', path: ':memory:' }, dataDir: '' })),
  })) as TestApp;
  assert.equal((await h.admin.post('/api/v1/projects', { key: 'SET', name: 'Settings' })).status, 201);
  assert.equal((await h.admin.post('/api/v1/projects/SET/records', { type: 'defect', title: 'Preview me' })).status, 201);
  await h.user('alice', { project: 'SET' });
  await h.user('bob', { project: 'SET' });

  const browser = await launchChromium();
  t.after(() => browser.close());
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  t.after(() => context.close());
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(err.message));
  t.after(() => assert.deepEqual(problems, [], 'the page threw'));
  await signIn(page, `${h.running.url}/projects/SET/settings/email`);

  // Email: the form starts from the stored options and saves what is typed.
  const name = page.getByLabel('Name', { exact: true });
  await name.waitFor();
  await name.fill('Settings desk');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Saved').waitFor();
  assert.equal((await h.admin.get('/api/v1/projects/SET/options/email')).body.notificationAccount.name, 'Settings desk');

  // Security groups: ticking a command on Viewers, then looking at Developers and back, shows
  // each group's stored commands; an unsaved tick is dropped by switching.
  await page.getByRole('link', { name: 'Security groups' }).click();
  await page.getByRole('tab', { name: /^Viewers/ }).click();
  const addDefects = page.getByRole('checkbox', { name: 'Add: Defects' });
  assert.equal(await addDefects.isChecked(), false);
  await addDefects.check();
  await page.getByRole('tab', { name: /^Developers/ }).click();
  assert.equal(await addDefects.isChecked(), true, 'Developers may add defects');
  await page.getByRole('tab', { name: /^Viewers/ }).click();
  assert.equal(await addDefects.isChecked(), false, 'the unsaved tick on Viewers is gone');
  await addDefects.check();
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.getByRole('button', { name: 'Saved', exact: true }).waitFor();
  const groups = (await h.admin.get('/api/v1/projects/SET/security-groups')).body.groups as { name: string; commands: string[] }[];
  assert.ok(groups.find((g) => g.name === 'Viewers')?.commands.includes('defects.add'));
  await page.getByRole('button', { name: 'New group' }).click();
  const newGroup = page.getByRole('dialog', { name: 'New security group' });
  await newGroup.getByLabel('Name', { exact: true }).fill('Auditors');
  await newGroup.getByRole('button', { name: 'Create group' }).click();
  await page.getByRole('tab', { name: /^Auditors/, selected: true }).waitFor();
  await expectValue(page.getByLabel('Name', { exact: true }), 'Auditors');

  // Email templates: an edited standard template saves; Reset to standard shows the shipped text again.
  await page.getByRole('link', { name: 'Email templates' }).click();
  const subject = page.getByLabel('Subject', { exact: true });
  await subject.waitFor();
  const first = (await h.admin.get('/api/v1/projects/SET/email-templates')).body.templates[0] as { name: string; subject: string };
  await expectValue(subject, first.subject);
  await subject.fill('Changed: {{ record.title }}');
  await page.getByRole('button', { name: 'Save template' }).click();
  await page.getByText('Saved').waitFor();
  const stored = (await h.admin.get('/api/v1/projects/SET/email-templates')).body.templates as { name: string; subject: string }[];
  assert.equal(stored.find((x) => x.name === first.name)?.subject, 'Changed: {{ record.title }}');
  await page.getByRole('button', { name: 'Reset to standard' }).click();
  await page.getByText('Reset to the standard text').waitFor();
  await expectValue(subject, first.subject);
  // A new template starts from the starter text, not from the one shown before.
  await page.getByRole('button', { name: 'New template' }).click();
  await expectValue(page.getByLabel('Subject', { exact: true }), '[{{ record.tag }}] {{ record.title }}');
  await page.getByLabel('Name', { exact: true }).fill('follow-up');
  await page.getByRole('button', { name: 'Create template' }).click();
  await page.getByRole('button', { name: 'Delete' }).waitFor();
  assert.ok(((await h.admin.get('/api/v1/projects/SET/email-templates')).body.templates as { name: string }[]).some((x) => x.name === 'follow-up'));

  // Notification rules: a new rule, then its edit dialog starts from it; New rule starts empty again.
  await page.getByRole('link', { name: 'Notification rules' }).click();
  await page.getByRole('button', { name: 'Create a rule' }).click();
  const ruleDialog = page.getByRole('dialog', { name: 'New notification rule' });
  await ruleDialog.getByLabel('Name', { exact: true }).fill('Tell the assignee');
  await ruleDialog.getByRole('button', { name: 'Create rule' }).click();
  await page.getByRole('row', { name: /Tell the assignee/ }).waitFor();
  const rules = (await h.admin.get('/api/v1/projects/SET/notification-rules')).body.rules as { name: string; recipients: string[] }[];
  assert.deepEqual(
    rules.map((r) => [r.name, r.recipients]),
    [['Tell the assignee', ['assignee']]],
  );
  await page
    .getByRole('row', { name: /Tell the assignee/ })
    .getByRole('button', { name: 'Edit' })
    .click();
  const editRule = page.getByRole('dialog', { name: 'Edit rule “Tell the assignee”' });
  await expectValue(editRule.getByLabel('Name', { exact: true }), 'Tell the assignee');
  await editRule.getByRole('button', { name: 'Cancel' }).click();
  await page.getByRole('button', { name: 'New rule' }).click();
  await expectValue(page.getByRole('dialog', { name: 'New notification rule' }).getByLabel('Name', { exact: true }), '');
  await page.keyboard.press('Escape');

  // Admin → Users: editing alice, then bob, shows each one's own name.
  await page.goto(`${h.running.url}/admin/users`);
  await page.getByRole('button', { name: 'Edit alice' }).click();
  await expectValue(page.getByRole('dialog', { name: 'Edit alice' }).getByLabel('Full name'), 'alice Tester');
  await page.getByRole('dialog', { name: 'Edit alice' }).getByRole('button', { name: 'Cancel' }).click();
  await page.getByRole('button', { name: 'Edit bob' }).click();
  const bob = page.getByRole('dialog', { name: 'Edit bob' });
  await expectValue(bob.getByLabel('Full name'), 'bob Tester');
  await bob.getByLabel('Full name').fill('Bob Builder');
  await bob.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('row', { name: /Bob Builder/ }).waitFor();
  assert.equal((await h.admin.get('/api/v1/users/bob')).body.fullName, 'Bob Builder');
});
