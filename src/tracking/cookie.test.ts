import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { newId } from '../ids.js';
import { parseMessageSync } from '../mail/mime/parseMessage.js';
import {
  bodyLine,
  bounceAddress,
  COOKIE_LENGTH,
  createCookie,
  extractCookieCandidates,
  MAX_CANDIDATES,
  messageIdFor,
  parseBounceAddress,
  parseCookie,
  plusAddress,
  stripCookies,
  subjectTag,
  subjectToken,
  subjectTokensIn,
  verifySubjectToken,
  type TrackedEmailRef,
  verifyCookie,
} from './cookie.js';

const secret = 'test-secret-0123456789abcdef0123456789abcdef';
const tracking = 'tracking@mail.example.com';
const domain = 'mailtrail.example.com';
const opts = { trackingAddress: tracking, messageIdDomain: domain };

function ref(): TrackedEmailRef {
  return { emailId: newId(), projectId: newId(), recordId: newId() };
}

/** A reply as a client would send it back: our carriers placed wherever that client keeps them. */
function reply(headers: string, body = 'Thanks, that fixed it.'): ReturnType<typeof parseMessageSync> {
  return parseMessageSync(Buffer.from(`From: Customer <c@customer.example>\r\n${headers}\r\n\r\n${body}`.replace(/\r?\n/g, '\r\n')));
}

/** What the inbound pipeline does with candidates: look each up, verify, take the first that passes. */
function resolve(candidates: { cookie: string; emailId: string }[], rows: Map<string, TrackedEmailRef>): TrackedEmailRef | undefined {
  for (const candidate of candidates) {
    const row = rows.get(candidate.emailId);
    if (row && verifyCookie(candidate.cookie, row, secret)) return row;
  }
  return undefined;
}

describe('known answers (a change here breaks every cookie already sent)', () => {
  // Computed once by this code and checked against an independent implementation of
  // docs/tracking-cookie.md (Python's hmac/hashlib: HKDF-SHA256 per RFC 5869, HMAC-SHA256,
  // first 10 / 5 bytes in Crockford base32). Never update these to make a test pass: a new
  // derivation needs a new version tag (mt2) read beside mt1.
  const kat = {
    secret: 'known-answer-secret-do-not-use',
    emailId: '01jexq5w6m8d2r4t6v8x0z2b4d',
    projectId: '01jexq5w6m9f3s5v7w9y1a3c5e',
    recordId: '01jexq5w6mah4j6m8p0r2t4w6y',
  };
  const katRef: TrackedEmailRef = { emailId: kat.emailId, projectId: kat.projectId, recordId: kat.recordId };
  const cookie = 'mt101jexq5w6m8d2r4t6v8x0z2b4dvhctnzx0ewg9xpdy';

  test('fixed secret, email, project and record give one fixed cookie', () => {
    assert.equal(createCookie(katRef, kat.secret), cookie);
    assert.equal(createCookie(katRef, Buffer.from(kat.secret, 'utf8')), cookie, 'a Buffer secret derives the same key');
    assert.equal(verifyCookie(cookie, katRef, kat.secret), true);
  });

  test('the short subject token of that cookie is fixed too', () => {
    assert.equal(subjectToken(cookie, kat.secret), 'yswpva96');
    assert.equal(subjectTag('DEMO-D42', subjectToken(cookie, kat.secret)), '[DEMO-D42 yswpva96]');
  });
});

