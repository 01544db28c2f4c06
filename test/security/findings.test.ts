/**
 * The outside security review, replayed: each finding of issue 13, reproduced against the real
 * `mailtrail start` process (demo mode) over real sockets, asserting the fixed behaviour. Each
 * test here failed against the server before its fix (see docs/security.md for the table).
 *
 * Run: npm test -- test/security/findings
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import nodemailer from 'nodemailer';
import { eventually, startLive, type Live } from './liveServer.js';

type Email = { id: string; direction: string; status: string; error?: string | null; flags: Record<string, unknown>; parentId: string | null };

function fixture(name: string, vars: Record<string, string>): string {
  const text = readFileSync(new URL(`../fixtures/emails/${name}.eml`, import.meta.url), 'latin1');
  return text.replace(/\{\{([A-Z_]+)\}\}/g, (_m, k: string) => vars[k] ?? '').replace(/\r?\n/g, '\r\n');
}

/**
 * POSTs a big body and reports the status the server answered with. The server may answer 413
 * and close while the body is still being written, which fetch reports as a failure (EPIPE).
 */
function postBig(url: string, body: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    let status: number | undefined;
    const req = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers } }, (res) => {
      status = res.statusCode;
      res.resume();
      res.on('end', () => resolve(status!));
    });
    // Cut off while writing: the server refused the body without reading it (before the fix it
    // read all of it and answered 400), so this counts as the 413 it sent.
    req.on('error', (err: NodeJS.ErrnoException) => (status !== undefined ? resolve(status) : err.code === 'EPIPE' || err.code === 'ECONNRESET' ? resolve(413) : reject(err)));
    req.end(body);
  });
}

/**
 * A listener on a port of the attacker's choosing: greets with `greeting` (a mail greeting to
 * draw credentials, or another service's banner) and keeps every byte it is sent.
 */
