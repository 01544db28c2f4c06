import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { htmlToText } from './htmlToText.js';
import { parseMessageSync } from './parseMessage.js';
import { CORPUS_DIR } from '../../../test/support/corpus.js';

const corpus = CORPUS_DIR;
const maildir = `${corpus}sisimai-bounces/maildir/`;

function files(dir: string, suffix = '.eml'): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith(suffix))
    .sort();
}

describe('talon: replies from 12 real mail clients', () => {
  const dir = `${corpus}talon/standard_replies/`;
  for (const name of files(dir)) {
    test(name, () => {
      const msg = parseMessageSync(readFileSync(dir + name));
      assert.ok(msg.from?.address.includes('@'), 'has a sender');
      assert.match(msg.subject, /test|hello/i);
      // talon's expected reply is "Hello" (Thunderbird posts it below the quote)
      assert.match(msg.text ?? '', /^\s*Hello\b|\n\s*Hello\s*$/);
      assert.ok(!(msg.text ?? '').includes('\ufffd'), 'no undecodable bytes');
      assert.deepEqual(msg.problems, []);
    });
  }

  test('android.eml: base64 UTF-8 body with a Russian quote header', () => {
    const msg = parseMessageSync(readFileSync(`${dir}android.eml`));
    assert.match(msg.text ?? '', /[А-Яа-я]{3,}/);
  });

  test('outlook.eml: ISO-8859-1 text and Word HTML alternatives', () => {
    const msg = parseMessageSync(readFileSync(`${dir}outlook.eml`));
    assert.match(msg.html ?? '', /^<html/);
    assert.match(msg.text ?? '', /From: xxx@xxx\.mailgun\.org/);
  });

  test('thunderbird.eml: format=flowed does not join lines across a quote-depth change', () => {
    const msg = parseMessageSync(readFileSync(`${dir}thunderbird.eml`));
    assert.equal(msg.text, 'On 04/02/2012 06:26 PM, Megan One wrote:\n> Hi \nHello');
  });

  test('HTML replies from 9 clients convert to text that holds the reply', () => {
    const htmlDir = `${corpus}talon/html_replies/`;
    for (const name of files(htmlDir, '.html')) {
      const text = htmlToText(readFileSync(htmlDir + name, 'utf8'));
      assert.ok(text.replace(/\s+/g, '').includes('Hi.Iamfine.Thanks,Alex'), name);
    }
  });
});

describe('sisimai: bounces and auto-replies from 54 MTAs, 20 providers', () => {
  test('every message in every folder parses without throwing', () => {
    let count = 0;
    for (const folder of ['bsd', 'dos', 'mac', 'err', 'not']) {
      for (const name of files(maildir + folder)) {
        const msg = parseMessageSync(readFileSync(`${maildir}${folder}/${name}`));
        assert.ok(msg.headers.size > 0, name);
        count++;
      }
    }
    assert.equal(count, 829);
  });

  // One sample per engine, as the folder names them
  const bsd = files(`${maildir}bsd`);
  const perEngine = new Map<string, string>();
  for (const name of bsd) {
    const engine = name.replace(/-\d+\.eml$/, '');
    if (!perEngine.has(engine)) perEngine.set(engine, name);
  }

  test(`one sample of each of the ${perEngine.size} engines has a subject, a sender or a body`, () => {
    for (const name of perEngine.values()) {
      const msg = parseMessageSync(readFileSync(`${maildir}bsd/${name}`));
      assert.ok(msg.subject !== '' || msg.from !== undefined, name);
      assert.ok((msg.text ?? '').trim() !== '' || msg.attachments.length > 0, `${name} has content`);
    }
  });

  test('RFC 3464 reports expose their delivery-status part', () => {
    let reports = 0;
    let exposed = 0;
    for (const name of bsd) {
      const msg = parseMessageSync(readFileSync(`${maildir}bsd/${name}`));
      if (!/multipart\/report.*delivery-status/is.test(msg.headers.get('content-type')?.[0] ?? '')) continue;
      reports++;
      const found = msg.attachments.some((a) => /^message\/(?:global-)?delivery-status$/.test(a.contentType));
      if (found) exposed++;
      // The 7 that lack it are damaged (MIME stripped, truncated, or never had the part)
      else assert.ok(msg.problems.length > 0, `${name}: a clean report must expose its status`);
    }
    assert.equal(reports, 331);
    assert.ok(exposed >= 324, `${exposed} of ${reports}`);
  });

  test('a report whose declared boundary never appears is split at the one the body uses', () => {
    const msg = parseMessageSync(readFileSync(`${maildir}bsd/rhost-google-02.eml`));
    assert.ok(msg.attachments.some((a) => a.contentType === 'message/delivery-status'));
    assert.match(msg.problems.join('\n'), /no_parts: .*split at "--AA92C1B23442\.1528513261\/mail\.example\.co\.jp"/);
  });

  test('ISO-2022-JP, Shift_JIS and UTF-7 messages decode to Japanese or plain text, not mojibake', () => {
    const msg = parseMessageSync(readFileSync(`${maildir}bsd/lhost-ezweb-07.eml`));
    assert.match(msg.text ?? '', /次のあて先へのメッセージはエラーのため送信できませんでした/);
    const utf7 = bsd.filter((name) => /unicode-1-1-utf-7/i.test(readFileSync(`${maildir}bsd/${name}`, 'latin1')));
    assert.ok(utf7.length > 0);
    for (const name of utf7) {
      const text = parseMessageSync(readFileSync(`${maildir}bsd/${name}`)).text ?? '';
      assert.ok(!/\+AD[wg4]-/.test(text), `${name}: UTF-7 decoded`);
    }
  });

  test('CRLF (dos/) and CR-only (mac/) copies parse exactly like their LF (bsd/) originals', () => {
    let compared = 0;
    for (const folder of ['dos', 'mac']) {
      for (const name of files(maildir + folder)) {
        if (!existsSync(`${maildir}bsd/${name}`)) continue;
        const copy = readFileSync(`${maildir}${folder}/${name}`);
        const original = readFileSync(`${maildir}bsd/${name}`);
        if (copy.toString('latin1').replace(/\r\n?/g, '\n') !== original.toString('latin1')) continue;
        assert.deepEqual(parseMessageSync(copy), parseMessageSync(original), `${folder}/${name}`);
        compared++;
      }
    }
    assert.equal(compared, 112);
  });

  test('every file parses in place (ParseOptions.inPlace) exactly as from a buffer it must not touch', () => {
    let compared = 0;
    for (const folder of ['bsd', 'dos', 'mac']) {
      for (const name of files(maildir + folder)) {
        const raw = readFileSync(`${maildir}${folder}/${name}`);
        const expected = parseMessageSync(raw);
        assert.deepEqual(parseMessageSync(Buffer.from(raw), { inPlace: true }), expected, `${folder}/${name}`);
        compared++;
      }
    }
    assert.ok(compared > 300, `${compared} files`);
  });
});
