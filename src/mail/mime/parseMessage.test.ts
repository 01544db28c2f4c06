import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseMessage, parseMessageSync } from './parseMessage.js';
import { UnparseableMessageError, type ParsedMessage } from './parsedMessage.js';

const crlf = (text: string): Buffer => Buffer.from(text.replace(/\r?\n/g, '\r\n'), 'utf8');

function codes(problems: string[]): string[] {
  return problems.map((p) => p.slice(0, p.indexOf(':')));
}

describe('parseMessage: headers', () => {
  test('reads addresses, ids, date and decoded subject of a plain message', async () => {
    const msg = await parseMessage(
      crlf(`From: "Doe, John" <john@example.com>
To: =?utf-8?Q?J=C3=B5geva?= <a@example.com>, Team: b@example.com, c@example.com;
Cc: d@example.com (Dee)
Reply-To: <replies@example.com>
Subject: =?utf-8?B?SGVsbG8g4pyT?= =?utf-8?Q?_w=C3=B6rld?=
Message-ID: <abc.123@mail.example.com>
Date: Thu, 29 Apr 2021 23:34:45 +0900
Received: from a by b
Received: from c
 by d

Body line
`),
    );
    assert.deepEqual(msg.from, { name: 'Doe, John', address: 'john@example.com' });
    assert.deepEqual(msg.to, [{ name: 'Jõgeva', address: 'a@example.com' }, { address: 'b@example.com' }, { address: 'c@example.com' }]);
    assert.deepEqual(msg.cc, [{ name: 'Dee', address: 'd@example.com' }]);
    assert.deepEqual(msg.replyTo, [{ address: 'replies@example.com' }]);
    assert.equal(msg.subject, 'Hello ✓ wörld');
    assert.equal(msg.messageId, 'abc.123@mail.example.com');
    assert.equal(msg.date?.toISOString(), '2021-04-29T14:34:45.000Z');
    assert.equal(msg.text, 'Body line\n');
    assert.equal(msg.html, undefined);
    assert.deepEqual(msg.attachments, []);
    assert.deepEqual(msg.problems, []);
  });

  test('keeps every header occurrence under a lower-case name, unfolded and decoded', () => {
    const msg = parseMessageSync(
      crlf(`Subject: =?iso-8859-1?Q?Caf=E9?=
Received: from a by b
Received: from c
\tby d
X-Custom: one
X-CUSTOM: two

x`),
    );
    assert.deepEqual(msg.headers.get('received'), ['from a by b', 'from c by d']);
    assert.deepEqual(msg.headers.get('x-custom'), ['one', 'two']);
    assert.deepEqual(msg.headers.get('subject'), ['Café']);
    assert.equal(msg.headers.has('Subject'), false);
  });

  test('joins a multi-byte character split across two encoded words', () => {
    // "✓" is E2 9C 93; the sender cut it after the first byte
    const msg = parseMessageSync(crlf('Subject: =?utf-8?Q?a=E2?= =?utf-8?Q?=9C=93b?=\n\nx'));
    assert.equal(msg.subject, 'a✓b');
  });

  test('decodes ISO-2022-JP encoded words (a tenth of the bounce corpus)', () => {
    const msg = parseMessageSync(crlf('Subject: =?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?=\n\nx'));
    assert.equal(msg.subject, 'テスト');
  });

  test('reads 8-bit Latin-1 header bytes as windows-1252 and says so', () => {
    const raw = Buffer.concat([Buffer.from('From: J\xfcrgen <j@example.de>\r\nSubject: Gr\xfc\xdfe aus K\xf6ln\r\n\r\nx', 'latin1')]);
    const msg = parseMessageSync(raw);
    assert.equal(msg.subject, 'Grüße aus Köln');
    assert.deepEqual(msg.from, { name: 'Jürgen', address: 'j@example.de' });
    assert.deepEqual(codes(msg.problems), ['8bit_header', '8bit_header']);
    assert.match(msg.problems[1] ?? '', /Subject.*windows-1252/);
  });

  test('accepts raw UTF-8 headers (RFC 6532) without a problem', () => {
    const msg = parseMessageSync(Buffer.from('Subject: Grüße ✓\r\n\r\nx', 'utf8'));
    assert.equal(msg.subject, 'Grüße ✓');
    assert.deepEqual(msg.problems, []);
  });

  test('splits References the way Exchange, iOS and broken clients write them', () => {
    const msg = parseMessageSync(
      crlf(`References: <a@x.example>,<b@x.example>, c@x.example
 <d@x.
 example> <a@x.example>
In-Reply-To: <e@x.example> (John's message of "Mon, 1 Jan 2024")
Message-ID: f@x.example

x`),
    );
    assert.deepEqual(msg.references, ['a@x.example', 'b@x.example', 'c@x.example', 'd@x.example']);
    assert.deepEqual(msg.inReplyTo, ['e@x.example']);
    assert.equal(msg.messageId, 'f@x.example');
  });

  test('records a Date it cannot read instead of guessing', () => {
    const msg = parseMessageSync(crlf('Date: yesterday-ish\nSubject: s\n\nx'));
    assert.equal(msg.date, undefined);
    assert.deepEqual(codes(msg.problems), ['bad_date']);
  });

  test('reads zone names JavaScript does not know (JST)', () => {
    const msg = parseMessageSync(crlf('Date: Thu, 9 Apr 2006 23:34:45 JST\n\nx'));
    assert.equal(msg.date?.toISOString(), '2006-04-09T14:34:45.000Z');
  });

  test('skips an mbox "From " line ahead of the header', () => {
    const msg = parseMessageSync(crlf('From MAILER-DAEMON  Sat Oct  4 08:00:09 2025\nSubject: s\n\nbody'));
    assert.equal(msg.subject, 's');
    assert.equal(msg.text, 'body');
  });
});

