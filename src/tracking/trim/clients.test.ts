// Replies as real mail clients write them, one case per client style: where the person typed
// (above, below, between the quotes), the attribution each client writes (default formats:
// mutt `attribution`, alpine, s-nail `quote-inject-head`, aerc's quoted_reply template, Gnus
// `message-citation-line-function`, Thunderbird, Gmail, Apple Mail, Outlook in several
// languages, K-9), and forwards. Our outbound mail puts the marker line at the top, so most
// quotes start with it.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { trimReply } from './index.js';

const MARKER = '##- Please type your reply above this line -##';
const trim = (text: string) => trimReply({ text, marker: MARKER });
const ORIGINAL = [`> ${MARKER}`, '>', '> Could you send the server logs from Monday?', '>', '> Mailtrail ref: mt1abc'];

describe('bottom-posted text replies (the answer below a quote holding our marker)', () => {
  const cases: [string, string][] = [
    ['mutt', 'On Wed, Dec 02, 2026 at 10:00:00AM +0000, Dana Reyes wrote:'],
    ['neomutt custom', '* Dana Reyes <dana@example.com> [2026-12-02 10:00 +0000]:'],
    ['alpine', 'On Wed, 2 Dec 2026, Dana Reyes wrote:'],
    ['s-nail', 'Dana Reyes <dana@example.com> wrote:'],
    ['aerc', 'On Wed Dec 2, 2026 at 10:00 AM UTC, Dana Reyes wrote:'],
    ['Gnus', 'Dana Reyes <dana@example.com> writes:'],
    ['Thunderbird', 'On 02/12/2026 10:00, Dana Reyes wrote:'],
    ['Thunderbird de', 'Am 02.12.26 um 10:00 schrieb Dana Reyes:'],
    ['K-9', 'On December 2, 2026 10:00:00 AM UTC, Dana Reyes <dana@example.com> wrote:'],
    ['Horde', 'Quoting Dana Reyes <dana@example.com>:'],
    ['Gmail fi', 'ke 2. jouluk. 2026 klo 10.00 Dana Reyes (dana@example.com) kirjoitti:'],
    ['Gmail tr', 'Dana Reyes <dana@example.com>, 2 Ara 2026 Çar, 10:00 tarihinde şunu yazdı:'],
    ['Gmail zh', 'Dana Reyes <dana@example.com> 于2026年12月2日周三 10:00写道：'],
  ];
  for (const [client, attribution] of cases) {
    test(client, () => {
      const text = [attribution, ...ORIGINAL, '', 'Attached are the logs.', 'The crash is at 10:42.', '', '-- ', 'Sam Lee', ''].join('\n');
      const r = trim(text);
      assert.equal(r.replyText, 'Attached are the logs.\nThe crash is at 10:42.');
      assert.equal(r.signature, 'Sam Lee');
      assert.equal(r.method, 'text:bottom');
      assert.ok(r.quoted.startsWith(attribution), r.quoted);
      assert.match(r.quoted, /Could you send the server logs/);
    });
  }

  test('wrapped attribution (Gmail wraps at 78 columns)', () => {
    const text = ['On Wed, Dec 2, 2026 at 10:00 AM Dana Reyes via Mailtrail <', 'tracking@example.com> wrote:', '', ...ORIGINAL, '', 'Logs attached.'].join(
      '\n',
    );
    const r = trim(text);
    assert.equal(r.replyText, 'Logs attached.');
    assert.doesNotMatch(r.quoted.split('\n')[0] as string, /^>/);
  });

  test('a mobile signature below the answer', () => {
    const text = ['On Dec 2, 2026, at 10:00, Dana Reyes <dana@example.com> wrote:', '', ...ORIGINAL, '', 'Will do tonight.', '', 'Sent from my iPhone'].join(
      '\n',
    );
    const r = trim(text);
    assert.equal(r.replyText, 'Will do tonight.');
    assert.equal(r.signature, 'Sent from my iPhone');
  });
});

