/**
 * Screenshots of the main pages of the web client, for docs/screenshots/ (not part of npm test).
 *
 *   npx tsx scripts/screenshots.ts
 *
 * Builds the client, starts a server in demo mode (the DEMO project and the mail sandbox) on a
 * fresh SQLite database in a temporary folder, adds a few records and a real tracked
 * conversation through the public API (Dana's email, the customer's reply typed in the sandbox
 * and filed by the poller, its forward to Dana, Dana's answer), plus one unmatched message,
 * then photographs each page in Debian's Chromium at 1280×800 (and two pages at 390×844, as
 * on a phone). record.png (the README's picture) is the record with that conversation, like
 * record-email.png; record-overview.png is the record's Overview tab; record-tracker.png is the
 * demo's DEMO-D1 with its links, file and comments; search-results.png a search for a word of
 * the customer's reply; settings-workflows.png and settings-fields.png the defects' workflow and
 * the custom fields the seed adds (the main record has values for them).
 *
 * `MAILTRAIL_SHOTS=record-tracker,search-results npx tsx scripts/screenshots.ts` writes only
 * the named pictures (the others are taken but not saved).
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { Config } from '../src/config.js';
import { DEMO_CUSTOMER, DEMO_PASSWORD, DEMO_TRACKING_ADDRESS } from '../src/demo/index.js';
import { silentLogger } from '../src/log.js';
import { allModules } from '../src/modules.js';
import { startServer } from '../src/server.js';
import { CHROMIUM, ROOT, chromiumInstalled, ensureWebBuilt, freePort, launchChromium } from '../test/browser/browser.js';

const OUT = join(ROOT, 'docs', 'screenshots');
const ADMIN_PASSWORD = 'screenshot-admin-password';
/** README and docs stay light: every picture below this. */
const MAX_PNG_BYTES = 300 * 1024;

class Api {
  constructor(
    readonly base: string,
    readonly token: string,
  ) {}