describe('parseMessage: line endings', () => {
  const message = `From: a@example.com
Subject: line ends
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8

first line
second line
--b1
Content-Type: application/octet-stream; name="x.bin"
Content-Transfer-Encoding: base64

AAECAwQ=
--b1--
`;
  test('CRLF, LF-only and CR-only messages parse to the same result', () => {
    const lf = parseMessageSync(Buffer.from(message.replace(/\r\n/g, '\n')));
    const cr = parseMessageSync(Buffer.from(message.replace(/\r?\n/g, '\r')));
    const both = parseMessageSync(crlf(message));
    assert.equal(lf.text, 'first line\nsecond line');
    assert.deepEqual(lf.attachments[0]?.content, Buffer.from([0, 1, 2, 3, 4]));
    for (const other of [cr, both]) {
      assert.equal(other.subject, lf.subject);
      assert.equal(other.text, lf.text);
      assert.deepEqual(other.attachments, lf.attachments);
      assert.deepEqual(other.problems, []);
    }
  });
});

describe('parseMessage: charsets', () => {
  const withBody = (contentType: string, body: Buffer): Buffer => Buffer.concat([Buffer.from(`Subject: c\r\nContent-Type: ${contentType}\r\n\r\n`), body]);

  test('unknown charset x-foo: valid UTF-8 bytes read as UTF-8, with a problem', () => {
    const msg = parseMessageSync(withBody('text/plain; charset=x-foo', Buffer.from('Grüße', 'utf8')));
    assert.equal(msg.text, 'Grüße');
    assert.deepEqual(msg.problems, ['unknown_charset: message body declares x-foo; decoded as utf-8']);
  });

  test('unknown charset x-foo: Latin-1 bytes fall back to windows-1252', () => {
    const msg = parseMessageSync(withBody('text/plain; charset="x-foo"', Buffer.from('Gr\xfc\xdfe \x80', 'latin1')));
    assert.equal(msg.text, 'Grüße €');
    assert.deepEqual(msg.problems, ['unknown_charset: message body declares x-foo; decoded as windows-1252']);
  });

  test('bytes windows-1252 leaves unassigned fall back to ISO-8859-1', () => {
    const msg = parseMessageSync(withBody('text/plain; charset=x-foo', Buffer.from([0x41, 0x81, 0xe9])));
    assert.equal(msg.text, 'A\u0081é');
    assert.match(msg.problems[0] ?? '', /decoded as iso-8859-1$/);
  });

  test('declared UTF-8 that is not UTF-8 is read as windows-1252', () => {
    const msg = parseMessageSync(withBody('text/plain; charset=utf-8', Buffer.from('caf\xe9', 'latin1')));
    assert.equal(msg.text, 'café');
    assert.deepEqual(codes(msg.problems), ['invalid_charset_data']);
  });

  test('a missing charset with 8-bit bytes is guessed, UTF-8 first', () => {
    assert.equal(parseMessageSync(withBody('text/plain', Buffer.from('Grüße', 'utf8'))).text, 'Grüße');
    const latin = parseMessageSync(withBody('text/plain', Buffer.from('Gr\xfc\xdfe', 'latin1')));
    assert.equal(latin.text, 'Grüße');
    assert.deepEqual(codes(latin.problems), ['undeclared_charset']);
  });

  test('a known declared charset is used as is', () => {
    const msg = parseMessageSync(withBody('text/plain; charset=iso-8859-15', Buffer.from([0xa4])));
    assert.equal(msg.text, '€');
    const jp = parseMessageSync(withBody('text/plain; charset=ISO-2022-JP', Buffer.from('\x1b$B%F%9%H\x1b(B', 'latin1')));
    assert.equal(jp.text, 'テスト');
    assert.deepEqual([...msg.problems, ...jp.problems], []);
  });

  test('an unknown charset in an encoded word falls back too', () => {
    const msg = parseMessageSync(crlf('Subject: =?x-foo?Q?caf=E9?=\n\nx'));
    assert.equal(msg.subject, 'café');
    assert.deepEqual(codes(msg.problems), ['unknown_charset']);
  });
});

