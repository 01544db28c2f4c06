import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { newId } from '../ids.js';
import { parseMessageSync } from '../mail/mime/parseMessage.js';
import { classify, LOOP_HEADER, normalizeSubject } from './classify.js';
import { bounceAddress, createCookie } from './cookie.js';

function message(headers: string, body = 'Hello there.'): ReturnType<typeof parseMessageSync> {
  return parseMessageSync(Buffer.from(`${headers}\n\n${body}`.replace(/\r?\n/g, '\r\n')));
}

const person = 'From: Alice <alice@example.com>\nTo: tracking@mail.example.com\nSubject: Re: [DEMO-D42] Login fails';

describe('classify: normal mail', () => {
  test('a person replying is normal', () => {
    assert.deepEqual(classify(message(person)), { kind: 'normal' });
  });

  test('X-Auto-Response-Suppress is not a sign of automation (Outlook sets it on ordinary mail)', () => {
    assert.deepEqual(classify(message(`${person}\nX-Auto-Response-Suppress: All`)), { kind: 'normal' });
  });

  test('Auto-Submitted: no and Precedence: first-class are normal', () => {
    assert.deepEqual(classify(message(`${person}\nAuto-Submitted: no\nPrecedence: first-class`)), { kind: 'normal' });
  });

  test('a subject that merely talks about an absence is normal', () => {
    for (const subject of ['Re: Out of office plans for Friday', 'Out of office plans', 'Automatic replies are annoying', 'Autosvarsfunktion']) {
      assert.deepEqual(classify(message(`From: a@example.com\nSubject: ${subject}`)), { kind: 'normal' }, subject);
    }
  });

  test('a person quoting an error message further down is normal', () => {
    const body = `Hi,\n\nI tried to write to Bob and got the message below, can you check his address?\n${'\nblah blah'.repeat(40)}\n\n> This is the qmail-send program at mx.example.com.\n> <bob@example.org>: 550 5.1.1 user unknown`;
    assert.deepEqual(classify(message(person, body)), { kind: 'normal' });
  });
});