  static async login(base: string, username: string, password: string): Promise<Api> {
    const res = await fetch(`${base}/api/v1/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
    if (!res.ok) throw new Error(`sign-in of ${username} failed: ${res.status}`);
    return new Api(base, ((await res.json()) as { token: string }).token);
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.base}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: (text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as T };
  }

  /** A call that must work (seeding): throws with the server's answer otherwise. */
  async must<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.call<T>(method, path, body);
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 15_000): Promise<T | undefined> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 250));
  }
  console.warn(`  (gave up waiting for ${what})`);
  return undefined;
}

interface Email {
  id: string;
  status: string;
  direction: string;
}

/** What the pictures need besides the demo's own data. */
interface Seeded {
  recordId: string;
  /** A record without email, for the "file unmatched mail on a record" dialog. */
  quietRecordTag: string;
}

/** More records than the demo's few, one real conversation by tracked email, one unmatched message. */
async function seed(base: string): Promise<Seeded> {
  const admin = await Api.login(base, 'admin', ADMIN_PASSWORD);
  const dana = await Api.login(base, 'dana', DEMO_PASSWORD);
  const add = (body: Record<string, unknown>) => admin.must<{ id: string; tag: string }>('POST', '/projects/DEMO/records', body);
  await add({ type: 'defect', title: 'Order confirmation email shows the wrong currency', assignee: 'dana', status: 'Fixed' });
  const quiet = await add({ type: 'defect', title: 'Coupon codes are case-sensitive', assignee: 'quinn' });
  await add({ type: 'defect', title: 'Newsletter signup accepts invalid addresses', status: 'Rejected' });
  const main = await add({
    type: 'defect',
    title: 'Checkout button does nothing on Safari 17',
    description:
      'Steps:\n1. Add any item to the cart\n2. Open the cart in Safari 17 on macOS\n3. Click "Checkout"\n\nExpected: the payment page opens.\nActual: nothing happens; the console shows "TypeError: undefined is not an object (evaluating \'cart.total\')".\n\nReported by a customer through support on Monday.',
    assignee: 'quinn',
  });
  // Besides the demo's Customer, Browser and Platforms: one field of each other kind.
  await admin.must('POST', '/projects/DEMO/fields', { recordType: 'defect', label: 'Affected orders', kind: 'number' });
  await admin.must('POST', '/projects/DEMO/fields', { recordType: 'defect', label: 'Fix due', kind: 'date' });
  await admin.must('POST', '/projects/DEMO/fields', { recordType: 'defect', label: 'Reviewer', kind: 'user' });
  await dana.must('PATCH', `/projects/DEMO/records/${main.id}`, {
    status: 'In progress',
    assignee: 'dana',
    priority: 'urgent',
    severity: 'major',
    fields: { customer: 'Casey Customer', browser: 'Safari', platforms: ['macOS', 'iOS'], affectedOrders: 37, reviewer: 'quinn' },
  });
  const thread = async () => (await dana.call<{ emails: Email[] }>('GET', `/projects/DEMO/records/${main.id}/emails`)).body.emails ?? [];

  // Dana asks the customer; the customer answers in the sandbox; the poller files the answer
  // and forwards it to Dana; Dana answers from the record.
  const sent = await dana.call<{ id: string }>('POST', `/projects/DEMO/records/${main.id}/emails`, {
    to: [DEMO_CUSTOMER.address],
    subject: 'Checkout on Safari: which version do you use?',
    text: 'Hello Casey,\n\nthank you for telling us about the checkout button. Which Safari version do you use (Safari → About Safari)? Does it also happen in a private window?\n\nBest regards,\nDana',
  });
  if (sent.status !== 202) throw new Error(`tracked email not sent: ${sent.status} ${JSON.stringify(sent.body)}`);
  await until('the email to leave the outbox', async () => ((await thread()).some((e) => e.status === 'sent') ? true : undefined));
  const box = `/sandbox/mailboxes/${encodeURIComponent(DEMO_CUSTOMER.address)}/messages`;
  const inbox = await until('the email in the sandbox', async () => {
    const res = await admin.call<{ messages: { id: string; subject: string }[] }>('GET', box);
    return res.body.messages?.find((m) => m.subject.includes('Safari'));
  });
  if (!inbox) throw new Error('the tracked email never reached the sandbox');
  await admin.must('POST', `${box}/${encodeURIComponent(inbox.id)}/reply`, {
    text: 'Hi Dana,\n\nit is Safari 17.2 on a MacBook Air. In a private window the button works!\n\nCasey',
  });
  const reply = await until('the reply to be filed and forwarded', async () => (await thread()).find((e) => e.direction === 'inbound' && e.status === 'forwarded'), 30_000);
  if (!reply) throw new Error('the reply was not filed and forwarded');
  const answer = await dana.must<{ id: string }>('POST', `/emails/${reply.id}/reply`, {
    text: 'Thanks, Casey! Then it is a stale cached script: we are shipping a fix today. Could you clear the website data for our shop once it is out?\n\nDana',
  });
  await until('the answer to be sent', async () => ((await thread()).find((e) => e.id === answer.id)?.status === 'sent' ? true : undefined));

  // Mail to the tracking address that names no tracked email waits for an administrator.
  await admin.must('POST', '/sandbox/send', {
    from: 'pat@customer.example',
    fromName: 'Pat Buyer',
    to: [DEMO_TRACKING_ADDRESS],
    subject: 'Coupon SPRING25 is refused',
    text: 'Hello, your shop says my coupon spring25 is invalid, SPRING25 works. Is that on purpose?\n\nPat',
  });
  await until('the unmatched message to be listed', async () => {
    const res = await admin.call<{ messages: { subject: string | null }[] }>('GET', '/admin/inbound');
    return res.body.messages?.find((m) => m.subject?.includes('SPRING25'));
  });
  return { recordId: main.id, quietRecordTag: quiet.tag };
}

const taken: string[] = [];

const only = process.env.MAILTRAIL_SHOTS ? new Set(process.env.MAILTRAIL_SHOTS.split(',').map((s) => s.trim())) : null;

async function shoot(page: Page, name: string, fullPage = false): Promise<void> {
  if (only && !only.has(name)) return;
  // Pages poll in the background, so the network is never idle for long: a short settle is enough.
  await page.waitForLoadState('networkidle', { timeout: 5000 }).catch(() => undefined);
  await page.waitForTimeout(400);
  const path = join(OUT, `${name}.png`);
  await page.screenshot({ path, fullPage });
  taken.push(path);
  console.log(`  docs/screenshots/${name}.png (${Math.round(statSync(path).size / 1024)} KB)`);
}

async function main(): Promise<void> {
  if (!chromiumInstalled()) throw new Error(`Chromium is not installed at ${CHROMIUM} (apt-get install chromium)`);
  ensureWebBuilt({ force: true });
  mkdirSync(OUT, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), 'mailtrail-shots-'));
  const config: Config = {
    port: 0,
    host: '127.0.0.1',
    dataDir,
    database: { kind: 'sqlite', path: join(dataDir, 'mailtrail.sqlite') },
    secret: 'screenshot-secret-0123456789abcdef',
    adminPassword: ADMIN_PASSWORD,
    demo: true,
    sandboxSmtpPort: await freePort(),
    sandboxPop3Port: await freePort(),
    logLevel: 'silent',
    workers: true,
  };
  const running = await startServer(config, allModules(config), { log: silentLogger });
  const browser = await launchChromium();
  try {
    const { recordId, quietRecordTag } = await seed(running.url);
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, reducedMotion: 'reduce' });
    const page = await context.newPage();
    page.on('pageerror', (err) => console.warn(`  page error: ${err.message}`));
    const go = (path: string) => page.goto(running.url + path);

    await go('/');
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await shoot(page, 'sign-in');

    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByLabel('Password').press('Enter');
    await page.locator('header.topbar').waitFor();

    await go('/projects/DEMO/defect');
    await page.getByRole('row', { name: /Checkout button/ }).waitFor();
    await shoot(page, 'records-list');

    await page.getByRole('button', { name: 'New defect' }).first().click();
    await page.getByRole('dialog').getByLabel('Title').fill('Wishlist loses items after signing in');
    await shoot(page, 'new-record');
    await page.keyboard.press('Escape');

    await go(`/projects/DEMO/records/${recordId}`);
    await page.getByRole('heading', { level: 1 }).waitFor();
    await page.locator('.latest-mail').waitFor();
    await shoot(page, 'record-overview');

    // The demo's CSV defect: links both ways, a file, the team's notes, the history of it all.
    await go('/projects/DEMO/records/DEMO-D1');
    await page.getByRole('list', { name: 'Links of DEMO-D1' }).waitFor();
    await page.getByRole('list', { name: 'Comments' }).locator('.mention').first().waitFor();
    await page.getByRole('list', { name: 'Files' }).waitFor();
    await shoot(page, 'record-tracker', true);

    // g, a word from the customer's reply, Enter.
    await page.keyboard.press('g');
    await page.keyboard.type('private window');
    await page.keyboard.press('Enter');
    await page.getByRole('list', { name: 'Search results' }).locator('mark').first().waitFor();
    await shoot(page, 'search-results');

    await go(`/projects/DEMO/records/${recordId}?tab=email`);
    await page.getByRole('tab', { name: /Email/, selected: true }).waitFor();
    await page.locator('article.mail-in .badge', { hasText: 'forwarded' }).waitFor();
    await shoot(page, 'record-email', true);
    // The README's picture: the record with its tracked conversation.
    if (!only || only.has('record-email')) {
      copyFileSync(join(OUT, 'record-email.png'), join(OUT, 'record.png'));
      console.log('  docs/screenshots/record.png (= record-email.png)');
    }

    await page.getByRole('button', { name: /New tracked email/ }).click();
    await page.getByRole('combobox', { name: 'To' }).fill('qui');
    await page.getByRole('option').first().click();
    const templates = page.getByLabel('Template');
    if (await templates.isEnabled()) {
      const names = await templates.locator('option').allTextContents();
      const pick = names.find((n) => /information/i.test(n)) ?? names[1];
      if (pick) await templates.selectOption({ label: pick });
    }
    await page.getByLabel('Message', { exact: true }).fill('Could you run the checkout test run on Safari 17.2 with an empty cache and tell us what the console says?');
    await page.locator('.preview-subject').first().waitFor({ timeout: 5000 }).catch(() => undefined);
    await shoot(page, 'compose');

    await go(`/sandbox/${encodeURIComponent(DEMO_CUSTOMER.address)}`);
    // Newest first: the last one is Dana's first email, the one the customer answered.
    const message = page.locator('.msg-link').last();
    await message.waitFor();
    await message.click();
    await page.locator('.sandbox-subject').waitFor();
    await shoot(page, 'sandbox');

    await go('/admin/sending');
    await page.getByRole('heading', { name: 'Email sending' }).waitFor();
    await shoot(page, 'admin-sending');

    await go('/admin/tracking');
    const account = page.getByRole('region', { name: 'Default tracking account' });
    await account.waitFor();
    await account.getByRole('button', { name: 'Test connection' }).click();
    await account.getByRole('status').filter({ hasText: 'Connected.' }).waitFor({ timeout: 30_000 });
    await account.getByRole('button', { name: 'Poll now' }).click();
    await account.getByRole('status').filter({ hasText: 'Polled.' }).waitFor({ timeout: 90_000 });
    await shoot(page, 'admin-tracking', true);

    await go('/admin/inbound');
    const unmatched = page.getByRole('row', { name: /SPRING25/ });
    await unmatched.waitFor();
    await unmatched.getByRole('button', { name: 'Attach…' }).click();
    const attach = page.getByRole('dialog', { name: 'Attach to a record' });
    await attach.getByLabel('Find the record').fill('coupon');
    await attach.getByRole('radio', { name: new RegExp(`^${quietRecordTag} `) }).check();
    await attach.getByLabel('File it').waitFor();
    await shoot(page, 'admin-unmatched');
    await page.keyboard.press('Escape');

    await go('/admin/users');
    await page.getByRole('row', { name: /Dana Reyes/ }).waitFor();
    await shoot(page, 'admin-users');

    await go('/projects/DEMO/settings/groups');
    await page.locator('table.matrix').waitFor();
    await page.getByRole('tab', { name: /^QA/ }).click();
    await shoot(page, 'project-settings-groups');

    await go('/projects/DEMO/settings/templates');
    await page.locator('.split-item').first().waitFor();
    await shoot(page, 'project-settings-templates');

    await go('/projects/DEMO/settings/rules');
    await page.getByText('Notification rules').first().waitFor();
    await shoot(page, 'project-settings-rules');

    await go('/projects/DEMO/settings/workflows');
    await page.getByRole('form', { name: 'Workflow of defects' }).waitFor();
    await shoot(page, 'settings-workflows', true);

    await go('/projects/DEMO/settings/fields');
    await page.getByRole('table', { name: 'Custom fields of defects' }).waitFor();
    await shoot(page, 'settings-fields');

    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, reducedMotion: 'reduce', storageState: await context.storageState() });
    const small = await phone.newPage();
    await small.goto(`${running.url}/projects/DEMO/defect`);
    await small.getByRole('row', { name: /Checkout button/ }).waitFor();
    await shoot(small, 'phone-records-list');
    await small.goto(`${running.url}/projects/DEMO/records/${recordId}?tab=email`);
    await small.getByRole('heading', { level: 1 }).waitFor();
    await shoot(small, 'phone-record-email');
  } finally {
    await browser.close();
    await running.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  const heavy = taken.filter((p) => statSync(p).size > MAX_PNG_BYTES);
  if (heavy.length > 0) throw new Error(`over ${MAX_PNG_BYTES / 1024} KB: ${heavy.join(', ')}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