describe('parseMessage: transfer encodings', () => {
  const attachment = (encoding: string, body: string): Buffer =>
    crlf(`Subject: t
Content-Type: multipart/mixed; boundary=b

--b
Content-Type: text/plain

see attached
--b
Content-Type: application/octet-stream; name=data.bin
Content-Transfer-Encoding: ${encoding}

${body}
--b--
`);

  test('broken base64 keeps what decodes and names the damage', () => {
    const msg = parseMessageSync(attachment('base64', 'SGVs!!bG8g*d29y\nbGQ'));
    assert.equal(msg.attachments[0]?.content.toString(), 'Hello world');
    assert.deepEqual(msg.problems, ['broken_base64: part 2: 3 characters outside the base64 alphabet skipped']);
    const truncated = parseMessageSync(attachment('base64', 'SGVsbG8gd29ybGQhC'));
    assert.equal(truncated.attachments[0]?.content.toString(), 'Hello world!');
    assert.deepEqual(truncated.problems, ['broken_base64: part 2: the data ends in the middle of a byte']);
  });

  test('base64 blocks padded one by one and glued together all decode', () => {
    const msg = parseMessageSync(attachment('base64', 'SGk=\nIHRo\nZXJl'.replace('IHRo\nZXJl', 'IHRoZXJlIQ==')));
    assert.equal(msg.attachments[0]?.content.toString(), 'Hi there!');
    assert.deepEqual(msg.problems, []);
  });

  test('quoted-printable: soft breaks, lower-case hex, stray "="', () => {
    const msg = parseMessageSync(
      crlf('Subject: q\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\nGr=c3=bc=C3=9Fe, long=\nline, 1+1=2\n'),
    );
    assert.equal(msg.text, 'Grüße, longline, 1+1=2\n');
    assert.deepEqual(codes(msg.problems), ['broken_quoted_printable']);
  });

  test('an unknown transfer encoding is kept undecoded with a problem', () => {
    const msg = parseMessageSync(attachment('x-uuencode', 'begin 644 x'));
    assert.equal(msg.attachments[0]?.content.toString(), 'begin 644 x');
    assert.deepEqual(codes(msg.problems), ['unknown_transfer_encoding']);
  });
});

