import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { splitSignature, trimReply } from './index.js';

const MARKER = '##- Please type your reply above this line -##';

describe('layer 1: our marker', () => {
  test('cuts from the marker line and the "On … wrote:" header above it', () => {
    const text = [
      'Fixed in the next release, thanks!',
      '',
      'On Tue, 5 Mar 2024 at 10:02, Mailtrail <support+ab12@mailtrail.example> wrote:',
      `> ${MARKER}`,
      '>',
      '> Ticket #42 was updated by Jane.',
    ].join('\n');
    const r = trimReply({ text, marker: MARKER });
    assert.equal(r.replyText, 'Fixed in the next release, thanks!');
    // The marker is quoted here, so the quote (with its header) is what is cut.
    assert.equal(r.method, 'text:trimmer');
    assert.match(r.quoted, /^On Tue, 5 Mar 2024 at 10:02, Mailtrail <support\+ab12@mailtrail\.example> wrote:\n> ##-/);
  });

  test('finds the header when the client wrapped it over two lines', () => {
    const text = [
      'Works for me.',
      '',
      'On Tue, Mar 5, 2024 at 10:02 AM Mailtrail Support <',
      'support+ab12@mailtrail.example> wrote:',
      '',
      MARKER,
      'Ticket #42 was updated.',
    ].join('\n');
    const r = trimReply({ text, marker: MARKER });
    assert.equal(r.replyText, 'Works for me.');
    assert.match(r.quoted, /^On Tue, Mar 5/);
  });

  test('survives re-wrapping and no-break spaces in the marker', () => {
    const text = `Yes.\n\n##- Please type your reply above\u00a0this   line -##\nold text`;
    assert.equal(trimReply({ text, marker: MARKER }).replyText, 'Yes.');
  });

  test('works on HTML where the client left no quote markup', () => {
    const html = `<div>Approved.</div><div><br></div><div>On Tue, 5 Mar 2024, Mailtrail wrote:</div><div>${MARKER}</div><div>Ticket #42</div>`;
    const r = trimReply({ html, marker: MARKER });
    assert.equal(r.replyText, 'Approved.');
    assert.equal(r.method, 'html:marker');
    assert.match(r.quoted, /^On Tue, 5 Mar 2024, Mailtrail wrote:\n\n##- Please/);
  });

  test('a missing marker changes nothing', () => {
    const r = trimReply({ text: 'Just text.', marker: MARKER });
    assert.deepEqual(r, { replyText: 'Just text.', quoted: '', method: 'text' });
  });
});

describe('layer 2: HTML quote markers', () => {
  test('Gmail: div.gmail_quote with its gmail_attr line', () => {
    const html =
      '<div dir="ltr">Sounds good, ship it.<div><br></div><div>Jane</div></div><br>' +
      '<div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">On Mon, Mar 4, 2024 at 9:00 AM Bob &lt;<a href="mailto:bob@example.com">bob@example.com</a>&gt; wrote:<br></div>' +
      '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204)"><div dir="ltr">Can we release &amp; tag today?</div></blockquote></div>';
    const r = trimReply({ html });
    assert.equal(r.replyText, 'Sounds good, ship it.\n\nJane');
    assert.equal(r.method, 'html:gmail');
    assert.equal(r.quoted, 'On Mon, Mar 4, 2024 at 9:00 AM Bob <bob@example.com> wrote:\n> Can we release & tag today?');
  });

  test('Outlook on the web: #appendonsend, <hr>, #divRplyFwdMsg', () => {
    const html =
      '<html><body><div style="font-family: Calibri">I have attached the logs.</div>' +
      '<div id="appendonsend"></div><hr style="display:inline-block;width:98%" tabindex="-1">' +
      '<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri"><b>From:</b> Bob &lt;bob@example.com&gt;<br><b>Sent:</b> Monday, March 4, 2024 9:00 AM<br><b>To:</b> Jane<br><b>Subject:</b> Logs</font><div>&nbsp;</div></div>' +
      '<div>Could you send the logs?</div></body></html>';
    const r = trimReply({ html });
    assert.equal(r.replyText, 'I have attached the logs.');
    assert.equal(r.method, 'html:outlook');
    assert.match(r.quoted, /^From: Bob <bob@example\.com>\nSent: Monday/);
    assert.match(r.quoted, /Could you send the logs\?$/);
  });

  test('Outlook desktop: a bordered header block in another language', () => {
    const html =
      '<div class="WordSection1"><p class="MsoNormal">Passt, danke.<o:p></o:p></p><p class="MsoNormal"><o:p>&nbsp;</o:p></p>' +
      '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm"><p class="MsoNormal"><b>Von:</b> Bob &lt;bob@example.com&gt;<br><b>Gesendet:</b> Montag, 4. März 2024 09:00<br><b>An:</b> Jane<br><b>Betreff:</b> Termin</p></div>' +
      '<p class="MsoNormal">Passt dir Dienstag?</p></div>';
    const r = trimReply({ html });
    assert.equal(r.replyText, 'Passt, danke.');
    assert.equal(r.method, 'html:outlook');
  });

  test('Outlook 2010: a MsoNormal "From:" paragraph with no border', () => {
    const html =
      '<p class="MsoNormal">Done.</p><p class="MsoNormal"><b>From:</b> Foo [mailto:foo@bar.com]<br><b>Sent:</b> Monday, January 01, 2024 12:00 AM<br><b>To:</b> john@bar.com<br><b>Subject:</b> Task</p><p>Please do it.</p>';
    const r = trimReply({ html });
    assert.equal(r.replyText, 'Done.');
    assert.equal(r.method, 'html:outlook');
  });

  test('Apple Mail: blockquote type=cite, with the attribution line and the iPhone signature', () => {
    const html =
      '<html><body dir="auto"><div>Great, see you then.</div><div><br></div><div>Sent from my iPhone</div><div><br>' +
      '<blockquote type="cite">On 4 Mar 2024, at 09:00, Bob &lt;bob@example.com&gt; wrote:<br><br></blockquote></div>' +
      '<blockquote type="cite"><div dir="ltr">Meeting at ten?</div></blockquote></body></html>';
    const r = trimReply({ html });
    assert.equal(r.replyText, 'Great, see you then.');
    assert.equal(r.signature, 'Sent from my iPhone');
    assert.equal(r.method, 'html:apple+trimmer');
    assert.match(r.quoted, /> On 4 Mar 2024, at 09:00, Bob <bob@example\.com> wrote:/);
  });

  test('Apple Mail: attribution div right before the blockquote', () => {
    const html =
      '<div>Yes.</div><br><div>On 4 Mar 2024, at 09:00, Bob &lt;bob@example.com&gt; wrote:</div><br class="Apple-interchange-newline">' +
      '<blockquote type="cite"><div>Is it fixed?</div></blockquote>';
    const r = trimReply({ html });
    assert.equal(r.replyText, 'Yes.');
    assert.equal(r.method, 'html:apple');
    assert.equal(r.quoted, 'On 4 Mar 2024, at 09:00, Bob <bob@example.com> wrote:\n\n> Is it fixed?');
  });

  test('Thunderbird: .moz-cite-prefix and its blockquote', () => {
    const html =
      '<html><body><p>Confirmed on 2.3.1.</p><div class="moz-cite-prefix">On 04.03.24 09:00, Bob wrote:<br></div>' +
      '<blockquote type="cite" cite="mid:abc@example.com"><p>Does it still crash?</p></blockquote><br></body></html>';
    const r = trimReply({ html });
    assert.equal(r.replyText, 'Confirmed on 2.3.1.');
    assert.equal(r.method, 'html:thunderbird');
    assert.equal(r.quoted, 'On 04.03.24 09:00, Bob wrote:\n\n> Does it still crash?');
  });

  test('Yahoo: .yahoo_quoted', () => {
    const html =
      '<div class="ydp1"><div>Thanks a lot!</div></div><div id="yahoo_quoted_123" class="yahoo_quoted">' +
      '<div>On Monday, March 4, 2024, 09:00:00 AM GMT+1, Bob &lt;bob@example.com&gt; wrote:</div><div><div>Here is the file.</div></div></div>';
    const r = trimReply({ html });
    assert.equal(r.replyText, 'Thanks a lot!');
    assert.equal(r.method, 'html:yahoo');
  });

  test('a generic blockquote and everything after it', () => {
    const r = trimReply({ html: '<p>Agreed.</p><blockquote><p>Shall we merge?</p></blockquote>' });
    assert.equal(r.replyText, 'Agreed.');
    assert.equal(r.method, 'html:blockquote');
    assert.equal(r.quoted, '> Shall we merge?');
  });

  test('interleaved HTML reply: blockquotes followed by answers are kept as "> " context', () => {
    const html =
      '<div>On Mon, Mar 4, 2024 at 9:00 AM Bob &lt;bob@example.com&gt; wrote:</div>' +
      '<blockquote type="cite">Which version?</blockquote><div>2.3.1</div>' +
      '<blockquote type="cite">Which OS?</blockquote><div>Debian 12</div>';
    const r = trimReply({ html });
    assert.equal(r.replyText, '2.3.1\n\nDebian 12');
    assert.equal(r.method, 'html:interleaved');
    assert.equal(r.quoted, 'On Mon, Mar 4, 2024 at 9:00 AM Bob <bob@example.com> wrote:\n> Which version?\n\n> Which OS?');
  });

  test('links stay as text, block elements become lines, entities are decoded', () => {
    const html =
      '<p>See <a href="https://example.com/issue/7">the issue</a> &amp; <a href="https://example.com/x">https://example.com/x</a>.</p>' +
      '<ul><li>one</li><li>two</li></ul><p>Caf&eacute;&nbsp;&lt;3</p>';
    const r = trimReply({ html });
    assert.equal(r.replyText, 'See the issue <https://example.com/issue/7> & https://example.com/x.\n\n- one\n- two\n\nCafé <3');
    assert.equal(r.method, 'html');
  });
});

describe('choosing between the text and the HTML part', () => {
  test('the text part is preferred when it is usable', () => {
    const r = trimReply({
      text: 'Plain answer.\n\nOn Mon, Mar 4, 2024 at 9:00 AM Bob <bob@example.com> wrote:\n> question',
      html: '<div>HTML answer.</div><div class="gmail_quote">On Mon… wrote:<blockquote>question</blockquote></div>',
    });
    assert.equal(r.replyText, 'Plain answer.');
    assert.equal(r.method, 'text:trimmer');
  });

  test('an "HTML only" placeholder text part is ignored', () => {
    const r = trimReply({
      text: 'This message is in HTML. Please view it in an HTML-capable mail client.',
      html: '<div>Real answer.</div><blockquote>question</blockquote>',
    });
    assert.equal(r.replyText, 'Real answer.');
    assert.equal(r.method, 'html:blockquote');
  });

  test("Outlook in Russian: the text part's header block is cut", () => {
    const r = trimReply({
      text: 'Да, работает.\n\nОт: Bob\nОтправлено: 4 марта 2024\nКому: Jane\nТема: Проверка\n\nРаботает?',
      html: '<div>Да, работает.</div><div style="border:none;border-top:solid #E1E1E1 1.0pt"><b>От:</b> Bob<br><b>Отправлено:</b> 4 марта 2024<br><b>Кому:</b> Jane</div><div>Работает?</div>',
    });
    assert.equal(r.replyText, 'Да, работает.');
    assert.equal(r.method, 'text:trimmer');
  });

  test('when the text part shows no quote but the HTML does, the HTML decides', () => {
    // A text part that lost the header block (some webmails write only the quoted body there).
    const r = trimReply({
      text: 'Да, работает.\n\nРаботает?',
      html: '<div>Да, работает.</div><div style="border:none;border-top:solid #E1E1E1 1.0pt"><b>От:</b> Bob<br><b>Отправлено:</b> 4 марта 2024<br><b>Кому:</b> Jane</div><div>Работает?</div>',
    });
    assert.equal(r.replyText, 'Да, работает.');
    assert.equal(r.method, 'html:outlook');
  });

  test('no input at all', () => {
    assert.deepEqual(trimReply({}), { replyText: '', quoted: '', method: 'text' });
    assert.deepEqual(trimReply({ text: '  \n', html: ' ' }), { replyText: '', quoted: '', method: 'text' });
  });
});

describe('layer 3: the plain-text trimmer', () => {
  test('top-posting with a signature', () => {
    const text = [
      'Sounds good, I will deploy tonight.',
      '',
      '-- ',
      'Jane Doe',
      'Release Manager, ACME',
      '',
      'On Mon, Mar 4, 2024 at 9:00 AM Bob <bob@example.com> wrote:',
      '> Can you deploy?',
    ].join('\n');
    const r = trimReply({ text });
    assert.equal(r.replyText, 'Sounds good, I will deploy tonight.');
    assert.equal(r.signature, 'Jane Doe\nRelease Manager, ACME');
    assert.equal(r.quoted, 'On Mon, Mar 4, 2024 at 9:00 AM Bob <bob@example.com> wrote:\n> Can you deploy?');
    assert.equal(r.method, 'text:trimmer');
  });

  test('interleaved replies: the answers in order, each quote kept aside as a segment', () => {
    const text = [
      'On Mon, Mar 4, 2024 at 9:00 AM Bob <bob@example.com> wrote:',
      '> Which version are you on?',
      '',
      '2.3.1',
      '',
      '> And which OS?',
      '',
      'Debian 12.',
    ].join('\n');
    const r = trimReply({ text });
    assert.equal(r.replyText, '2.3.1\n\nDebian 12.');
    assert.equal(r.method, 'text:interleaved');
    assert.equal(r.quoted, 'On Mon, Mar 4, 2024 at 9:00 AM Bob <bob@example.com> wrote:\n> Which version are you on?\n\n> And which OS?');
    assert.deepEqual(r.segments, [
      { kind: 'quote', text: 'On Mon, Mar 4, 2024 at 9:00 AM Bob <bob@example.com> wrote:\n> Which version are you on?' },
      { kind: 'reply', text: '2.3.1' },
      { kind: 'quote', text: '> And which OS?' },
      { kind: 'reply', text: 'Debian 12.' },
    ]);
  });

  test('bottom-posting after the whole quote keeps only the answer', () => {
    const text = 'On Mon, Mar 4, 2024 at 9:00 AM Bob <bob@example.com> wrote:\n> Ready?\n> Really?\n\nYes, ready.';
    assert.equal(trimReply({ text }).replyText, 'Yes, ready.');
  });

  test('German "Am … schrieb …:"', () => {
    const text = 'Danke, erledigt.\n\nAm 04.03.2024 um 09:00 schrieb Max Mustermann <max@example.com>:\n> Kannst du das prüfen?';
    const r = trimReply({ text });
    assert.equal(r.replyText, 'Danke, erledigt.');
    assert.match(r.quoted, /^Am 04\.03\.2024 um 09:00 schrieb/);
  });

  test('Outlook "-----Original Message-----" and "From: Sent: To:" headers', () => {
    const text = 'Approved.\n\n-----Original Message-----\nFrom: Bob\nSent: Monday, March 4, 2024 9:00 AM\nTo: Jane\nSubject: Budget\n\nPlease approve.';
    assert.equal(trimReply({ text }).replyText, 'Approved.');
    const bare = 'Approved.\n\nFrom: Bob\nSent: Monday, March 4, 2024 9:00 AM\nTo: Jane\nSubject: Budget\n\nPlease approve.';
    assert.equal(trimReply({ text: bare }).replyText, 'Approved.');
  });

  test('mobile signatures anywhere', () => {
    const r = trimReply({ text: 'On my way.\n\nSent from my iPhone\n\nOn 4 Mar 2024, at 09:00, Bob wrote:\n> Where are you?' });
    assert.equal(r.replyText, 'On my way.');
    assert.equal(r.signature, 'Sent from my iPhone');
  });

  test('a sentence starting "From my" is not a signature', () => {
    const text = 'From my testing, the export fails on large files.';
    assert.equal(trimReply({ text }).replyText, text);
  });

  test('fenced code keeps its "--" and "#" lines', () => {
    const text = 'Try this:\n\n```\n--\n# comment\n```\n\nThanks';
    assert.equal(trimReply({ text }).replyText, text);
  });

  test('CRLF and lone CR line endings', () => {
    assert.equal(trimReply({ text: 'Yes.\r\n\r\nOn Mon, Bob wrote:\r\n> No?' }).replyText, 'Yes.');
    assert.equal(trimReply({ text: 'Yes.\r\rOn Mon, Bob wrote:\r> No?' }).replyText, 'Yes.');
  });
});

describe('splitSignature', () => {
  test('splits at the last "-- " line near the end', () => {
    assert.deepEqual(splitSignature('Hi.\n\n-- \nJane\nACME\n'), { body: 'Hi.', signature: 'Jane\nACME' });
  });

  test('splits trailing mobile signatures', () => {
    assert.deepEqual(splitSignature('Hi.\n\nSent from my iPhone'), { body: 'Hi.', signature: 'Sent from my iPhone' });
  });

  test('leaves a text without signature alone', () => {
    assert.deepEqual(splitSignature('Hi.\n--\n'), { body: 'Hi.\n--\n' });
    assert.deepEqual(splitSignature('Just text'), { body: 'Just text' });
  });
});