describe('createCookie / verifyCookie', () => {
  test('format: mt1 + emailId + 16-character MAC, lower-case Crockford base32', () => {
    const r = ref();
    const cookie = createCookie(r, secret);
    assert.equal(cookie.length, COOKIE_LENGTH);
    assert.equal(COOKIE_LENGTH, 45);
    assert.match(cookie, /^mt1[0-9a-hjkmnp-tv-z]{42}$/);
    assert.ok(cookie.startsWith(`mt1${r.emailId}`));
    assert.equal(createCookie(r, secret), cookie, 'deterministic');
    assert.equal(createCookie(r, Buffer.from(secret)), cookie, 'string and Buffer secrets agree');
    assert.deepEqual(parseCookie(cookie), { cookie, emailId: r.emailId, mac: cookie.slice(29) });
  });

  test('verifies its own cookie, also case-folded and padded', () => {
    const r = ref();
    const cookie = createCookie(r, secret);
    assert.equal(verifyCookie(cookie, r, secret), true);
    assert.equal(verifyCookie(cookie.toUpperCase(), r, secret), true);
    assert.equal(verifyCookie(` ${cookie}\n`, r, secret), true);
  });

  test('a forged MAC fails', () => {
    const r = ref();
    const cookie = createCookie(r, secret);
    const last = cookie.at(-1) === '0' ? '1' : '0';
    assert.equal(verifyCookie(cookie.slice(0, -1) + last, r, secret), false);
    assert.equal(verifyCookie(`mt1${r.emailId}${'0'.repeat(16)}`, r, secret), false);
  });

  test('an altered emailId fails, even against the row it now names', () => {
    const a = ref();
    const b = ref();
    const cookie = createCookie(a, secret);
    const altered = `mt1${b.emailId}${cookie.slice(29)}`;
    assert.equal(verifyCookie(altered, b, secret), false);
    assert.equal(verifyCookie(altered, a, secret), false);
  });

  test('a cookie replayed against another project or record fails', () => {
    const r = ref();
    const cookie = createCookie(r, secret);
    assert.equal(verifyCookie(cookie, { ...r, projectId: newId() }, secret), false);
    assert.equal(verifyCookie(cookie, { ...r, recordId: newId() }, secret), false);
  });

  test('another secret, or garbage, fails without throwing', () => {
    const r = ref();
    const cookie = createCookie(r, secret);
    assert.equal(verifyCookie(cookie, r, 'another-secret'), false);
    assert.equal(verifyCookie(cookie, r, ''), false);
    for (const token of ['', 'mt1', 'DEMO-D42', cookie.slice(0, -1), `${cookie}0`, `mt2${cookie.slice(3)}`, `mt1${'i'.repeat(42)}`]) {
      assert.equal(verifyCookie(token, r, secret), false, token);
    }
    assert.equal(verifyCookie(cookie, { ...r, projectId: 'not-an-id' }, secret), false);
  });

  test('refuses ids that are not ours and an empty secret', () => {
    assert.throws(() => createCookie({ ...ref(), emailId: 'x' }, secret), /not a 26-character id/);
    assert.throws(() => createCookie(ref(), ''), /secret is empty/);
  });

  test('any single-character change fails (property)', () => {
    fc.assert(
      fc.property(fc.nat(COOKIE_LENGTH - 1), fc.constantFrom(...'0123456789abcdefghjkmnpqrstvwxyz'), (at, char) => {
        const r = ref();
        const cookie = createCookie(r, secret);
        const changed = cookie.slice(0, at) + char + cookie.slice(at + 1);
        assert.equal(verifyCookie(changed, r, secret), changed === cookie);
      }),
      { numRuns: 300 },
    );
  });
});