describe('parseMessage: structure', () => {
  test('alternative text and HTML, related image, named attachments', () => {
    const msg = parseMessageSync(
      crlf(`Subject: s
Content-Type: multipart/mixed; boundary="m"

preamble is ignored
--m
Content-Type: multipart/alternative; boundary="m-alt"

--m-alt
Content-Type: text/plain; charset=utf-8; format=flowed

Hello, this is a flowed 
line.
--m-alt
Content-Type: multipart/related; boundary="m-rel"

--m-rel
Content-Type: text/html; charset=utf-8

<p>Hello <img src="cid:logo@x"></p>
--m-rel
Content-Type: image/png
Content-ID: <logo@x>
Content-Transfer-Encoding: base64

iVBORw==
--m-rel--
--m-alt--
--m
Content-Type: application/pdf
Content-Disposition: attachment; filename*=utf-8''R%C3%A9sum%C3%A9.pdf

%PDF
--m
Content-Type: text/plain; name="=?utf-8?Q?notes_=E2=9C=93.txt?="
Content-Disposition: attachment

attached text is not body text
--m--
epilogue is ignored
`),
    );
    assert.equal(msg.text, 'Hello, this is a flowed line.');
    assert.equal(msg.html, '<p>Hello <img src="cid:logo@x"></p>');
    assert.deepEqual(
      msg.attachments.map((a) => [a.filename, a.contentType, a.size, a.contentId, a.inline]),
      [
        ['part-1.2.2.png', 'image/png', 4, 'logo@x', true],
        ['Résumé.pdf', 'application/pdf', 4, undefined, false],
        ['notes ✓.txt', 'text/plain', 30, undefined, false],
      ],
    );
    assert.deepEqual(msg.problems, []);
  });

  test('a forwarded message/rfc822 part without a file name is named after its description or subject', () => {
    const msg = parseMessageSync(
      crlf(`Subject: Fwd: logs
Content-Type: multipart/mixed; boundary="f"

--f
Content-Type: text/plain

See below.
--f
Content-Type: message/rfc822
Content-Disposition: inline

From: Dana <dana@example.com>
Subject: =?utf-8?Q?Server_logs_/_Montag_=E2=9C=93?=

old body
--f
Content-Type: message/rfc822
Content-Description: Forwarded message from Dana Reyes

Subject: ignored, the description names it

x
--f
Content-Type: message/rfc822

From: nobody@example.com

no subject at all
--f--
`),
    );
    assert.deepEqual(
      msg.attachments.map((a) => [a.filename, a.contentType]),
      [
        ['Server logs Montag ✓.eml', 'message/rfc822'],
        ['Forwarded message from Dana Reyes.eml', 'message/rfc822'],
        ['part-4.eml', 'message/rfc822'],
      ],
    );
  });

  test('an HTML-only message gets a text version', () => {
    const msg = parseMessageSync(
      crlf(`Subject: h
Content-Type: text/html; charset=utf-8

<html><head><style>p{color:red}</style></head><body><p>Hi&nbsp;there,</p><div>second &amp; last<br>line</div><!-- hidden --></body></html>`),
    );
    assert.equal(msg.text, 'Hi there,\n\nsecond & last\nline');
  });

  test('a delivery report keeps its machine-readable parts as attachments', () => {
    const msg = parseMessageSync(
      crlf(`Subject: Undelivered Mail
Content-Type: multipart/report; report-type=delivery-status; boundary="r"

--r
Content-Type: text/plain

The mail system could not deliver your message.
--r
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; gone@example.com
Action: failed
Status: 5.1.1
--r
Content-Type: text/rfc822-headers

Message-ID: <orig@example.com>
Subject: original
--r--
`),
    );
    assert.equal(msg.text, 'The mail system could not deliver your message.');
    assert.deepEqual(
      msg.attachments.map((a) => [a.filename, a.contentType]),
      [
        ['part-2.txt', 'message/delivery-status'],
        ['part-3.txt', 'text/rfc822-headers'],
      ],
    );
    assert.match(msg.attachments[0]?.content.toString() ?? '', /Status: 5\.1\.1/);
  });

  test('a multipart without boundary, or whose boundary never appears, is read as text', () => {
    const missing = parseMessageSync(crlf('Subject: m\nContent-Type: multipart/mixed\n\nplain words'));
    assert.equal(missing.text, 'plain words');
    assert.deepEqual(codes(missing.problems), ['missing_boundary']);
    const absent = parseMessageSync(crlf('Subject: m\nContent-Type: multipart/mixed; boundary=zz\n\nplain words'));
    assert.equal(absent.text, 'plain words');
    assert.deepEqual(codes(absent.problems), ['no_parts']);
  });

  test('a truncated multipart keeps its last part', () => {
    const msg = parseMessageSync(crlf('Subject: t\nContent-Type: multipart/mixed; boundary=b\n\n--b\n\nfirst\n--b\n\nsecond, cut off'));
    assert.equal(msg.text, 'first\nsecond, cut off');
    assert.deepEqual(codes(msg.problems), ['unterminated_multipart']);
  });

  test('a boundary that merely starts like the outer one is content, not a delimiter', () => {
    const msg = parseMessageSync(
      crlf(`Subject: n
Content-Type: multipart/mixed; boundary="a"

--a
Content-Type: multipart/alternative; boundary="a-b"

--a-b
Content-Type: text/plain

inner
--a-b--
--a--
`),
    );
    assert.equal(msg.text, 'inner');
    assert.deepEqual(msg.problems, []);
  });

  test('Exchange boundary and X-Microsoft values on unindented lines stay in the header', () => {
    const msg = parseMessageSync(
      crlf(`Subject: x
Content-Type: multipart/alternative; differences=Content-Type;
boundary="e2"
X-Microsoft-Exchange-Diagnostics:
1;SLXP216MB0381;27:EqSq7730xZ

--e2
Content-Type: text/plain
X-Message-Info:
5vMbyqxGkdfb86Tqlvb

Delivery has failed
--e2--
`),
    );
    assert.equal(msg.text, 'Delivery has failed');
    assert.deepEqual(msg.headers.get('x-microsoft-exchange-diagnostics'), ['1;SLXP216MB0381;27:EqSq7730xZ']);
    assert.deepEqual(msg.problems, []);
  });
});

