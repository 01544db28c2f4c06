/**
 * The outside security review, replayed: each finding of issue 13, reproduced against the real
 * `mailtrail start` process (demo mode) over real sockets, asserting the fixed behaviour. Each
 * test here failed against the server before its fix (see docs/security.md for the table).
 *
 * Run: npm test -- test/security/findings
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import nodemailer from 'nodemailer';
import { eventually, startLive, type Live } from './liveServer.js';

type Email = { id: string; direction: string; status: string; error?: string | null; flags: Record<string, unknown>; parentId: string | null };

function fixture(name: string, vars: Record<string, string>): string {
  const text = readFileSync(new URL(`../fixtures/emails/${name}.eml`, import.meta.url), 'latin1');
  return text.replace(/\{\{([A-Z_]+)\}\}/g, (_m, k: string) => vars[k] ?? '').replace(/\r?\n/g, '\r\n');
}

const box = (address: string) => `/api/v1/sandbox/mailboxes/${encodeURIComponent(address)}/messages`;

describe('security review findings against mailtrail start', () => {
  let live: Live;
  const cleanups: (() => Promise<void> | void)[] = [];
  let dana: string;
  let defectId: string;

  before(async () => {
    live = await startLive({ after: (fn: () => Promise<void> | void) => void cleanups.push(fn) });
    dana = await live.signIn('dana');
    const defects = await live.api<{ records: { id: string; title: string }[] }>('GET', '/api/v1/projects/DEMO/records?type=defect', { token: dana });
    defectId = defects.body.records.find((r) => r.title.startsWith('CSV export'))!.id;
  });
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });

  /** Dana sends a tracked email to the customer; resolves once it sits in the customer's sandbox mailbox. */
  async function trackedEmailToCustomer(text: string) {
    const queued = await live.api<{ id: string }>('POST', `/api/v1/projects/DEMO/records/${defectId}/emails`, { token: dana, body: { to: ['customer@demo.test'], text } });
    assert.equal(queued.status, 202, JSON.stringify(queued.body));
    const message = await eventually(async () => {
      const list = await live.api<{ messages: { id: string; subject: string }[] }>('GET', box('customer@demo.test'), { token: live.admin });
      const summary = list.body.messages.find((m) => !seen.has(m.id));
      if (!summary) return undefined;
      seen.add(summary.id);
      return (await live.api<{ id: string; messageId: string; subject: string }>('GET', `${box('customer@demo.test')}/${summary.id}`, { token: live.admin })).body;
    }, 'the tracked email in the customer mailbox');
    return { emailId: queued.body.id, message };
  }
  const seen = new Set<string>();

  async function thread(): Promise<Email[]> {
    return (await live.api<{ emails: Email[] }>('GET', `/api/v1/projects/DEMO/records/${defectId}/emails`, { token: dana })).body.emails;
  }

  test('7: a recipient forges a hard bounce with the cookie they received — filed as unverified, the email stays sent', async () => {
    const { emailId, message } = await trackedEmailToCustomer('Please confirm the export.');
    await eventually(async () => (await thread()).find((e) => e.id === emailId && e.status === 'sent'), 'the email sent');
    const forged = fixture('bounce_matched_by_original_message_id', {
      TRACKING: 'tracking@demo.test',
      CUSTOMER: 'customer@demo.test',
      SENDER: 'dana@demo.test',
      MESSAGE_ID: message.messageId.replace(/^<|>$/g, ''),
    });
    const smtp = nodemailer.createTransport({ host: '127.0.0.1', port: live.smtpPort, ignoreTLS: true });
    await smtp.sendMail({ envelope: { from: '', to: ['tracking@demo.test'] }, raw: forged });
    const filed = await eventually(async () => (await thread()).find((e) => e.direction === 'inbound' && e.parentId === emailId && e.flags.bounce), 'the forged bounce filed', 30_000, 250);
    assert.equal(filed.flags.bounceUnverified, true);
    const original = (await thread()).find((e) => e.id === emailId)!;
    assert.equal(original.status, 'sent', `the forged bounce changed the status: ${JSON.stringify(original)}`);
  });
});