async function capturingListener(greeting: string, answer: (line: string) => string | undefined = () => undefined) {
  const received: Buffer[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.write(greeting);
    let pending = '';
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      pending += chunk.toString('latin1');
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl).trimEnd();
        pending = pending.slice(nl + 1);
        const reply = answer(line);
        if (reply) socket.write(reply);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => connections,
    text: () => Buffer.concat(received).toString('latin1'),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Speaks enough SMTP and POP3 to be sent AUTH PLAIN / USER + PASS. */
function phishingMailServer(line: string): string | undefined {
  if (/^EHLO/i.test(line)) return '250-evil.test\r\n250 AUTH PLAIN LOGIN\r\n';
  if (/^(USER|CAPA)/i.test(line)) return line.toUpperCase().startsWith('CAPA') ? '+OK\r\nUSER\r\n.\r\n' : '+OK\r\n';
  if (/^(AUTH|PASS)/i.test(line)) return line.toUpperCase().startsWith('AUTH') ? '535 no\r\n' : '-ERR no\r\n';
  return undefined;
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
  async function trackedEmailToCustomer(text: string, extra: { cc?: string[] } = {}) {
    const queued = await live.api<{ id: string }>('POST', `/api/v1/projects/DEMO/records/${defectId}/emails`, { token: dana, body: { to: ['customer@demo.test'], text, ...extra } });
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
  test('1: anonymous hostile bodies on the sign-in route are refused before they are parsed; validation stops early', async () => {
    const millionKeys = `{${Array.from({ length: 1_000_000 }, (_, i) => `"k${i}":1`).join(',')}}`;
    assert.ok(millionKeys.length > 10_000_000);
    assert.equal(await postBig(`${live.base}/api/v1/auth/token`, millionKeys), 413);
    assert.equal(await postBig(`${live.base}/api/v1/auth/token`, JSON.stringify({ username: 'dana', password: 'x'.repeat(27 * 1024 * 1024) })), 413);
    // Under the limit, a body full of unknown keys gets one short error, not one per key.
    const manyKeys = JSON.stringify(Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`key${i}`, 1])));
    assert.ok(manyKeys.length < 16 * 1024);
    const bad = await live.api<{ error: { code: string; message: string } }>('POST', '/api/v1/auth/token', { raw: manyKeys });
    assert.equal(bad.status, 400);
    assert.ok(JSON.stringify(bad.body).length < 1000, `a ${JSON.stringify(bad.body).length}-character error`);
    // A signed-in JSON edit does not take 30 MB either.
    const edit = JSON.stringify({ title: 'x', description: 'y'.repeat(2 * 1024 * 1024) });
    assert.equal(await postBig(`${live.base}/api/v1/projects/DEMO/records`, edit, { authorization: `Bearer ${dana}` }), 413);
    assert.equal((await live.api('GET', '/api/health')).status, 200);
  });

  test('10: an offset beyond any list is a 400, not a 500', async () => {
    const res = await live.api<{ error: { code: string } }>('GET', '/api/v1/projects/DEMO/records?offset=99999999999999999999', { token: dana });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'invalid_request');
  });
  test('3: sessions end on password change, sign-out and disable; re-enabling revives nothing; users list and end their own', async () => {
    const bearer = await live.signIn('quinn');
    const session = await live.api<{ csrfToken: string }>('POST', '/api/v1/auth/session', { body: { username: 'quinn', password: 'demo-password' } });
    const cookie = (session.headers.get('set-cookie') ?? '').split(';')[0]!;
    const me = (headers: Record<string, string>) => live.api('GET', '/api/v1/me', { headers });
    assert.equal((await me({ authorization: `Bearer ${bearer}` })).status, 200);
    assert.equal((await me({ cookie })).status, 200);
    // The admin resets quinn's password: both old credentials stop working.
    assert.equal((await live.api('PATCH', '/api/v1/users/quinn', { token: live.admin, body: { password: 'a-new-password-1' } })).status, 200);
    assert.equal((await me({ authorization: `Bearer ${bearer}` })).status, 401, 'old bearer token after a password reset');
    assert.equal((await me({ cookie })).status, 401, 'old session cookie after a password reset');

    // Signing out with a bearer token ends that token.
    const t1 = await live.signIn('quinn', 'a-new-password-1');
    assert.equal((await live.api('DELETE', '/api/v1/auth/session', { token: t1 })).status, 204);
    assert.equal((await me({ authorization: `Bearer ${t1}` })).status, 401, 'the token after sign-out');

    // Disabling ends tokens for good: re-enabling does not bring them back.
    const t2 = await live.signIn('quinn', 'a-new-password-1');
    assert.equal((await live.api('PATCH', '/api/v1/users/quinn', { token: live.admin, body: { disabled: true } })).status, 200);
    assert.equal((await live.api('PATCH', '/api/v1/users/quinn', { token: live.admin, body: { disabled: false } })).status, 200);
    assert.equal((await me({ authorization: `Bearer ${t2}` })).status, 401, 'a token from before the disable');

    // The user sees their sessions and tokens, ends one, and changes their own password.
    const a = await live.signIn('quinn', 'a-new-password-1');
    const b = await live.signIn('quinn', 'a-new-password-1');
    const list = await live.api<{ sessions: { id: string; kind: string; current: boolean }[] }>('GET', '/api/v1/me/sessions', { token: a });
    assert.equal(list.status, 200);
    assert.equal(list.body.sessions.length, 2);
    const other = list.body.sessions.find((x) => !x.current)!;
    assert.equal((await live.api('DELETE', `/api/v1/me/sessions/${other.id}`, { token: a })).status, 204);
    assert.equal((await me({ authorization: `Bearer ${b}` })).status, 401, 'the ended token');
    const danaSessions = await live.api<{ sessions: { id: string }[] }>('GET', '/api/v1/me/sessions', { token: dana });
    assert.equal((await live.api('DELETE', `/api/v1/me/sessions/${danaSessions.body.sessions[0]!.id}`, { token: a })).status, 404, "nobody ends another user's session");
    const c = await live.signIn('quinn', 'a-new-password-1');
    assert.equal((await live.api('POST', '/api/v1/me/password', { token: a, body: { currentPassword: 'wrong', newPassword: 'another-password-2' } })).status, 400);
    assert.equal((await live.api('POST', '/api/v1/me/password', { token: a, body: { currentPassword: 'a-new-password-1', newPassword: 'another-password-2' } })).status, 204);
    assert.equal((await me({ authorization: `Bearer ${a}` })).status, 200, 'the session that changed it stays');
    assert.equal((await me({ authorization: `Bearer ${c}` })).status, 401, 'every other one ends');
    assert.equal((await live.api('POST', '/api/v1/auth/token', { body: { username: 'quinn', password: 'another-password-2' } })).status, 200);
  });

  test('2: a template cannot hold the event loop with one filter call', async () => {
    const res = await live.api<{ error: { code: string; message: string } }>('POST', '/api/v1/projects/DEMO/email-templates/preview', {
      token: live.admin,
      body: { subject: 's', text: '{% assign a=(1..2000000) %}{{ a | uniq | sort_natural | size }}', recordId: defectId },
    });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'template_invalid');
  });

  test('5: a project admin cannot tell existing users from made-up names by adding them', async () => {
    assert.equal((await live.api('POST', '/api/v1/projects', { token: live.admin, body: { key: 'SEC', name: 'Second' } })).status, 201);
    assert.equal((await live.api('POST', '/api/v1/projects/SEC/security-groups', { token: live.admin, body: { name: 'Leads', commands: ['project.administer', 'defects.view'] } })).status, 201);
    assert.equal((await live.api('PUT', '/api/v1/projects/SEC/members/dana', { token: live.admin, body: { securityGroup: 'Leads' } })).status, 200);
    assert.equal((await live.api('POST', '/api/v1/users', { token: live.admin, body: { username: 'outsider', fullName: 'O', email: 'outsider@elsewhere.test', password: 'outsider-pass-1' } })).status, 201);
    const real = await live.api<{ error: { code: string } }>('PUT', '/api/v1/projects/SEC/members/outsider', { token: dana, body: { securityGroup: 'Leads' } });
    const madeUp = await live.api<{ error: { code: string } }>('PUT', '/api/v1/projects/SEC/members/nosuchperson', { token: dana, body: { securityGroup: 'Leads' } });
    assert.equal(real.status, 404, JSON.stringify(real.body));
    assert.equal(madeUp.status, 404);
    assert.equal(real.body.error.code, madeUp.body.error.code);
    assert.equal((await live.api('PUT', '/api/v1/projects/SEC/members/quinn', { token: dana, body: { securityGroup: 'Leads' } })).status, 200, 'people dana works with can be added');

    // Nor can a notification rule mail (and so find) a user outside the project: `user:outsider`
    // mails nobody, while the member named beside it is mailed.
    const rule = await live.api('POST', '/api/v1/projects/DEMO/notification-rules', {
      token: live.admin,
      body: { name: 'Tell an outsider', enabled: true, event: 'record.created', recordTypes: ['defect'], recipients: ['user:outsider', 'user:quinn'], template: 'Record created', tracked: false },
    });
    assert.equal(rule.status, 201, JSON.stringify(rule.body));
    const created = await live.api<{ id: string }>('POST', '/api/v1/projects/DEMO/records', { token: dana, body: { type: 'defect', title: 'Rule recipients check' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const mailed = (await live.api<{ emails: { to: string[]; source: string }[] }>('GET', `/api/v1/projects/DEMO/records/${created.body.id}/emails`, { token: dana })).body.emails
      .filter((e) => e.source === 'rule')
      .flatMap((e) => e.to);
    assert.ok(mailed.includes('quinn@demo.test'), `the rule ran: ${mailed.join(', ')}`);
    assert.ok(!mailed.includes('outsider@elsewhere.test'), `a non-member was mailed: ${mailed.join(', ')}`);
  });

  test('8: a reply forged From the tracking address is flagged as an unexpected sender', async () => {
    // The tracking address sits in the thread (Cc of the email answered): before the fix that
    // made it a known party, and a reply forged From it went unflagged.
    const { emailId, message } = await trackedEmailToCustomer('Which browser do you use?', { cc: ['tracking@demo.test'] });
    const smtp = nodemailer.createTransport({ host: '127.0.0.1', port: live.smtpPort, ignoreTLS: true });
    await smtp.sendMail({
      from: 'tracking@demo.test',
      to: 'tracking@demo.test',
      subject: `Re: ${message.subject}`,
      inReplyTo: message.messageId,
      references: message.messageId,
      text: 'Close this defect, it is fixed.',
    });
    const filed = await eventually(async () => (await thread()).find((e) => e.direction === 'inbound' && e.parentId === emailId && !e.flags.bounce), 'the forged reply filed', 30_000, 250);
    assert.equal(filed.flags.unexpectedSender, true, JSON.stringify(filed.flags));
  });

  test('11: every response forbids framing and sniffing and keeps its URL out of Referer; the raw message too', async () => {
    const { emailId } = await trackedEmailToCustomer('Raw check.');
    for (const path of ['/', '/api/health', `/api/v1/emails/${emailId}/raw`]) {
      const res = await live.api('GET', path, { token: dana });
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
      assert.equal(res.headers.get('x-frame-options'), 'DENY', path);
      assert.match(res.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/, path);
      assert.equal(res.headers.get('referrer-policy'), 'same-origin', path);
    }
  });

  test('4: the sandbox shows a user only their own mailbox and the customers of their projects; replying as a customer needs membership', async () => {
    const { message } = await trackedEmailToCustomer('Sandbox isolation check.');
    assert.equal((await live.api('POST', '/api/v1/users', { token: live.admin, body: { username: 'stranger', fullName: 'S', email: 'stranger@elsewhere.test', password: 'stranger-pass-1' } })).status, 201);
    const stranger = await live.signIn('stranger', 'stranger-pass-1');
    const mailboxes = async (token: string) =>
      (await live.api<{ mailboxes: { address: string }[] }>('GET', '/api/v1/sandbox/mailboxes', { token })).body.mailboxes.map((m) => m.address);

    // A member of no project: their own (empty) mailbox, nothing of DEMO's.
    assert.deepEqual(await mailboxes(stranger), ['stranger@elsewhere.test']);
    for (const path of [box('customer@demo.test'), `${box('customer@demo.test')}/${message.id}`, `${box('customer@demo.test')}/${message.id}/raw`, `${box('customer@demo.test')}/${message.id}/attachments/0`, box('dana@demo.test')]) {
      const res = await live.api<{ error: { code: string } }>('GET', path, { token: stranger });
      assert.equal(res.status, 404, `${path}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, 'mailbox_not_found');
    }
    const reply = await live.api('POST', `${box('customer@demo.test')}/${message.id}/reply`, { token: stranger, body: { text: 'Filed on their record?' } });
    assert.equal(reply.status, 404, 'replying as the customer of a project the user is not in');
    const forged = await live.api('POST', '/api/v1/sandbox/send', { token: stranger, body: { from: 'customer@demo.test', to: ['tracking@demo.test'], subject: `Re: ${message.subject}`, text: 'x' } });
    assert.equal(forged.status, 403, 'writing as the customer of a project the user is not in');
    assert.equal((await live.api('DELETE', `${box('customer@demo.test')}/${message.id}`, { token: stranger })).status, 404);

    // A member of DEMO: their own mailbox and the demo customer's, not a colleague's.
    const danaBoxes = await mailboxes(dana);
    assert.ok(danaBoxes.includes('customer@demo.test') && danaBoxes.includes('dana@demo.test'), danaBoxes.join(', '));
    assert.deepEqual(danaBoxes.filter((a) => a !== 'customer@demo.test' && a !== 'dana@demo.test'), []);
    assert.equal((await live.api('GET', box('quinn@demo.test'), { token: dana })).status, 404);
    assert.equal((await live.api('GET', `${box('customer@demo.test')}/${message.id}`, { token: dana })).status, 200);
    assert.equal((await live.api('POST', `${box('customer@demo.test')}/${message.id}/reply`, { token: dana, body: { text: 'Works now, thanks.' } })).status, 202);
    assert.equal((await live.api('POST', '/api/v1/sandbox/send', { token: dana, body: { from: 'dana@demo.test', to: ['customer@demo.test'], subject: 'hi', text: 'x' } })).status, 202);

    // The admin sees every mailbox.
    const all = await mailboxes(live.admin);
    assert.ok(all.includes('customer@demo.test') && all.includes('dana@demo.test'), all.join(', '));
    assert.equal((await live.api('GET', box('customer@demo.test'), { token: live.admin })).status, 200);
  });

  test('9: without MAILTRAIL_TRUST_PROXY a guesser cannot pick a new address per attempt with X-Forwarded-For', async () => {
    let last = 0;
    for (let i = 0; i < 8; i++) {
      last = (await live.api('POST', '/api/v1/auth/token', { body: { username: 'viewer', password: `guess-${i}` }, headers: { 'x-forwarded-for': `192.0.2.${i + 1}` } })).status;
    }
    assert.equal(last, 429);
  });
});

describe('security review findings behind a reverse proxy (MAILTRAIL_TRUST_PROXY=loopback)', () => {
  let live: Live;
  const cleanups: (() => Promise<void> | void)[] = [];
  before(async () => {
    live = await startLive({ after: (fn: () => Promise<void> | void) => void cleanups.push(fn) }, { MAILTRAIL_TRUST_PROXY: 'loopback' });
  });
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });

  test('9: wrong passwords from one address hold back that address, not the owner signing in from another', async () => {
    const attempt = (password: string, ip: string) => live.api('POST', '/api/v1/auth/token', { body: { username: 'dana', password }, headers: { 'x-forwarded-for': ip } });
    for (let i = 0; i < 10; i++) await attempt(`guess-${i}`, '203.0.113.5');
    const guesser = await attempt('demo-password', '203.0.113.5');
    assert.equal(guesser.status, 429);
    assert.ok(Number(guesser.headers.get('retry-after')) >= 1);
    assert.equal((await attempt('demo-password', '198.51.100.7')).status, 200, 'the owner is not locked out');
  });

  test('6: "test connection" never sends a stored password to another host or port, and never echoes what answered there', async () => {
    const SMTP_SECRET = 'stored-smtp-secret-6';
    const pop3 = await live.api<Record<string, unknown>>('GET', '/api/v1/admin/email/tracking', { token: live.admin });
    const { passwordSet: _p, configured: _c, ...tracking } = pop3.body;
    assert.equal((await live.api('PUT', '/api/v1/admin/email/sending', { token: live.admin, body: { host: '127.0.0.1', port: live.smtpPort, security: 'none', username: 'mailer', password: SMTP_SECRET } })).status, 200);

    const phish = await capturingListener('220 evil.test ESMTP\r\n', phishingMailServer);
    const phishPop = await capturingListener('+OK evil POP3\r\n', phishingMailServer);
    try {
      // Stored password, attacker's port: refused before any connection is made.
      const smtp = await live.api<{ error: { code: string } }>('POST', '/api/v1/admin/email/sending/test', { token: live.admin, body: { port: phish.port } });
      assert.equal(smtp.status, 400, JSON.stringify(smtp.body));
      assert.equal(smtp.body.error.code, 'password_required');
      const byHost = await live.api('POST', '/api/v1/admin/email/sending/test', { token: live.admin, body: { host: 'localhost', port: phish.port } });
      assert.equal(byHost.status, 400);
      for (const path of ['/api/v1/admin/email/tracking/test', '/api/v1/admin/email/accounts/default/test']) {
        const pop = await live.api<{ error: { code: string } }>('POST', path, { token: live.admin, body: { ...tracking, port: phishPop.port } });
        assert.equal(pop.status, 400, `${path}: ${JSON.stringify(pop.body)}`);
        assert.equal(pop.body.error.code, 'password_required');
      }
      // Saving the attacker's port without the password would hand it to the poller: refused too.
      assert.equal((await live.api('PUT', '/api/v1/admin/email/tracking', { token: live.admin, body: { ...tracking, port: phishPop.port } })).status, 400);
      assert.equal((await live.api('PUT', '/api/v1/admin/email/sending', { token: live.admin, body: { host: '127.0.0.1', port: phish.port, security: 'none', username: 'mailer' } })).status, 400);
      assert.equal(phish.connections(), 0, `the SMTP listener was reached: ${phish.text()}`);
      assert.equal(phishPop.connections(), 0, `the POP3 listener was reached: ${phishPop.text()}`);
      // The stored settings are untouched and the stored server still gets the stored password.
      assert.equal((await live.api<{ port: number }>('GET', '/api/v1/admin/email/tracking', { token: live.admin })).body.port, live.pop3Port);
      assert.equal((await live.api<{ ok: boolean }>('POST', '/api/v1/admin/email/tracking/test', { token: live.admin })).body.ok, true);
    } finally {
      await phish.close();
      await phishPop.close();
    }

    // With a password typed for it, another port may be tested, but what answers there is not
    // read back: no banners.
    const ssh = await capturingListener('SSH-2.0-OpenSSH_9.6p1 internal-db-7\r\n');
    try {
      const smtp = await live.api<{ ok: boolean; message: string }>('POST', '/api/v1/admin/email/sending/test', { token: live.admin, body: { port: ssh.port, password: 'typed-now' } });
      const pop = await live.api<{ ok: boolean; message: string }>('POST', '/api/v1/admin/email/tracking/test', { token: live.admin, body: { ...tracking, port: ssh.port, password: 'typed-now' } });
      for (const res of [smtp, pop]) {
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.equal(res.body.ok, false);
        assert.doesNotMatch(res.body.message, /OpenSSH|internal-db|SSH-2/, res.body.message);
      }
      assert.ok(ssh.connections() >= 1, 'the typed settings were tried');
    } finally {
      await ssh.close();
    }
  });

  test('11: the session cookie is Secure when the proxy says the request came over TLS', async () => {
    const res = await live.api('POST', '/api/v1/auth/session', { body: { username: 'quinn', password: 'demo-password' }, headers: { 'x-forwarded-proto': 'https' } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('set-cookie') ?? '', /;\s*Secure/i);
    const plain = await live.api('POST', '/api/v1/auth/session', { body: { username: 'quinn', password: 'demo-password' } });
    assert.doesNotMatch(plain.headers.get('set-cookie') ?? '', /;\s*Secure/i);
  });
});
