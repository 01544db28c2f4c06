// Scenario tests on the two corpora (see their READMEs under test/fixtures/corpus/):
// Discourse's email_reply_trimmer fixtures (plain text) and talon's real client replies
// (.eml and HTML). Each suite prints its pass rate and the names of the failures, and asserts
// the rate reached so far, so that a regression fails the build.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { simpleParser } from 'mailparser';
import { trimPlainText, trimReply } from './index.js';
import { isEmbeddedLine } from './lineMatchers.js';
import { CORPUS_DIR } from '../../../test/support/corpus.js';

const corpus = pathToFileURL(CORPUS_DIR);
const trimmerDir = new URL('email-reply-trimmer/', corpus);
const talonDir = new URL('talon/', corpus);

const read = (dir: URL, name: string): string => readFileSync(new URL(name, dir), 'utf8');
/** The README's rule: strip both sides; line endings normalised. */
const normalise = (s: string): string => s.replace(/\r\n/g, '\n').trim();
const squash = (s: string): string => s.replace(/\s+/g, '');
/**
 * What the person typed in upstream's expected output. Upstream keeps the quotes of a reply
 * written below or between them (3 of the 64: embedded_email_7, embedded_email_16,
 * quote_and_text); replyText holds only the person's lines, the quotes go to `quoted`.
 */
const ownLines = (s: string): string => {
  const lines = normalise(s).split('\n');
  const own = lines.filter((line) => !/^\s*>/.test(line));
  // Nothing but a quote: the person typed nothing, and upstream's whole text stands.
  if (own.length === lines.length || own.every((l) => l.trim() === '')) return normalise(s);
  return own
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
};

function report(suite: string, total: number, failures: readonly string[]): number {
  const rate = (total - failures.length) / total;
  console.log(`${suite}: ${total - failures.length}/${total} (${(rate * 100).toFixed(1)}%)`);
  if (failures.length > 0) console.log(`  failing: ${failures.join(', ')}`);
  return rate;
}

describe('email_reply_trimmer corpus', () => {
  const names = readdirSync(new URL('emails/', trimmerDir)).sort();

  test('has its 64 fixtures', () => {
    assert.equal(names.length, 64);
  });

  test('trimPlainText gives the trimmed/ file (the port is faithful)', () => {
    const failures = names.filter((name) => {
      const { trimmed } = trimPlainText(read(new URL('emails/', trimmerDir), name));
      return normalise(trimmed) !== normalise(read(new URL('trimmed/', trimmerDir), name));
    });
    const rate = report('email_reply_trimmer trimmed (trimPlainText)', names.length, failures);
    assert.ok(rate >= 1, `pass rate ${rate}`);
  });

  test("trimReply({ text }) gives the person's lines of the trimmed/ file", () => {
    const failures = names.filter((name) => {
      const { replyText } = trimReply({ text: read(new URL('emails/', trimmerDir), name) });
      return normalise(replyText) !== ownLines(read(new URL('trimmed/', trimmerDir), name));
    });
    const rate = report('email_reply_trimmer trimmed (trimReply, own lines)', names.length, failures);
    assert.ok(rate >= 1, `pass rate ${rate}`);
  });

  test('trimPlainText gives the elided/ file as what was cut', () => {
    const failures = names.filter((name) => {
      const { elided } = trimPlainText(read(new URL('emails/', trimmerDir), name));
      return normalise(elided) !== normalise(read(new URL('elided/', trimmerDir), name));
    });
    const rate = report('email_reply_trimmer elided', names.length, failures);
    assert.ok(rate >= 1, `pass rate ${rate}`);
  });

  test('keeps what it cuts: reply, quoted and signature hold every line of the input', () => {
    for (const name of names) {
      const input = read(new URL('emails/', trimmerDir), name);
      const r = trimReply({ text: input });
      const out = squash(r.replyText + r.quoted + (r.signature ?? ''));
      // Preprocessing rewrites quote prefixes ("Richard>" → ">"); the "-- " signature
      // separator itself is the one line dropped on purpose.
      for (const line of input.replace(/\r\n/g, '\n').split('\n')) {
        if (/^--\s*$/.test(line)) continue;
        const core = squash(line.replace(/^[\s\p{Alphabetic}]*[>|]+/u, ''));
        assert.ok(out.includes(core), `${name}: lost line ${JSON.stringify(line)}`);
      }
    }
  });

  test('the backtracking guard fixture is no embedded email', () => {
    const text = read(new URL('matchers/', trimmerDir), 'does_not_contain_embedded_email.txt');
    for (const line of [text, ...text.split('\n')]) assert.equal(isEmbeddedLine(line), false, line);
    assert.equal(trimPlainText(text).cut, false);
  });
});

