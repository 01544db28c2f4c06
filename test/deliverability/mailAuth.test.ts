import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, test, type TestContext } from 'node:test';
import { dkimSign } from 'mailauth';
import { createTrackingModule } from '../../src/inbound/index.js';
import { clientOf } from '../../src/inbound/mailAuth.js';
import { outboundModule } from '../../src/outbound/index.js';
import type { EmailRow } from '../../src/store/schema.js';
import { startTestApp, type ApiClient, type TestApp } from '../support/app.js';
import { STORE_KINDS, type StoreKind } from '../support/stores.js';
import { FakeMailbox } from '../inbound/fakeMailbox.js';

/**
 * Inbound SPF/DKIM/DMARC, offline: replies signed with a test key, a stub DNS resolver that
 * publishes the key, an SPF record and a DMARC policy for customer.example, and nothing for
 * plain.example. Pass, fail (a forged From of a known party: flagged unexpected) and none.
 */
const TRACKING = 'tracking@example.test';
const SENDER = 'dev@example.test';
const CUSTOMER = 'customer@customer.example';
const GOOD_IP = '192.0.2.10';
const BAD_IP = '203.0.113.66';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const publicB64 = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');

const DNS: Record<string, string[][]> = {
  'TXT sel1._domainkey.customer.example': [[`v=DKIM1; k=rsa; p=${publicB64}`]],
  'TXT customer.example': [[`v=spf1 ip4:${GOOD_IP} -all`]],
  'TXT _dmarc.customer.example': [['v=DMARC1; p=reject']],
};

