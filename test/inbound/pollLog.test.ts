import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { createTrackingModule, pollOnce } from '../../src/inbound/index.js';
import { startTestApp } from '../support/app.js';
import { STORE_KINDS } from '../support/stores.js';
import { FakeMailbox } from './fakeMailbox.js';

/**
 * The demo polls every 3 seconds: an idle poll is logged at debug, and a poll that fetched
 * something leaves one summary line at info (issue 14: an idle server's log was a wall of noise).
 */
const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

for (const kind of STORE_KINDS) {
  describe(`poll log on ${kind}`, () => {
    test('an idle poll logs at debug only; one that fetched mail logs its counts at info', async (t) => {
      const box = new FakeMailbox();
      const h = await startTestApp(t, kind, { modules: [createTrackingModule({ pollOptions: { opener: box.opener } })] });
      if (!h) return;
      const put = await h.admin.put('/api/v1/admin/email/tracking', {
        protocol: 'pop3',
        host: 'mail.invalid',
        port: 110,
        security: 'none',
        username: 'tracking',
        password: 'secret-password',
        address: 'tracking@example.test',
        pollSeconds: 3600,
        deleteUntracked: false,
      });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      const lines: { level: string; msg: string; fetched?: number; kept?: number }[] = [];
      const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push({ ...JSON.parse(s), level: LEVELS[JSON.parse(s).level as number] }) });
      const ctx = { ...h.running.ctx, log };

      await pollOnce(ctx, { opener: box.opener });
      assert.deepEqual(
        lines.map((l) => [l.level, l.msg]),
        [['debug', 'tracking poll']],
      );

      lines.length = 0;
      box.add('From: someone@example.com\r\nTo: tracking@example.test\r\nSubject: hello\r\nMessage-ID: <log-1@example.com>\r\n\r\nno cookie here\r\n');
      await pollOnce(ctx, { opener: box.opener });
      const info = lines.filter((l) => l.level === 'info');
      assert.equal(info.length, 1, JSON.stringify(lines));
      assert.equal(info[0]!.msg, 'tracking poll');
      assert.equal(info[0]!.fetched, 1);
      assert.equal(info[0]!.kept, 1);
    });
  });
}
