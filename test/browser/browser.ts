/**
 * Chromium for the browser tests and the screenshot script: Debian's chromium driven by
 * playwright-core (no downloaded browser), and the built web client the server serves.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { requirePeer, type PeerProbe } from '../support/peers.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CHROMIUM = process.env.MAILTRAIL_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Where a test saves a screenshot named `name`: MAILTRAIL_SCREENSHOTS_DIR (docs/screenshots to
 * refresh the docs' images), else a temporary folder, so `npm test` leaves the checkout as it was.
 */
export function screenshotPath(name: string): string {
  const dir = process.env.MAILTRAIL_SCREENSHOTS_DIR ?? (shotsDir ??= mkdtempSync(join(tmpdir(), 'mailtrail-shots-')));
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}
let shotsDir: string | undefined;

// Headless on a machine without a network: no background traffic, no first-run work.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function chromiumInstalled(): boolean {
  return existsSync(CHROMIUM);
}

export const chromiumProbe: PeerProbe = { check: chromiumInstalled, hint: `no browser at ${CHROMIUM} (apt-get install chromium)` };

/** requirePeer for Chromium: skips locally, fails under CI=true. */
export function requireChromium(t: TestContext): Promise<boolean> {
  return requirePeer(t, 'Chromium', chromiumProbe);
}

/** The newest modification time of the client's sources (web/src, index.html, the Vite config). */
function newestSource(): number {
  let newest = 0;
  const visit = (path: string) => {
    const st = statSync(path);
    if (st.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
    else newest = Math.max(newest, st.mtimeMs);
  };
  for (const p of ['web/src', 'web/index.html', 'web/vite.config.ts']) if (existsSync(ROOT + p)) visit(ROOT + p);
  return newest;
}

/**
 * The server serves web/dist only if it exists when the server starts: build it first when it is
 * missing or older than the sources (a stale build would test yesterday's client).
 */
export function ensureWebBuilt(opts: { force?: boolean } = {}): void {
  const index = `${ROOT}web/dist/index.html`;
  if (!opts.force && existsSync(index) && statSync(index).mtimeMs >= newestSource()) return;
  const res = spawnSync('npx', ['vite', 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], { cwd: ROOT, stdio: 'inherit', env: process.env });
  if (res.status !== 0) throw new Error(`building the web client failed (exit ${res.status ?? res.signal ?? 'unknown'})`);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/**
 * A port free right now, for the mail sandbox of a demo server: demo mode writes the sandbox
 * ports into the server's email settings, so they must be real ports, not 0.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * A context of its own (1280×860) signed in as `username` at `path`: each person of a test gets
 * one. The test fails if the page throws.
 */
export async function signedInPage(t: TestContext, browser: Browser, baseUrl: string, username: string, password: string, path = '/'): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  t.after(() => context.close());
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(err.message));
  t.after(() => assert.deepEqual(problems, [], 'the page threw'));
  await page.goto(baseUrl + path);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByLabel('Password').press('Enter');
  await page.locator('header.topbar').waitFor();
  return page;
}