describe('parseMessage: limits', () => {
  function manyParts(count: number): Buffer {
    const parts = [`--b\r\nContent-Type: text/plain\r\n\r\nthe body\r\n`];
    for (let i = 1; i < count; i++) {
      parts.push(`--b\r\nContent-Type: application/octet-stream; name="f${i}.bin"\r\n\r\n${i}\r\n`);
    }
    return Buffer.from(`Subject: many\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n${parts.join('')}--b--\r\n`);
  }

  test('1,000 parts are all read', () => {
    const msg = parseMessageSync(manyParts(1000));
    assert.equal(msg.text, 'the body');
    assert.equal(msg.attachments.length, 999);
    assert.equal(msg.attachments[998]?.filename, 'f999.bin');
    assert.deepEqual(msg.problems, []);
  });

  test('past 1,000 parts the rest is skipped, with one problem', () => {
    const msg = parseMessageSync(manyParts(50_000));
    assert.equal(msg.text, 'the body');
    assert.equal(msg.attachments.length, 999);
    assert.deepEqual(msg.problems, ['too_many_parts: the message has more than 1000 parts; the rest are skipped']);
  });

  function nested(depth: number): Buffer {
    let body = `Content-Type: text/plain\r\n\r\ndeepest text\r\n`;
    for (let level = depth; level >= 1; level--) {
      body = `Content-Type: multipart/mixed; boundary="L${level}"\r\n\r\n--L${level}\r\n${body}--L${level}--\r\n`;
    }
    return Buffer.from(
      `Subject: deep\r\nContent-Type: multipart/mixed; boundary=top\r\n\r\n--top\r\nContent-Type: text/plain\r\n\r\nshallow text\r\n--top\r\n${body}--top--\r\n`,
    );
  }

  test('100 levels of nesting: the shallow part is kept, the deep ones skipped with a problem', () => {
    const msg = parseMessageSync(nested(100));
    assert.equal(msg.text, 'shallow text');
    assert.deepEqual(codes(msg.problems), ['too_deep']);
    assert.match(msg.problems[0] ?? '', /deeper than 32 levels/);
  });

  test('the same 100 levels are read through when the limit allows it', () => {
    const msg = parseMessageSync(nested(100), { limits: { maxDepth: 200 } });
    assert.equal(msg.text, 'shallow text\ndeepest text');
    assert.deepEqual(msg.problems, []);
  });

  test('an oversized header block is cut, and the body is still read', () => {
    const filler = Array.from({ length: 200 }, (_, i) => `X-Filler-${i}: ${'y'.repeat(60)}`).join('\r\n');
    const msg = parseMessageSync(Buffer.from(`Subject: big\r\n${filler}\r\n\r\nthe body`), { limits: { maxHeaderBytes: 4096 } });
    assert.equal(msg.subject, 'big');
    assert.ok(msg.headers.size < 200);
    assert.equal(msg.text, 'the body');
    assert.deepEqual(codes(msg.problems), ['header_too_large']);
  });

  test('an oversized message is read up to the limit', () => {
    const msg = parseMessageSync(Buffer.from(`Subject: s\r\n\r\n${'z'.repeat(5000)}`), { limits: { maxMessageBytes: 1000 } });
    assert.equal(msg.text?.length, 1000 - 'Subject: s\r\n\r\n'.length);
    assert.deepEqual(codes(msg.problems), ['message_too_large']);
  });

  test('problems are capped', () => {
    const parts = Array.from({ length: 80 }, (_, i) => `--b\r\nContent-Type: text/plain; charset=x-foo-${i}\r\n\r\nx\r\n`).join('');
    const msg = parseMessageSync(Buffer.from(`Subject: p\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n${parts}--b--\r\n`));
    assert.equal(msg.problems.length, 51);
    assert.equal(msg.problems[50], 'too_many_problems: 30 more not recorded');
  });
});