const lookups: string[] = [];
async function stubResolver(name: string, rrtype: string): Promise<string[][]> {
  lookups.push(`${rrtype} ${name}`);
  const hit = DNS[`${rrtype} ${name.toLowerCase()}`];
  if (hit) return hit;
  throw Object.assign(new Error(`query${rrtype} ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
}

function reply(o: { from: string; ip: string; messageId: string; inReplyTo: string; text: string }): string {
  return [
    `Received: from mx.customer.example (mx.customer.example [${o.ip}]) by mail.example.test (Postfix) with ESMTPS id 4F1A; Wed, 2 Dec 2026 10:00:01 +0000`,
    `Return-Path: <${o.from}>`,
    `From: Customer <${o.from}>`,
    `To: ${TRACKING}`,
    'Subject: Re: Invoice totals',
    'Date: Wed, 02 Dec 2026 10:00:00 +0000',
    `Message-ID: <${o.messageId}>`,
    `In-Reply-To: <${o.inReplyTo}>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    o.text,
    '',
  ].join('\r\n');
}

async function signed(message: string, domain: string): Promise<string> {
  const { signatures } = await dkimSign(message, {
    signatureData: [{ signingDomain: domain, selector: 'sel1', privateKey: privatePem, canonicalization: 'relaxed/relaxed', algorithm: 'rsa-sha256' }],
  } as never);
  return signatures + message;
}

interface Ctx {
  h: TestApp;
  box: FakeMailbox;
  dev: ApiClient;
  original: EmailRow;
  messageId: string;
  poll(): Promise<void>;
  replies(): Promise<
    {
      id: string;
      from: string;
      flags: Record<string, unknown>;
      auth?: {
        spf: { result: string; clientIp?: string };
        dkim: { result: string; signatures: { domain: string }[] };
        dmarc: { result: string; policy?: string };
        fromDomain?: string;
      };
    }[]
  >;
}

async function setup(t: TestContext, kind: StoreKind): Promise<Ctx | undefined> {
  const box = new FakeMailbox();
  const h = await startTestApp(t, kind, { modules: [outboundModule(), createTrackingModule({ pollOptions: { opener: box.opener } })] });
  if (!h) return undefined;
  h.running.ctx.mailAuthResolver = stubResolver;
  const put = await h.admin.put('/api/v1/admin/email/tracking', {
    protocol: 'pop3',
    host: 'mail.invalid',
    port: 110,
    security: 'none',
    username: 'tracking',
    password: 'secret-password',
    address: TRACKING,
    pollSeconds: 60,
    deleteUntracked: false,
  });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  assert.equal((await h.admin.post('/api/v1/projects', { key: 'TRK', name: 'Tracking' })).status, 201);
  const dev = await h.user('dev', { project: 'TRK', group: 'Developers', email: SENDER });
  const record = await dev.post('/api/v1/projects/TRK/records', { type: 'defect', title: 'Totals are off by one' });
  const sent = await dev.post(`/api/v1/projects/TRK/records/${record.body.id}/emails`, {
    to: [CUSTOMER],
    subject: 'Invoice totals',
    text: 'Could you check the totals?',
  });
  assert.equal(sent.status, 202);
  const original = await h.running.ctx.store.db.selectFrom('emails').selectAll().where('id', '=', sent.body.id).executeTakeFirstOrThrow();
  return {
    h,
    box,
    dev,
    original,
    messageId: original.message_id!.replace(/^<|>$/g, ''),
    poll: async () => {
      const r = await h.admin.post('/api/v1/admin/email/tracking/poll');
      assert.equal(r.status, 200, JSON.stringify(r.body));
    },
    replies: async () =>
      ((await dev.get(`/api/v1/projects/TRK/records/${record.body.id}/emails`)).body.emails as { direction: string }[]).filter(
        (e) => e.direction === 'inbound',
      ) as never,
  };
}

test('the client address comes from the first Received hop that is not loopback', () => {
  const headers = new Map([
    [
      'received',
      [
        'from localhost (localhost [127.0.0.1]) by mail.example.test (amavis)',
        'from mx.customer.example (mx.customer.example [192.0.2.10]) by mail.example.test',
        'from forged.example ([198.51.100.1]) by x',
      ],
    ],
  ]);
  assert.deepEqual(clientOf({ headers } as never), { ip: '192.0.2.10', helo: 'mx.customer.example' });
  assert.equal(clientOf({ headers: new Map([['received', ['from localhost ([127.0.0.1]) by x']]]) } as never), undefined);
});

for (const kind of STORE_KINDS) {
  describe(`inbound SPF/DKIM/DMARC on ${kind}`, { timeout: 60_000 }, () => {
    test('pass: signed by the From domain from its SPF address; fail: the same known address forged from elsewhere is flagged unexpected; none: a domain that publishes nothing', async (t) => {
      const c = await setup(t, kind);
      if (!c) return;
      c.box.add(
        await signed(
          reply({ from: CUSTOMER, ip: GOOD_IP, messageId: 'pass@customer.example', inReplyTo: c.messageId, text: 'The totals are right now.' }),
          'customer.example',
        ),
      );
      // Signed, then the body changed on the way (or a forger reused a signature): DKIM fails, SPF fails.
      const tampered = (
        await signed(
          reply({ from: CUSTOMER, ip: BAD_IP, messageId: 'fail@customer.example', inReplyTo: c.messageId, text: 'Please pay to account 123.' }),
          'customer.example',
        )
      ).replace('account 123', 'account 999');
      c.box.add(tampered);
      c.box.add(reply({ from: 'someone@plain.example', ip: GOOD_IP, messageId: 'none@plain.example', inReplyTo: c.messageId, text: 'I was copied on this.' }));
      await c.poll();
      const replies = await c.replies();
      assert.equal(replies.length, 3);
      const byText = (id: string) => replies.find((r) => (r as unknown as { messageId: string }).messageId === `<${id}>`)!;

      const pass = byText('pass@customer.example');
      assert.equal(pass.auth?.dkim.result, 'pass');
      assert.deepEqual(
        pass.auth?.dkim.signatures.map((s) => s.domain),
        ['customer.example'],
      );
      assert.equal(pass.auth?.spf.result, 'pass');
      assert.equal(pass.auth?.spf.clientIp, GOOD_IP);
      assert.equal(pass.auth?.dmarc.result, 'pass');
      assert.equal(pass.auth?.fromDomain, 'customer.example');
      assert.equal(pass.flags.unexpectedSender, undefined, 'a known party, authenticated');

      const fail = byText('fail@customer.example');
      // mailauth reports a body that no longer matches its signature's hash as neutral (RFC 6376 6.3 leaves it open).
      assert.equal(fail.auth?.dkim.result, 'neutral');
      assert.equal(fail.auth?.spf.result, 'fail');
      assert.equal(fail.auth?.dmarc.result, 'fail');
      assert.equal(fail.auth?.dmarc.policy, 'reject');
      assert.equal(fail.flags.dmarcFailed, true);
      assert.equal(fail.flags.unexpectedSender, true, 'the From is a known party, but DMARC says it is not them');

      const none = byText('none@plain.example');
      assert.equal(none.auth?.dkim.result, 'none');
      assert.equal(none.auth?.dmarc.result, 'none');
      assert.equal(none.flags.dmarcFailed, undefined);
      assert.equal(none.flags.unexpectedSender, true, 'a stranger is unexpected anyway');
      assert.ok(lookups.includes('TXT _dmarc.plain.example'), 'DMARC was asked for the stranger domain');
    });

    test('MAILTRAIL_MAIL_AUTH=0: no check, no verdict, no DNS', async (t) => {
      const c = await setup(t, kind);
      if (!c) return;
      c.h.running.ctx.config.mailAuth = false;
      const before = lookups.length;
      c.box.add(
        await signed(reply({ from: CUSTOMER, ip: GOOD_IP, messageId: 'off@customer.example', inReplyTo: c.messageId, text: 'Fine.' }), 'customer.example'),
      );
      await c.poll();
      const [only] = await c.replies();
      assert.equal(only?.auth, undefined);
      assert.equal(lookups.length, before);
    });
  });
}