describe('interleaved text replies', () => {
  test('alpine: answers between the questions, in order', () => {
    const text = [
      'On Wed, 2 Dec 2026, Dana Reyes wrote:',
      '',
      `> ${MARKER}`,
      '>',
      '> Which version are you running?',
      '',
      '2.3.1 from the Debian package.',
      '',
      '> And does it happen after a restart?',
      '',
      'Yes, every time.',
      'Even after a reboot.',
      '',
      '> Mailtrail ref: mt1abc',
    ].join('\n');
    const r = trim(text);
    assert.equal(r.replyText, '2.3.1 from the Debian package.\n\nYes, every time.\nEven after a reboot.');
    assert.equal(r.method, 'text:interleaved');
    assert.deepEqual(
      r.segments?.map((s) => s.kind),
      ['quote', 'reply', 'quote', 'reply', 'quote'],
    );
    assert.match(r.segments?.[2]?.text ?? '', /^> And does it happen/);
  });

  test('Gnus: greeting under the attribution, nested older quotes left alone', () => {
    const text = [
      'Dana Reyes <dana@example.com> writes:',
      '',
      '> Did the fix work?',
      '>',
      '>> On Tue, Dec 1, 2026 at 9:00 AM Sam Lee wrote:',
      '>> It crashes.',
      '',
      'It did, thanks.',
      '',
      '> Can I close the ticket?',
      '',
      'Please do.',
    ].join('\n');
    const r = trim(text);
    assert.equal(r.replyText, 'It did, thanks.\n\nPlease do.');
    assert.doesNotMatch(r.replyText, /writes:/);
  });
});

describe('top-posted text replies with attributions upstream did not know', () => {
  test('Gnus "writes:" is quote header, not the last line of the reply', () => {
    const text = ['Fixed in 2.3.2.', '', 'Dana Reyes <dana@example.com> writes:', '', ...ORIGINAL].join('\n');
    const r = trim(text);
    assert.equal(r.replyText, 'Fixed in 2.3.2.');
    assert.match(r.quoted, /^Dana Reyes <dana@example\.com> writes:/);
  });

  test('mutt "* Name <addr> [date]:"', () => {
    const text = ['Fixed.', '', '* Dana Reyes <dana@example.com> [2026-12-02 10:00]:', ...ORIGINAL].join('\n');
    assert.equal(trim(text).replyText, 'Fixed.');
  });

  const outlook: [string, string[]][] = [
    [
      'English',
      ['From: Dana Reyes <dana@example.com>', 'Sent: Wednesday, December 2, 2026 10:00 AM', 'To: Sam Lee <sam@example.com>', 'Subject: [DEMO-D8 k3x9] Logs'],
    ],
    [
      'German',
      ['Von: Dana Reyes <dana@example.com>', 'Gesendet: Mittwoch, 2. Dezember 2026 10:00', 'An: Sam Lee <sam@example.com>', 'Betreff: [DEMO-D8 k3x9] Logs'],
    ],
    [
      'French',
      ['De : Dana Reyes <dana@example.com>', 'Envoyé : mercredi 2 décembre 2026 10:00', 'À : Sam Lee <sam@example.com>', 'Objet : [DEMO-D8 k3x9] Logs'],
    ],
    [
      'Italian',
      ['Da: Dana Reyes <dana@example.com>', 'Inviato: mercoledì 2 dicembre 2026 10:00', 'A: Sam Lee <sam@example.com>', 'Oggetto: [DEMO-D8 k3x9] Logs'],
    ],
    [
      'Dutch',
      ['Van: Dana Reyes <dana@example.com>', 'Verzonden: woensdag 2 december 2026 10:00', 'Aan: Sam Lee <sam@example.com>', 'Onderwerp: [DEMO-D8 k3x9] Logs'],
    ],
    ['Polish', ['Od: Dana Reyes <dana@example.com>', 'Wysłano: środa, 2 grudnia 2026 10:00', 'Do: Sam Lee <sam@example.com>', 'Temat: [DEMO-D8 k3x9] Logs']],
    [
      'Spanish',
      [
        'De: Dana Reyes <dana@example.com>',
        'Enviado: miércoles, 2 de diciembre de 2026 10:00',
        'Para: Sam Lee <sam@example.com>',
        'Asunto: [DEMO-D8 k3x9] Logs',
      ],
    ],
  ];
  for (const [language, header] of outlook) {
    test(`Outlook header block in ${language}, the original unquoted below`, () => {
      const text = ['Here they are.', '', '________________________________', ...header, '', MARKER, '', 'Could you send the server logs?'].join('\n');
      const r = trim(text);
      assert.equal(r.replyText, 'Here they are.');
      assert.match(r.quoted, new RegExp(header[0]!.slice(0, 4)));
    });
  }
});

