// trimReply reads bodies from strangers: it must never throw, and never take super-linear
// time. The property runs are bounded; the hostile bodies below are the shapes that make the
// upstream regexes backtrack catastrophically, and the test's timeout turns a regression into
// a failure instead of a hang (no timing is asserted).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { trimReply, type TrimResult } from './index.js';

const TEXT_PIECES = [
  '', '>', '> quoted', '>> deeper', 'Thanks,', 'Jane', '-- ', '--', '____', '-----Original Message-----',
  'On Mon, Mar 4, 2024 at 9:00 AM Bob <bob@example.com> wrote:', 'On Mon, Mar 4, 2024 at 9:00 AM Bob <',
  'bob@example.com> wrote:', 'Am 04.03.2024 um 09:00 schrieb Max <max@example.com>:', 'From: Bob',
  'Sent: Monday, March 4, 2024', 'To: Jane', 'Subject: x', 'Sent from my iPhone', '```', '```ruby',
  '| pipe', 'Richard> hi', '>>> a >>>', '<<< a <<<', '>>>>', '<<<<', 'x wrote on y:', '2024 napisał(a):',
  '-----BEGIN PGP SIGNATURE-----', '-----END PGP SIGNATURE-----', 'Unsubscribe: a@b.c', '##- reply above -##',
];
const HTML_PIECES = [
  '<div>', '</div>', '<p class="MsoNormal">', '</p>', '<br>', '<hr>', '<blockquote type="cite">', '</blockquote>',
  '<blockquote>', '<div class="gmail_quote">', '<div class="gmail_attr">', '<div class="moz-cite-prefix">',
  '<div id="divRplyFwdMsg">', '<div id="appendonsend">', '<div class="yahoo_quoted">', '<hr id="stopSpelling">',
  '<div style="border:none;border-top:solid #E1E1E1 1.0pt">', '<b>From:</b> Bob<br><b>Sent:</b> 1 2024<br><b>To:</b> x',
  '<a href="https://x.example/">', '</a>', '<pre>', '</pre>', '<ul><li>', '</li></ul>', '<ol><li>', '<table><tr><td>',
  '</td><td>', '</td></tr></table>', '<style>p{}</style>', '<!-- c -->', '&amp;', '&nbsp;', '&#x1F600;', 'On Mon, Bob wrote:',
  '<span id="OLK_SRC_BODY_SECTION">', '</span>', '<script>x</script>', '<', '>', '"', '<div style="display:none">',
];

const textArb = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 2_000 }),
  fc
    .array(fc.oneof(fc.constantFrom(...TEXT_PIECES), fc.string({ unit: 'binary', maxLength: 40 })), { maxLength: 60 })
    .map((parts) => parts.join(fc.sample(fc.constantFrom('\n', '\r\n', '\r'), 1)[0] ?? '\n')),
);
const htmlArb = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 2_000 }),
  fc
    .array(fc.oneof(fc.constantFrom(...HTML_PIECES), fc.string({ maxLength: 30 })), { maxLength: 80 })
    .map((parts) => parts.join('')),
);

function assertWellFormed(r: TrimResult): void {
  assert.equal(typeof r.replyText, 'string');
  assert.equal(typeof r.quoted, 'string');
  assert.ok(r.signature === undefined || (typeof r.signature === 'string' && r.signature !== ''));
  assert.match(r.method, /^(?:text|html)(?::[a-z]+(?:\+[a-z]+)*)?$/);
  assert.doesNotMatch(r.replyText, /^[ \t\r\n]|[ \t\r\n]$/);
}

describe('trimReply on arbitrary input', () => {
  test('never throws on text', () => {
    fc.assert(
      fc.property(textArb, fc.option(fc.constantFrom('##- reply above -##', '', '(', '\\')), (text, marker) => {
        assertWellFormed(trimReply({ text, marker: marker ?? undefined }));
      }),
      { numRuns: 400 },
    );
  });

  test('never throws on HTML, alone or beside text', () => {
    fc.assert(
      fc.property(htmlArb, fc.option(textArb), (html, text) => {
        assertWellFormed(trimReply({ html, text: text ?? undefined, marker: 'reply above' }));
      }),
      { numRuns: 400 },
    );
  });

  test('a text without any quote marker comes back whole', () => {
    const plain = fc
      .array(fc.stringMatching(/^[A-Za-z][A-Za-z ,]{0,60}[a-z.]$/), { minLength: 1, maxLength: 10 })
      .map((lines) => lines.join('\n'));
    fc.assert(
      fc.property(plain, (text) => {
        const r = trimReply({ text });
        assert.equal(r.replyText, text);
        assert.equal(r.method, 'text');
      }),
      { numRuns: 300 },
    );
  });
});

describe('trimReply on hostile bodies', { timeout: 60_000 }, () => {
  const hostile: Record<string, string> = {
    'many "On" lines': 'On x y z\n'.repeat(20_000),
    'digits before napisał(a)': `${'1'.repeat(100_000)} napisał(a):`,
    'wrote on, no colon': 'x wrote on '.repeat(15_000),
    'blank lines after a header': `text\nOn Mon, X wrote:\n${'\n'.repeat(60_000)}text\n> q`,
    'addresses and no wrote': `${'a@a.aa '.repeat(20_000)}wrote`,
    'unclosed enclosed quotes': `${'>>>>\n'.repeat(20_000)}x\n<<<<`,
    'unclosed fences': '```ruby\n'.repeat(30_000),
    'inner run of spaces': `${' '.repeat(100_000)}x`,
    'colons after wrote on': `x wrote on ${':'.repeat(100_000)}`,
    'via, via, via': `${' via '.repeat(190)}x\n`.repeat(100),
    'over the text limit': `${'Reply line.\n'.repeat(30_000)}`,
  };
  for (const [name, text] of Object.entries(hostile)) {
    test(`text: ${name}`, () => assertWellFormed(trimReply({ text })));
  }

  test('html: elements nested deeper than the call stack', () => {
    assertWellFormed(trimReply({ html: `${'<div>'.repeat(100_000)}Hi${'</div>'.repeat(100_000)}` }));
    assertWellFormed(trimReply({ html: `${'<blockquote>'.repeat(50_000)}Hi` }));
  });

  test('html: thousands of quote candidates, each followed by text', () => {
    assertWellFormed(trimReply({ html: '<blockquote>q</blockquote><div>a</div>'.repeat(5_000) }));
    assertWellFormed(trimReply({ html: `${'<blockquote>q</blockquote>'.repeat(20_000)}a` }));
    assertWellFormed(trimReply({ html: '<p class="MsoNormal">From: x</p>'.repeat(20_000) }));
    assertWellFormed(trimReply({ html: `<ol>${'<li>x'.repeat(50_000)}` }));
  });
});
