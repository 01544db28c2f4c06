/**
 * A test case written and run step by step in Chromium, as a tester would: a new test case with
 * three steps, reordered once; "Run this test" opens the new run; pass, fail with what actually
 * happened, pass; the overall result reads Failed (and the run's status follows); the test case
 * links to its run. Then a requirement document: requirements added by id and by title
 * words, moved, taken out. Screenshot: test-run.png in MAILTRAIL_SCREENSHOTS_DIR (docs/screenshots to refresh the docs).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { USER_PASSWORD, startTestApp, type TestApp } from '../support/app.js';
import { ensureWebBuilt, launchChromium, requireChromium, screenshotPath } from './browser.js';

test('a test case run step by step, and a requirement document, in Chromium', { timeout: 240_000 }, async (t) => {
  if (!requireChromium(t)) return;
  ensureWebBuilt();
  const h = (await startTestApp(t, 'sqlite', { config: { port: 0 } })) as TestApp;
  assert.equal((await h.admin.post('/api/v1/projects', { key: 'QA', name: 'Customer portal' })).status, 201);
  const tess = await h.user('tess', { project: 'QA' });
  for (const title of ['Export the order list as CSV', 'Single sign-on with SAML', 'Audit log of permission changes']) {
    assert.equal((await tess.post('/api/v1/projects/QA/records', { type: 'requirement', title })).status, 201);
  }
  await tess.post('/api/v1/projects/QA/records', { type: 'requirementDocument', title: 'Portal 2.4 requirements' });

  const browser = await launchChromium();
  t.after(() => browser.close());
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(err.message));
  page.on('dialog', (d) => {
    problems.push(`a dialog opened: ${d.message()}`);
    void d.dismiss();
  });
  await page.goto(`${h.running.url}/projects/QA/testCase`);
  await page.getByLabel('Username').fill('tess');
  await page.getByLabel('Password').fill(USER_PASSWORD);
  await page.getByLabel('Password').press('Enter');

  // A new test case, from the list.
  await page
    .getByRole('button', { name: /New test case/ })
    .first()
    .click();
  const dialog = page.getByRole('dialog', { name: 'New test case' });
  await dialog.getByLabel('Title').fill('Export 50 orders as CSV');
  await dialog.getByLabel('Description').fill('Precondition: a customer account with exactly 50 orders.');
  await dialog.getByRole('button', { name: 'Create test case' }).click();
  await page.getByRole('link', { name: 'QA-TC1' }).click();
  await page.getByRole('heading', { level: 1, name: 'Export 50 orders as CSV' }).waitFor();

  // Three steps; the one added last belongs first.
  const stepsCard = page.locator('section', { has: page.getByRole('heading', { name: /^Steps/ }) });
  const addStep = async (action: string, expected: string) => {
    await stepsCard.getByLabel('Action').last().fill(action);
    await stepsCard.getByLabel('Expected result').last().fill(expected);
    await stepsCard.getByRole('button', { name: 'Add step' }).click();
    await stepsCard.getByRole('list', { name: 'Steps of QA-TC1' }).getByText(action).waitFor();
  };
  await addStep('Choose Export → CSV', 'A file downloads');
  await addStep('Open the file in a spreadsheet', '50 data rows and a header');
  await addStep('Open Orders', 'The list shows 50 orders');
  const stepList = stepsCard.getByRole('list', { name: 'Steps of QA-TC1' });
  const actionAt = (n: number) =>
    stepList
      .locator('.step-row')
      .nth(n - 1)
      .locator('.step-action');
  await stepsCard.getByRole('button', { name: 'Move step 3 up' }).click();
  await actionAt(2).getByText('Open Orders').waitFor();
  await stepsCard.getByRole('button', { name: 'Move step 2 up' }).click();
  await actionAt(1).getByText('Open Orders').waitFor();
  assert.deepEqual(await stepList.locator('.step-action').allInnerTexts(), ['Open Orders', 'Choose Export → CSV', 'Open the file in a spreadsheet']);
  await page.locator('.history').getByText('added step 3: Open Orders').waitFor();
  await page.locator('.history').getByText('reordered the steps').first().waitFor();

  // Run it: the new run opens with the steps, nothing run yet.
  await stepsCard.getByRole('button', { name: /Run this test/ }).click();
  await page.getByRole('heading', { level: 1, name: 'Export 50 orders as CSV' }).waitFor();
  await page.waitForURL(/\/projects\/QA\/records\/QA-TR1$/);
  const run = page.locator('section.run-card');
  const overall = run.locator('.run-summary .result');
  assert.equal(await overall.innerText(), 'Not run');
  const step = (n: number) => run.getByRole('listitem', { name: `Step ${n}` });
  assert.match(await step(1).innerText(), /Open Orders[\s\S]*Expected[\s\S]*The list shows 50 orders/i);

  await step(1).getByRole('button', { name: 'Pass' }).click();
  await overall.getByText('In progress').waitFor();
  await step(2).getByLabel('Actual result of step 2').fill('The CSV file has 49 rows: order #50 is missing');
  await step(2).getByRole('button', { name: 'Fail' }).click();
  await overall.getByText('Failed').waitFor();
  await step(3).getByRole('button', { name: 'Pass' }).click();
  await step(3).locator('.result', { hasText: 'Passed' }).waitFor();
  assert.equal(await overall.innerText(), 'Failed', 'one failed step fails the run');
  assert.equal(await step(2).getByRole('button', { name: 'Fail' }).getAttribute('aria-pressed'), 'true');
  assert.match(await run.locator('.run-summary').innerText(), /3 of 3 steps run · 2 passed · 1 failed/);
  // The status follows the result, and the history says who recorded what.
  await page.locator('.record-meta .pill', { hasText: 'Failed' }).waitFor();
  await page.locator('.history').getByText('The CSV file has 49 rows: order #50 is missing').first().waitFor();

  // The actual result survives a reload; the screenshot shows the run as the tester left it.
  await page.reload();
  await step(2).getByLabel('Actual result of step 2').waitFor();
  assert.equal(await step(2).getByLabel('Actual result of step 2').inputValue(), 'The CSV file has 49 rows: order #50 is missing');
  await page.evaluate('window.scrollTo(0, 0)');
  await page.screenshot({ path: screenshotPath('test-run.png'), clip: { x: 0, y: 0, width: 1280, height: 1000 } });

  // Back on the test case: the link and the runs list lead to the run.
  await run.getByRole('link', { name: 'Export 50 orders as CSV' }).click();
  await page.waitForURL(/\/projects\/QA\/records\/QA-TC1$/);
  const links = page.getByRole('list', { name: 'Links of QA-TC1' });
  await links.getByText('QA-TR1').waitFor();
  assert.match((await links.innerText()).replace(/\s+/g, ' '), /is the origin of QA-TR1 Export 50 orders as CSV/);
  const runs = page.getByRole('list', { name: 'Runs of QA-TC1' });
  assert.match((await runs.innerText()).replace(/\s+/g, ' '), /QA-TR1 Export 50 orders as CSV Failed 2\/3 passed/);

  // A requirement document: by id, by words of the title, moved up, one taken out.
  await page.goto(`${h.running.url}/projects/QA/records/QA-RD1`);
  await page.getByRole('heading', { level: 1, name: 'Portal 2.4 requirements' }).waitFor();
  const add = page.getByLabel('Add a requirement');
  await add.fill('QA-R2');
  await add.press('Enter');
  const reqs = page.getByRole('list', { name: 'Requirements of QA-RD1' });
  await reqs.getByText('Single sign-on with SAML').waitFor();
  await add.fill('audit');
  await page.getByRole('list', { name: 'Matching requirements' }).getByRole('button', { name: /QA-R3/ }).click();
  await reqs.getByText('Audit log of permission changes').waitFor();
  await add.fill('QA-R1');
  await add.press('Enter');
  await reqs.getByText('Export the order list as CSV').waitFor();
  const tagAt = (n: number) =>
    reqs
      .locator('.req-row')
      .nth(n - 1)
      .locator('.record-tag');
  await page.getByRole('button', { name: 'Move QA-R1 up' }).click();
  await tagAt(2).getByText('QA-R1').waitFor();
  await page.getByRole('button', { name: 'Move QA-R1 up' }).click();
  await tagAt(1).getByText('QA-R1').waitFor();
  assert.deepEqual(await reqs.locator('.record-tag').allInnerTexts(), ['QA-R1', 'QA-R2', 'QA-R3']);
  await page.getByRole('button', { name: 'Take QA-R2 out of QA-RD1' }).click();
  await reqs.getByText('Single sign-on with SAML').waitFor({ state: 'detached' });
  // Bad input says so and keeps what was typed.
  await add.fill('QA-D77');
  await add.press('Enter');
  await page.getByText('There is no requirement "QA-D77" in this project.').waitFor();
  assert.equal(await add.inputValue(), 'QA-D77');
  await page.reload();
  await reqs.waitFor();
  assert.deepEqual(await reqs.locator('.record-tag').allInnerTexts(), ['QA-R1', 'QA-R3'], 'the order is kept');
  await page.locator('.history').getByText('took QA-R2 Single sign-on with SAML out of this document').waitFor();
  // The requirement knows where it is.
  await reqs.getByRole('link', { name: 'Audit log of permission changes' }).click();
  await page.getByRole('heading', { name: 'In requirement documents' }).waitFor();
  assert.match(
    await page.locator('section', { has: page.getByRole('heading', { name: 'In requirement documents' }) }).innerText(),
    /number 2 of\s+QA-RD1\s+Portal 2.4 requirements/,
  );

  // On a phone the run page fits the screen.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${h.running.url}/projects/QA/records/QA-TR1`);
  await page.locator('section.run-card .run-step').first().waitFor();
  assert.equal(await page.evaluate('document.documentElement.scrollWidth'), 390, 'the run page is wider than the phone');
  assert.deepEqual(problems, []);
});