describe('carriers', () => {
  const r = ref();
  const cookie = createCookie(r, secret);

  test('Message-ID embeds the cookie on our domain', () => {
    assert.equal(messageIdFor(cookie, 'MailTrail.Example.com'), `<${cookie}@mailtrail.example.com>`);
    assert.throws(() => messageIdFor(cookie, 'bad domain'), /not a domain/);
    assert.throws(() => messageIdFor('DEMO-D42', domain), /not a tracking cookie/);
  });

  test('subject tag, body line, plus address and VERP address', () => {
    assert.equal(subjectTag('DEMO-D42', cookie), `[DEMO-D42 ${cookie}]`);
    assert.equal(subjectTag('[odd]\r\n', cookie), `[odd ${cookie}]`);
    const line = bodyLine(cookie);
    assert.equal(line.text, `Mailtrail ref: ${cookie}`);
    assert.match(line.html, new RegExp(`^<span [^>]*>Mailtrail ref: ${cookie}</span>$`));
    assert.equal(plusAddress(tracking, cookie), `tracking+${cookie}@mail.example.com`);
    assert.equal(bounceAddress(tracking, cookie), `tracking+bounce-${cookie}@mail.example.com`);
    // RFC 5321 4.5.3.1.1: local parts up to 64 octets
    assert.ok(plusAddress(tracking, cookie).split('@')[0]!.length <= 64);
    assert.ok(bounceAddress(tracking, cookie).split('@')[0]!.length <= 64);
  });

  test('VERP addresses parse back, case-folded, only for our mailbox when it is given', () => {
    const verp = bounceAddress(tracking, cookie);
    assert.equal(parseBounceAddress(verp, tracking), cookie);
    assert.equal(parseBounceAddress(`<${verp.toUpperCase()}>`, tracking), cookie);
    assert.equal(parseBounceAddress(verp), cookie);
    assert.equal(parseBounceAddress(verp, 'other@mail.example.com'), undefined);
    assert.equal(parseBounceAddress(plusAddress(tracking, cookie), tracking), undefined);
    assert.equal(parseBounceAddress('tracking+bounce-garbage@mail.example.com', tracking), undefined);
  });

  test('the short subject token: 8 characters, keyed, per cookie; the tag stays short', () => {
    const token = subjectToken(cookie, secret);
    assert.match(token, /^[0-9a-hjkmnp-tv-z]{8}$/);
    assert.equal(subjectToken(cookie.toUpperCase(), secret), token);
    assert.notEqual(subjectToken(cookie, `${secret}x`), token);
    assert.notEqual(subjectToken(createCookie(ref(), secret), secret), token);
    const tag = subjectTag('DEMO-D42', token);
    assert.equal(tag, `[DEMO-D42 ${token}]`);
    assert.ok(tag.length - '[DEMO-D42]'.length <= 10, 'at most 10 characters beyond the record key');
    assert.throws(() => subjectTag('DEMO-D42', 'not a token'), /not a subject token/);
    assert.ok(verifySubjectToken(token.toUpperCase(), cookie, secret));
    assert.equal(verifySubjectToken(token, createCookie(ref(), secret), secret), false);
  });

  test('subject tokens are read back beside their record tag, case-folded, each once', () => {
    const token = subjectToken(cookie, secret);
    assert.deepEqual(subjectTokensIn(`AW: RE: [demo-d42 ${token.toUpperCase()}] Login fails [DEMO-D42 ${token}]`), [{ recordTag: 'DEMO-D42', token }]);
    assert.deepEqual(subjectTokensIn(`[DEMO-TC7 ${token}]`), [{ recordTag: 'DEMO-TC7', token }]);
    // A bare tag, a word that is not a token, an old full cookie: no token.
    assert.deepEqual(subjectTokensIn('[DEMO-D42] Login fails'), []);
    assert.deepEqual(subjectTokensIn('[DEMO-D42 urgently] x'), []);
    assert.deepEqual(subjectTokensIn(`[DEMO-D42 ${cookie}] x`), []);
  });

  test('stripCookies leaves what people should see', () => {
    assert.equal(stripCookies(`RE: ${subjectTag('DEMO-D42', subjectToken(cookie, secret))} Login fails`), 'RE: [DEMO-D42] Login fails');
    assert.equal(stripCookies(`RE: ${subjectTag('DEMO-D42', cookie)} Login fails`), 'RE: [DEMO-D42] Login fails');
    assert.equal(stripCookies(`[${cookie}] Login fails`), 'Login fails');
    assert.equal(stripCookies(`see ${cookie.toUpperCase()} here`), 'see here');
  });
});