describe('forwards: the note is the reply, the forwarded message is kept as quoted', () => {
  const original = [
    'Date: Wed, 2 Dec 2026 10:00:00 +0000',
    'From: Dana Reyes <dana@example.com>',
    'To: Sam Lee <sam@example.com>',
    'Subject: [DEMO-D8 k3x9] Logs',
    '',
    MARKER,
    '',
    'Could you send the server logs?',
  ];
  const cases: [string, string[], string[]][] = [
    ['mutt', ['----- Forwarded message from Dana Reyes <dana@example.com> -----'], ['', '----- End forwarded message -----']],
    ['aerc', ['Forwarded message from Dana Reyes <dana@example.com> on Wed Dec 2, 2026 at 10:00 AM:'], []],
    ['Thunderbird', ['-------- Forwarded Message --------'], []],
    ['Gmail', ['---------- Forwarded message ---------'], []],
    ['Apple Mail', ['Begin forwarded message:', ''], []],
    ['s-nail inline headers', [], []],
  ];
  for (const [client, head, tail] of cases) {
    test(client, () => {
      const text = ['Sam, can you look at this one?', '', 'Thanks', '', ...head, ...original, ...tail].join('\n');
      const r = trim(text);
      assert.equal(r.replyText, 'Sam, can you look at this one?\n\nThanks');
      assert.match(r.quoted, /From: Dana Reyes/);
      assert.match(r.quoted, /Could you send the server logs\?/);
      if (head[0]) assert.ok(r.quoted.includes(head[0]), r.quoted);
    });
  }
});

describe('HTML replies below or between the quote', () => {
  test('Thunderbird: the marker inside blockquote type=cite, the answer after it', () => {
    const html =
      '<html><body><div class="moz-cite-prefix">On 02/12/2026 10:00, Dana Reyes wrote:<br></div>' +
      `<blockquote type="cite" cite="mid:mt1abc@example.com"><p>${MARKER}</p><p>Could you send the logs?</p><p>Mailtrail ref: mt1abc</p></blockquote>` +
      '<p>Attached, see the crash at 10:42.</p><p>Sam<br></p></body></html>';
    const r = trimReply({ html, marker: MARKER });
    assert.equal(r.replyText, 'Attached, see the crash at 10:42.\n\nSam');
    assert.equal(r.method, 'html:bottom');
    assert.match(r.quoted, /^On 02\/12\/2026 10:00, Dana Reyes wrote:/);
    assert.match(r.quoted, /Could you send the logs\?/);
  });

  test('Gmail: typing inside the quote splits it into several gmail_quote blockquotes', () => {
    const html =
      '<div dir="ltr"><br></div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Wed, Dec 2, 2026 at 10:00 AM Dana Reyes &lt;<a href="mailto:dana@example.com">dana@example.com</a>&gt; wrote:<br></div>' +
      `<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex"><div>${MARKER}</div><div>Which version?</div></blockquote>` +
      '<div>2.3.1</div><div><br></div>' +
      '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex"><div>Which OS?</div></blockquote>' +
      '<div>Debian 12</div></div>';
    const r = trimReply({ html, marker: MARKER });
    assert.equal(r.replyText, '2.3.1\n\nDebian 12');
    assert.equal(r.method, 'html:interleaved');
  });

  test('Apple Mail: bottom-posted below blockquote type=cite', () => {
    const html =
      '<html><body dir="auto"><div dir="ltr"></div><div dir="ltr"><br><blockquote type="cite">On 2 Dec 2026, at 10:00, Dana Reyes &lt;dana@example.com&gt; wrote:<br><br></blockquote></div>' +
      `<blockquote type="cite"><div dir="ltr">${MARKER}<br>Could you send the logs?</div></blockquote><div>Sent them an hour ago.</div></body></html>`;
    const r = trimReply({ html, marker: MARKER });
    assert.equal(r.replyText, 'Sent them an hour ago.');
  });

  test('Outlook: the marker in the unquoted original below divRplyFwdMsg still cuts there', () => {
    const html =
      '<div>Logs attached.</div><hr><div id="divRplyFwdMsg"><b>From:</b> Dana Reyes<br><b>Sent:</b> Wednesday, December 2, 2026 10:00<br><b>To:</b> Sam<br><b>Subject:</b> Logs</div>' +
      `<div>${MARKER}</div><div>Could you send the logs?</div>`;
    const r = trimReply({ html, marker: MARKER });
    assert.equal(r.replyText, 'Logs attached.');
  });
});

describe('what stays text', () => {
  test('a sentence ending in a colon above a pasted log is no attribution', () => {
    const text = 'The error I get is this:\n\n> ERROR: connection refused\n\nIt started on Monday.';
    const r = trimReply({ text });
    assert.match(r.replyText, /^The error I get is this:/);
    assert.match(r.replyText, /It started on Monday\.$/);
  });

  test('no quote at all comes back whole', () => {
    const text = 'Hi Dana,\n\nthe logs are attached.\n\nSam';
    assert.equal(trimReply({ text }).replyText, text);
  });
});