describe('classify: auto-replies', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['our own loop header', `${person}\n${LOOP_HEADER}: 01j9`, /^loop: X-Mailtrail-Loop/],
    ['Auto-Submitted: auto-replied', `${person}\nAuto-Submitted: auto-replied`, /^auto_submitted: auto-replied$/],
    ['Auto-Submitted: auto-generated with a comment', `${person}\nAuto-Submitted: auto-generated (vacation)`, /^auto_submitted: auto-generated$/],
    ['X-Autoreply: yes', `${person}\nX-Autoreply: yes`, /^autoreply_header: x-autoreply$/],
    ['X-Autorespond', `${person}\nX-Autorespond: Auto reply`, /^autoreply_header: x-autorespond$/],
    ['Precedence: bulk', `${person}\nPrecedence: bulk`, /^precedence: bulk$/],
    ['Precedence: junk', `${person}\nPrecedence: junk`, /^precedence: junk$/],
    ['Precedence: list', `${person}\nPrecedence: list`, /^precedence: list$/],
    ['Precedence: auto_reply', `${person}\nPrecedence: auto_reply`, /^precedence: auto_reply$/],
    ['Return-Path: <>', `Return-Path: <>\n${person}`, /^null_return_path/],
    ['mailer-daemon sender', 'From: MAILER-DAEMON@mx.example.com\nSubject: hello', /^sender: MAILER-DAEMON@/],
    ['postmaster sender', 'From: Postmaster <postmaster@example.com>\nSubject: hello', /^sender: postmaster@/],
    ['noreply sender', 'From: Shop <noreply@shop.example>\nSubject: Your order', /^sender: noreply@/],
    ['no-reply sender', 'From: no-reply@shop.example\nSubject: Your order', /^sender: no-reply@/],
    ['do-not-reply sender', 'From: do-not-reply@shop.example\nSubject: Your order', /^sender: do-not-reply@/],
  ];
  for (const [name, headers, reason] of cases) {
    test(name, () => {
      const result = classify(message(headers));
      assert.equal(result.kind, 'auto_reply');
      assert.match(result.kind === 'auto_reply' ? result.reason : '', reason);
    });
  }

  test('the loop header constant is the one outbound mail carries', () => {
    assert.equal(LOOP_HEADER, 'X-Mailtrail-Loop');
  });

  test('out-of-office subjects in many languages', () => {
    for (const subject of [
      'Out of Office: Login fails',
      'Out of Office AutoReply: Login fails',
      'Automatic reply: Login fails',
      'Auto reply: Login fails',
      'AutoReply: Login fails',
      'Auto: Login fails',
      'Abwesenheitsnotiz: Login fails',
      'Automatische Antwort: Login fails',
      'Réponse automatique : Login fails',
      'Respuesta automática: Login fails',
      'Risposta automatica: Login fails',
      'Automatisch antwoord: Login fails',
      'Autosvar: Login fails',
      'Automatisk svar: Login fails',
      'Automaattinen vastaus: Login fails',
      'Resposta automática: Login fails',
      'Odpowiedź automatyczna: Login fails',
      'Otomatik yanıt: Login fails',
      'Автоматический ответ: Login fails',
      '自動応答: Login fails',
      '自动回复：Login fails',
      '자동 응답: Login fails',
    ]) {
      const result = classify(message(`From: bob@example.com\nSubject: =?utf-8?B?${Buffer.from(subject).toString('base64')}?=`));
      assert.equal(result.kind, 'auto_reply', subject);
      assert.match(result.kind === 'auto_reply' ? result.reason : '', /^subject: /);
    }
  });

  test('read receipts and abuse complaints are automatic, not bounces', () => {
    const mdn = message(
      'From: alice@example.com\nSubject: Read: x\nContent-Type: multipart/report; report-type=disposition-notification; boundary=b',
      '--b\nContent-Type: text/plain\n\nYour message was read.\n--b\nContent-Type: message/disposition-notification\n\nDisposition: manual-action/MDN-sent-manually; displayed\n--b--',
    );
    assert.match(JSON.stringify(classify(mdn)), /disposition_notification/);
    const arf = message(
      'From: abuse@isp.example\nSubject: complaint\nContent-Type: multipart/report; report-type=feedback-report; boundary=b',
      '--b\nContent-Type: text/plain\n\nThis is a spam report.\n--b\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\n--b--',
    );
    assert.match(JSON.stringify(classify(arf)), /feedback_report/);
  });
});