describe('extractCookieCandidates: round trips through every carrier', () => {
  const r = ref();
  const cookie = createCookie(r, secret);
  const rows = new Map([[r.emailId, r]]);
  const id = messageIdFor(cookie, domain);

  const cases: Array<[string, string, string | undefined, string]> = [
    [
      'In-Reply-To and References (RFC 5322 client)',
      `In-Reply-To: ${id}\nReferences: <root@elsewhere.example> ${id}\nSubject: Re: x`,
      undefined,
      'in-reply-to',
    ],
    ['References only, Exchange commas', `References: <root@elsewhere.example>,${id},<x@y.example>\nSubject: RE: x`, undefined, 'references'],
    ['References without angle brackets', `References: root@elsewhere.example ${id.slice(1, -1)}\nSubject: Re: x`, undefined, 'references'],
    ['subject only, upper-cased by the client', `Subject: AW: ${subjectTag('DEMO-D42', cookie).toUpperCase()} Login fails`, undefined, 'subject'],
    ['quoted plain-text body', 'Subject: Re: x', `Fixed.\n\n> Hello,\n> -- \n> ${bodyLine(cookie).text}\n`, 'text'],
    ['plus address in To, lower-cased by the server', `To: <${plusAddress(tracking, cookie).toUpperCase()}>\nSubject: Re: x`, undefined, 'to'],
    ['plus address in Cc', `To: someone@else.example\nCc: Tracker <${plusAddress(tracking, cookie)}>\nSubject: x`, undefined, 'cc'],
    ['Delivered-To added by the final MTA', `Delivered-To: ${plusAddress(tracking, cookie)}\nTo: ${tracking}\nSubject: x`, undefined, 'delivered-to'],
    ['X-Original-To added by Postfix', `X-Original-To: <${plusAddress(tracking, cookie)}>\nSubject: x`, undefined, 'x-original-to'],
  ];
  for (const [name, headers, body, source] of cases) {
    test(name, () => {
      const candidates = extractCookieCandidates(reply(headers, body), opts);
      assert.deepEqual(candidates[0], { cookie, emailId: r.emailId, source });
      assert.deepEqual(resolve(candidates, rows), r);
    });
  }

  test('HTML-only reply (Gmail quote, Outlook markup, zero-width characters)', () => {
    const html = `<div dir="ltr">Fixed.</div><div class="gmail_quote"><blockquote class="gmail_quote">Hello<br><div style="color:#888">${bodyLine(
      cookie,
    ).html.replace(cookie, `${cookie.slice(0, 20)}<wbr>${cookie.slice(20, 30)}&#8203;${cookie.slice(30)}`)}</div></blockquote></div>`;
    const msg = parseMessageSync(Buffer.from(`From: c@customer.example\r\nSubject: Re: x\r\nContent-Type: text/html; charset=utf-8\r\n\r\n${html}`));
    const candidates = extractCookieCandidates(msg, opts);
    assert.equal(candidates[0]?.cookie, cookie);
    assert.ok(['text', 'html'].includes(candidates[0]?.source ?? ''));
    assert.deepEqual(extractCookieCandidates({ ...msg, text: undefined }, opts)[0]?.source, 'html');
  });

  test('a cookie inside the quoted text of a forwarded mail is found, below header carriers', () => {
    const other = ref();
    const otherCookie = createCookie(other, secret);
    const forwarded = `FYI, see below.

---------- Forwarded message ---------
From: Support <support@example.com>
Date: Mon, 1 Jan 2024 at 10:00
Subject: ${subjectTag('DEMO-D7', otherCookie)} Printer broken
To: <alice@example.com>

Your printer ticket was updated.
--
${bodyLine(otherCookie).text}
`;
    const candidates = extractCookieCandidates(reply(`In-Reply-To: ${id}\nSubject: Fwd: printer`, forwarded), opts);
    assert.deepEqual(
      candidates.map((c) => [c.cookie, c.source]),
      [
        [cookie, 'in-reply-to'],
        [otherCookie, 'text'],
      ],
    );
  });

  test('trust order: headers, then subject, then body, then addresses; each cookie once', () => {
    const [a, b, c, d] = [ref(), ref(), ref(), ref()].map((x) => createCookie(x, secret));
    const msg = reply(
      `To: ${plusAddress(tracking, d!)}\nSubject: Re: ${subjectTag('DEMO-D1', b!)} ${subjectTag('DEMO-D1', a!)}\nReferences: ${messageIdFor(c!, domain)} ${messageIdFor(a!, domain)}`,
      `${bodyLine(c!).text}\n${bodyLine(b!).text}`,
    );
    assert.deepEqual(
      extractCookieCandidates(msg, opts).map((x) => [x.cookie, x.source]),
      [
        [a, 'references'],
        [c, 'references'],
        [b, 'subject'],
        [d, 'to'],
      ],
    );
  });

  test('a subject with only a bare record tag yields no candidate (Zammad #5064)', () => {
    const msg = reply('Subject: Re: [DEMO-D42] Login fails\nReferences: <D42@demo.example>', 'About DEMO-D42, ticket #42.');
    assert.deepEqual(extractCookieCandidates(msg, opts), []);
  });

  test('ids on other domains and VERP addresses are not reply candidates', () => {
    const msg = reply(`In-Reply-To: <${cookie}@attacker.example>\nTo: ${bounceAddress(tracking, cookie)}\nSubject: x`);
    assert.deepEqual(extractCookieCandidates(msg, opts), []);
  });

  test('a forged cookie is a candidate that does not resolve; the next one still can', () => {
    const forged = `mt1${r.emailId}${'z'.repeat(16)}`;
    const msg = reply(`In-Reply-To: <${forged}@${domain}>\nSubject: ${subjectTag('DEMO-D42', cookie)}`);
    const candidates = extractCookieCandidates(msg, opts);
    assert.deepEqual(
      candidates.map((c) => c.source),
      ['in-reply-to', 'subject'],
    );
    assert.deepEqual(resolve(candidates, rows), r);
    assert.equal(resolve(candidates.slice(0, 1), rows), undefined);
  });

  test(`at most ${MAX_CANDIDATES} candidates`, () => {
    const many = Array.from({ length: 50 }, () => messageIdFor(createCookie(ref(), secret), domain)).join(' ');
    assert.equal(extractCookieCandidates(reply(`References: ${many}`), opts).length, MAX_CANDIDATES);
  });
});
