import assert from 'node:assert/strict';
import { test } from 'node:test';
import { simpleParser } from 'mailparser';
import { composeReply, quoteHeader, quoteText } from '../../src/demo/mailClient.js';
import { readerHtml } from '../../src/demo/readerHtml.js';

const ORIGINAL = [
  'From: "Dana Reyes" <dana@demo.test>',
  'To: "Pat Partner" <pat@partner.test>, quinn@demo.test',
  'Cc: Lee <lee@partner.test>, pat@partner.test',
  'Subject: RE: Status',
  'Message-ID: <m2@demo.test>',
  'References: <m0@demo.test> <m1@demo.test>',
  'Date: Tue, 01 Dec 2026 09:05:00 +0000',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'First line',
  '',
  '> older quote',
  '-- ',
  'Dana',
  '',
].join('\r\n');

test('quoting keeps every line (the "-- " separator too) behind "> "', () => {
  assert.equal(quoteText('a\r\n\r\n> b\n-- \nsig\n\n'), '> a\n>\n> > b\n> -- \n> sig');
  assert.equal(quoteHeader(new Date('2026-12-01T09:05:00Z'), 'Dana <d@x.test>'), 'On Tue, 1 Dec 2026 at 09:05, Dana <d@x.test> wrote:');
});

test('a reply-all without Reply-To goes to From, copies everyone else once, and keeps "RE:" as is', async () => {
  const original = await simpleParser(ORIGINAL);
  const reply = composeReply(
    original,
    { name: 'Pat Partner', address: 'pat@partner.test' },
    { text: 'Sure.', replyAll: true },
    new Date('2026-12-02T00:00:00Z'),
  );
  assert.deepEqual(reply.to, [{ name: 'Dana Reyes', address: 'dana@demo.test' }]);
  assert.deepEqual(reply.cc, [{ address: 'quinn@demo.test' }, { name: 'Lee', address: 'lee@partner.test' }]);
  assert.equal(reply.subject, 'RE: Status');
  assert.equal(reply.inReplyTo, '<m2@demo.test>');
  assert.deepEqual(reply.references, ['<m0@demo.test>', '<m1@demo.test>', '<m2@demo.test>']);
  assert.equal(reply.text, 'Sure.\n\nOn Tue, 1 Dec 2026 at 09:05, Dana Reyes <dana@demo.test> wrote:\n> First line\n>\n> > older quote\n> -- \n> Dana\n');
  const plain = composeReply(original, { address: 'pat@partner.test' }, { text: 'x' }, new Date());
  assert.equal(plain.cc, undefined);
});

test("replying to one's own message goes to its recipients", async () => {
  const original = await simpleParser(ORIGINAL);
  const reply = composeReply(original, { address: 'dana@demo.test' }, { text: 'Ping' }, new Date());
  assert.deepEqual(reply.to, [{ name: 'Pat Partner', address: 'pat@partner.test' }, { address: 'quinn@demo.test' }]);
});

test('reader html: sanitized like tracked email, remote images only on request', () => {
  const dirty =
    '<p onclick="x()">Hi</p><img src="https://t.test/p.gif?a=1&b=2" alt="p"><img src="//t.test/q.gif"><img src="javascript:alert(1)"><script>alert(1)</script>';
  const blocked = readerHtml(dirty, { remoteImages: false });
  assert.equal(blocked.blockedImages, 2);
  assert.ok(!/ src="(https?:)?\/\//.test(blocked.html), blocked.html);
  assert.ok(!/onclick|script|javascript/.test(blocked.html), blocked.html);
  const shown = readerHtml(dirty, { remoteImages: true });
  assert.equal(shown.blockedImages, 0);
  assert.match(shown.html, /<img alt="p" src="https:\/\/t.test\/p.gif\?a=1&amp;b=2" \/>/);
  assert.match(shown.html, /<img src="https:\/\/t.test\/q.gif" \/>/);
  assert.ok(!shown.html.includes('javascript'));
});