describe('talon corpus', () => {
  const replies = new URL('standard_replies/', talonDir);
  const htmlReplies = new URL('html_replies/', talonDir);

  test('standard_replies/*.eml: the text part trims to "Hello"', async () => {
    const names = readdirSync(replies)
      .filter((n) => n.endsWith('.eml'))
      .sort();
    assert.equal(names.length, 12);
    const failures: string[] = [];
    for (const name of names) {
      const mail = await simpleParser(readFileSync(new URL(name, replies)));
      const r = trimReply({ text: mail.text, html: typeof mail.html === 'string' ? mail.html : undefined });
      // We cut signatures too, so iphone's and sparrow's expected *_reply_text is just "Hello".
      if (normalise(r.replyText) !== 'Hello') failures.push(name);
    }
    const rate = report('talon standard_replies', names.length, failures);
    assert.ok(rate >= 1, `pass rate ${rate}`);
  });

  test('the signatures talon keeps in iphone and sparrow come back as signature', async () => {
    for (const name of ['iphone', 'sparrow']) {
      const mail = await simpleParser(readFileSync(new URL(`${name}.eml`, replies)));
      const r = trimReply({ text: mail.text });
      const upstream = normalise(readFileSync(new URL(`${name}_reply_text`, replies), 'utf8'));
      assert.equal(squash(upstream), squash(`Hello${name === 'sparrow' ? '--' : ''}${r.signature ?? ''}`));
    }
  });

  test('html_replies/*.html: the reply is "Hi. I am fine. Thanks, Alex"', () => {
    const names = readdirSync(htmlReplies)
      .filter((n) => n.endsWith('.html'))
      .sort();
    assert.equal(names.length, 9);
    const failures = names.filter((name) => squash(trimReply({ html: read(htmlReplies, name) }).replyText) !== 'Hi.Iamfine.Thanks,Alex');
    const rate = report('talon html_replies', names.length, failures);
    assert.ok(rate >= 1, `pass rate ${rate}`);
  });

  test('OLK_SRC_BODY_SECTION.html (Outlook for Mac) reduces to "Reply"', () => {
    const r = trimReply({ html: read(talonDir, 'OLK_SRC_BODY_SECTION.html') });
    assert.equal(r.replyText, 'Reply');
    assert.match(r.quoted, /^From: Bob/);
  });

  test('reply-separated-by-hr.html: the From: block after <hr> is cut', () => {
    const r = trimReply({ html: read(talonDir, 'reply-separated-by-hr.html') });
    // talon also drops "Bob", as collateral of removing the <div> holding the <hr>; we keep the
    // sender's sign-off, as the other fixtures keep "Thanks, Alex".
    assert.equal(r.replyText, 'Hi\nthere\nBob');
    assert.match(r.quoted, /^From: bob@example.com\nTo: /);
  });

  test('reply-quotations-share-block.eml: Yahoo "--- On … wrote:" then a forwarded block', async () => {
    const mail = await simpleParser(readFileSync(new URL('reply-quotations-share-block.eml', talonDir)));
    const r = trimReply({ text: mail.text, html: typeof mail.html === 'string' ? mail.html : undefined });
    assert.match(r.replyText, /^Hi Katharine\.\s+Sounds great\./);
    assert.match(r.replyText, /Joe XXX$/);
    assert.doesNotMatch(r.replyText, /From/);
  });
});