describe('classify: bounces', () => {
  const cookie = createCookie({ emailId: newId(), projectId: newId(), recordId: newId() }, 'secret');
  const verp = bounceAddress('tracking@mail.example.com', cookie);

  function dsn(action: string, status: string, extra = ''): ReturnType<typeof parseMessageSync> {
    return message(
      `Return-Path: <>\nFrom: Mail Delivery System <MAILER-DAEMON@mx.example.com>\nTo: ${verp}\nSubject: Undelivered Mail Returned to Sender\nAuto-Submitted: auto-replied\nContent-Type: multipart/report; report-type=delivery-status; boundary="r"`,
      `--r
Content-Type: text/plain

This is the mail system at host mx.example.com.

<gone@example.org>: host mx.example.org said: 550 5.1.1 <gone@example.org>: Recipient address rejected

--r
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; gone@example.org
Original-Recipient: rfc822;gone@example.org
Action: ${action}
Status: ${status}
Diagnostic-Code: smtp; 550 5.1.1 <gone@example.org>: Recipient address
    rejected${extra}

--r
Content-Type: text/rfc822-headers

From: alice@example.com
Message-ID: <${cookie}@mailtrail.example.com>
Subject: [DEMO-D42 ${cookie}] Login fails

--r--`,
    );
  }

  test('an RFC 3464 DSN with 5.x.x is a hard bounce, checked before its empty Return-Path', () => {
    assert.deepEqual(classify(dsn('failed', '5.1.1')), {
      kind: 'bounce',
      hard: true,
      status: '5.1.1',
      recipient: 'gone@example.org',
      diagnostic: '550 5.1.1 <gone@example.org>: Recipient address rejected',
      verpCookie: cookie,
      originalMessageId: `${cookie}@mailtrail.example.com`,
    });
  });

  test('4.x.x and delayed are soft', () => {
    const delayed = classify(dsn('delayed', '4.2.2'));
    assert.equal(delayed.kind, 'bounce');
    assert.equal(delayed.kind === 'bounce' && delayed.hard, false);
    assert.equal(delayed.kind === 'bounce' && delayed.status, '4.2.2');
  });

  test('a DSN that reports only successes is a delivery report, not a bounce', () => {
    const result = classify(dsn('delivered', '2.0.0'));
    assert.deepEqual(result, { kind: 'auto_reply', reason: 'delivery_report: delivered' });
  });

  test('the VERP cookie is only taken from our mailbox when the tracking address is given', () => {
    const result = classify(dsn('failed', '5.1.1'), { trackingAddress: 'other@mail.example.com' });
    assert.equal(result.kind === 'bounce' ? result.verpCookie : 'x', undefined);
  });

  const textBounces: Array<[string, string, string, Partial<{ hard: boolean; status: string; recipient: string }>]> = [
    [
      'qmail',
      'From: MAILER-DAEMON@mx.example.jp\nSubject: failure notice',
      `Hi. This is the qmail-send program at mx.example.jp.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<kijitora@example.org>:
192.0.2.1 does not like recipient.
Remote host said: 550 5.1.1 <kijitora@example.org>... User Unknown
Giving up on 192.0.2.1.

--- Below this line is a copy of the message.

Message-ID: <orig@example.jp>
Subject: hello`,
      { hard: true, status: '5.1.1', recipient: 'kijitora@example.org' },
    ],
    [
      'Exim',
      'From: Mail Delivery System <Mailer-Daemon@mx.example.net>\nSubject: Mail delivery failed: returning message to sender\nAuto-Submitted: auto-replied',
      `This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  neko@example.org
    SMTP error from remote mail server after RCPT TO:<neko@example.org>:
    550 No such user here`,
      { hard: true, recipient: 'neko@example.org' },
    ],
    [
      'Exim delay warning',
      'From: Mail Delivery System <Mailer-Daemon@mx.example.net>\nSubject: Warning: message 1abc delayed 24 hours\nAuto-Submitted: auto-replied',
      `This message was created automatically by mail delivery software.
A message that you sent has not yet been delivered to one or more of its
recipients after more than 24 hours on the queue on mx.example.net.

  neko@example.org
    host mx.example.org [192.0.2.2]: 451 Temporary local problem`,
      { hard: false, recipient: 'neko@example.org' },
    ],
    [
      'Postfix without DSN',
      'From: MAILER-DAEMON@mail.example.com (Mail Delivery System)\nSubject: Undelivered Mail Returned to Sender',
      `This is the Postfix program at host mail.example.com.

I'm sorry to have to inform you that the message returned
below could not be delivered to one or more destinations.

<user@example.net>: host mx.example.net[192.0.2.3] said: 552 5.2.2 Mailbox full (in reply to RCPT TO command)`,
      { hard: true, status: '5.2.2', recipient: 'user@example.net' },
    ],
    [
      'Exchange 2003 NDR text',
      'From: postmaster@example.com\nSubject: Undeliverable: Login fails',
      `Your message

  To:      kijitora@example.com
  Subject: Login fails
  Sent:    Thu, 29 Apr 2010 00:00:00 +0000

did not reach the following recipient(s):

kijitora@example.com on Thu, 29 Apr 2010 00:00:01 +0000
    The e-mail account does not exist at the organization this message was sent to.
    <mx.example.com #5.1.1>`,
      { hard: true, status: '5.1.1', recipient: 'kijitora@example.com' },
    ],
    [
      'Office 365 text',
      'From: Microsoft Outlook <postmaster@example.onmicrosoft.com>\nSubject: Undeliverable: Login fails',
      `Delivery has failed to these recipients or groups:

nobody@example.org<mailto:nobody@example.org>
The email address you entered couldn't be found.

Diagnostic information for administrators:
Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'`,
      { hard: true, status: '5.1.10', recipient: 'nobody@example.org' },
    ],
  ];
  for (const [name, headers, body, expected] of textBounces) {
    test(`${name} bounce without RFC 3464 parts`, () => {
      const result = classify(message(headers, body));
      assert.equal(result.kind, 'bounce', JSON.stringify(result));
      for (const [key, value] of Object.entries(expected)) {
        assert.equal((result as unknown as Record<string, unknown>)[key], value, key);
      }
    });
  }

  test('the original Message-ID is found in a text bounce that pastes the original', () => {
    const result = classify(message(textBounces[0]![1], textBounces[0]![2]));
    assert.equal(result.kind === 'bounce' ? result.originalMessageId : '', 'orig@example.jp');
  });

  test('an out-of-office reply about an "Undeliverable" subject is still an auto-reply', () => {
    const result = classify(message('From: bob@example.com\nAuto-Submitted: auto-replied\nSubject: Automatic reply: Undeliverable parcel', 'I am away.'));
    assert.equal(result.kind, 'auto_reply');
  });
});