describe('parseMessage: what is not a message', () => {
  test('throws UnparseableMessageError only when there is no header at all', async () => {
    for (const raw of [
      Buffer.alloc(0),
      Buffer.from('\r\n \r\n'),
      Buffer.from('just some text\r\nand more'),
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]),
    ]) {
      await assert.rejects(parseMessage(raw), (error: unknown) => {
        assert.ok(error instanceof UnparseableMessageError);
        assert.equal(error.code, 'unparseable_message');
        assert.equal(error.status, 400);
        return true;
      });
    }
  });

  test('a header without a body is a message', () => {
    const msg = parseMessageSync(Buffer.from('Subject: only a header'));
    assert.equal(msg.subject, 'only a header');
    assert.equal(msg.text, '');
  });

  test('random bytes and mangled messages never throw anything else', () => {
    const seed = crlf(`From: a@example.com
Subject: =?utf-8?B?w6k=?=
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

caf=C3=A9
--b
Content-Type: application/octet-stream; name="x"
Content-Transfer-Encoding: base64

AAEC
--b--
`);
    const mangled = fc.array(fc.tuple(fc.nat(seed.length), fc.uint8Array({ minLength: 0, maxLength: 8 })), { maxLength: 6 }).map((edits) => {
      let out = Buffer.from(seed);
      for (const [at, bytes] of edits) out = Buffer.concat([out.subarray(0, at), Buffer.from(bytes), out.subarray(at + 1)]);
      return out;
    });
    fc.assert(
      fc.property(
        fc.oneof(
          mangled,
          fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
        ),
        (raw) => {
          let msg: ParsedMessage | undefined;
          try {
            msg = parseMessageSync(raw);
            assert.equal(typeof msg.subject, 'string');
            assert.ok(Array.isArray(msg.problems));
          } catch (error) {
            assert.ok(error instanceof UnparseableMessageError, String(error));
          }
          // Decoding in the input's own memory reads exactly what decoding from a copy reads.
          if (msg) assert.deepEqual(parseMessageSync(Buffer.from(raw), { inPlace: true }), msg);
        },
      ),
      { numRuns: 500 },
    );
  });
});
