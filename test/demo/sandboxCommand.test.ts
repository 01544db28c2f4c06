import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import nodemailer from 'nodemailer';
import { MailboxStore } from '../../src/sandbox/index.js';
import { runSandboxCommand } from '../../src/sandbox/module.js';
import { testConfig } from '../support/app.js';

test('mailtrail sandbox: prints its ports, takes mail, stops on the signal', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'mailtrail-sandbox-cmd-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const config = testConfig({ database: { kind: 'sqlite', path: join(dataDir, 'unused.sqlite') }, dataDir });
  const stop = new AbortController();
  let output = '';
  let announce: () => void = () => {};
  const announced = new Promise<void>((resolve) => (announce = resolve));
  const done = runSandboxCommand(config, {
    signal: stop.signal,
    write: (text) => {
      output += text;
      announce();
    },
  });
  await announced;
  const smtp = Number(/SMTP\s+127\.0\.0\.1:(\d+)/.exec(output)?.[1]);
  assert.ok(smtp > 0, output);
  assert.match(output, /POP3\s+127\.0\.0\.1:\d+ .*any password/);
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: smtp, ignoreTLS: true });
  await transport.sendMail({ from: 'a@demo.test', to: 'b@demo.test', subject: 'hi', text: 'hello' });
  transport.close();
  assert.equal((await new MailboxStore({ dataDir }).list('b@demo.test')).length, 1);
  stop.abort();
  await done;
  assert.match(output, /stopped/);
});