describe('normalizeSubject', () => {
  const cases: Array<[string, string]> = [
    ['Re: Login fails', 'Login fails'],
    ['RE: RE: Re: Login fails', 'Login fails'],
    ['Re[2]: Login fails', 'Login fails'],
    ['Re(3): Login fails', 'Login fails'],
    ['Re^2: Login fails', 'Login fails'],
    ['AW: WG: Login fails', 'Login fails'],
    ['SV: VS: Login fails', 'Login fails'],
    ['Antw: Login fails', 'Login fails'],
    ['Antwort: Login fails', 'Login fails'],
    ['TR : Réf. : Login fails', 'Login fails'],
    ['Fwd: FW: Fw: Login fails', 'Login fails'],
    ['RV: RE: Login fails', 'Login fails'],
    ['Odp: PD: Login fails', 'Login fails'],
    ['Ynt: İLT: Login fails', 'Login fails'],
    ['回复：答复: 转发: Login fails', 'Login fails'],
    ['Отв: Пересл: Login fails', 'Login fails'],
    ['ΑΠ: ΣΧΕΤ: Login fails', 'Login fails'],
    ['Re:  [DEMO-D42]   Login   fails ', '[DEMO-D42] Login fails'],
    ['[DEMO-D42] Re: Login fails', '[DEMO-D42] Re: Login fails'],
    ['Ref: invoice 12', 'Ref: invoice 12'],
    ['Reminder: invoice', 'Reminder: invoice'],
    ['Review: design', 'Review: design'],
    ['Resolved: crash on start', 'Resolved: crash on start'],
    ['', ''],
  ];
  for (const [input, expected] of cases) {
    test(JSON.stringify(input), () => assert.equal(normalizeSubject(input), expected));
  }
});

describe('classify: robustness', () => {
  test('never throws on arbitrary headers and bodies', () => {
    const header = fc.constantFrom(
      'Return-Path: <>',
      'Auto-Submitted: auto-replied',
      'Precedence: bulk',
      'From: MAILER-DAEMON',
      'From: <>',
      'Content-Type: multipart/report; report-type=delivery-status; boundary=b',
      'Content-Type: multipart/report',
      'Subject: Undeliverable:',
      'To: x+bounce-mt1@example.com',
    );
    fc.assert(
      fc.property(fc.array(header, { maxLength: 5 }), fc.string({ maxLength: 400 }), (headers, body) => {
        const result = classify(message(['X-Test: 1', ...headers].join('\n'), `--b\nContent-Type: message/delivery-status\n\n${body}\n--b--`));
        assert.ok(['bounce', 'auto_reply', 'normal'].includes(result.kind));
      }),
      { numRuns: 300 },
    );
  });
});