describe('Thunderbird signatures above the quote (no "-- ", marked <div class="moz-signature">)', () => {
  const quote = `<div class="moz-cite-prefix">On 02/12/2026 10:00, Dana Reyes wrote:<br></div><blockquote type="cite"><div>${MARKER}</div><p>Could you send the logs?</p><div class="moz-signature">Dana Reyes<br>Support</div></blockquote>`;
  const html = `<p>The logs are attached.</p><div class="moz-signature">Sam Lee<br>Lee &amp; Partners, Malmö</div>${quote}`;
  const text = [
    'The logs are attached.',
    '',
    'Sam Lee',
    'Lee & Partners, Malmö',
    'On 02/12/2026 10:00, Dana Reyes wrote:',
    `> ${MARKER}`,
    '>',
    '> Could you send the logs?',
    '',
  ].join('\n');

  test('read from the text part, the HTML part names the signature', () => {
    const r = trimReply({ text, html, marker: MARKER });
    assert.equal(r.replyText, 'The logs are attached.');
    assert.equal(r.signature, 'Sam Lee\nLee & Partners, Malmö');
  });

  test('read from the HTML part alone', () => {
    const r = trimReply({ html, marker: MARKER });
    assert.equal(r.replyText, 'The logs are attached.');
    assert.equal(r.signature, 'Sam Lee\nLee & Partners, Malmö');
  });

  test('a signature only inside the quote, or not at the end of the answer, is left alone', () => {
    const r = trimReply({ html: `<p>The logs are attached.</p>${quote}`, marker: MARKER });
    assert.equal(r.replyText, 'The logs are attached.');
    assert.equal(r.signature, undefined);
    const first = `<div class="moz-signature">Sam Lee<br>Lee &amp; Partners, Malmö</div><p>The logs are attached.</p>${quote}`;
    const firstText = [
      'Sam Lee',
      'Lee & Partners, Malmö',
      '',
      'The logs are attached.',
      'On 02/12/2026 10:00, Dana Reyes wrote:',
      `> ${MARKER}`,
      '>',
      '> Could you send the logs?',
      '',
    ].join('\n');
    const moved = trimReply({ text: firstText, html: first, marker: MARKER });
    assert.match(moved.replyText, /The logs are attached\.$/);
    assert.match(moved.replyText, /^Sam Lee/);
  });

  test('a reply that is only the signature keeps it', () => {
    const r = trimReply({ text: 'Sam Lee\nLee & Partners, Malmö\n', html: '<div class="moz-signature">Sam Lee<br>Lee &amp; Partners, Malmö</div>' });
    assert.equal(r.replyText, 'Sam Lee\nLee & Partners, Malmö');
  });
});

describe('emphasis carried into the answer (Thunderbird renders <b> as *…* in the text part)', () => {
  const quote = (q: string) => `<blockquote type="cite"><p><b>${q}</b></p></blockquote>`;
  const html = `<div class="moz-cite-prefix">On 02/12/2026 10:00, Dana Reyes wrote:<br></div><blockquote type="cite"><div>${MARKER}</div></blockquote>${quote('Which file?')}<p><b>orders-march.csv</b></p>${quote('Which column?')}<b>The last one, Discount.</b>`;
  const text = [
    'On 02/12/2026 10:00, Dana Reyes wrote:',
    `> ${MARKER}`,
    '>',
    '> *Which file?*',
    '',
    '*orders-march.csv*',
    '',
    '> *Which column?*',
    '*The last one, Discount.*',
    '',
  ].join('\n');

  test('the marks the HTML part explains are dropped from the answers', () => {
    const r = trimReply({ text, html, marker: MARKER });
    assert.equal(r.replyText.replace(/\s+/g, ' '), 'orders-march.csv The last one, Discount.');
    assert.doesNotMatch(r.replyText, /\*/);
  });

  test('asterisks the person typed, with no emphasis behind them in the HTML, stay', () => {
    const typed = text.replace('*orders-march.csv*', '*really* the March file');
    const r = trimReply({ text: typed, html: html.replace('<p><b>orders-march.csv</b></p>', '<p>*really* the March file</p>'), marker: MARKER });
    assert.match(r.replyText, /^\*really\* the March file/);
    const alone = trimReply({ text: '*urgent*\n', html: '<p>*urgent*</p>' });
    assert.equal(alone.replyText, '*urgent*');
  });
});
