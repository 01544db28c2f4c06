import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sanitizeEmailHtml, sanitizeOutboundHtml } from './sanitizeHtml.js';

test('scripts, event handlers, javascript: URLs, frames, forms and style sheets are removed', () => {
  const out = sanitizeEmailHtml(
    `<style>p{background:url(https://x/y)}</style><script>alert(1)</script><p onclick="x()" onmouseover="y()">Hi</p>` +
      `<a href="javascript:alert(1)">a</a><a href="JaVaScRiPt:alert(1)">b</a><a href="java&#x09;script:alert(1)">c</a>` +
      `<a href="vbscript:msgbox(1)">d</a><a href="data:text/html;base64,PHNjcmlwdD4=">e</a>` +
      `<iframe src="https://evil"></iframe><object data="x"></object><embed src="x"><form><input name="a"></form><svg><script>1</script></svg>`,
  );
  for (const bad of [
    '<script',
    'alert',
    'onclick',
    'onmouseover',
    'javascript',
    'vbscript',
    'data:text',
    '<iframe',
    '<object',
    '<embed',
    '<form',
    '<input',
    '<svg',
    '<style',
    'url(',
  ]) {
    assert.ok(!out.toLowerCase().includes(bad), `${bad} survived: ${out}`);
  }
  assert.match(out, /<p>Hi<\/p>/);
});

test('remote images are blocked but remembered; cid images point at the stored attachment; small data images stay', () => {
  const out = sanitizeEmailHtml(
    '<img src="https://t.example/p.gif"><img src="//t.example/q.gif"><img src="cid:part1@x" alt="logo"><img src="cid:unknown@x"><img src="data:image/png;base64,AAAA">',
    { cidUrls: new Map([['part1@x', '/api/v1/emails/E/attachments/A']]) },
  );
  assert.match(out, /<img data-blocked-src="https:\/\/t\.example\/p\.gif" \/>/);
  assert.match(out, /<img data-blocked-src="\/\/t\.example\/q\.gif" \/>/);
  assert.match(out, /<img alt="logo" src="\/api\/v1\/emails\/E\/attachments\/A" \/>/);
  assert.match(out, /<img \/>/, 'an unknown cid loads nothing');
  assert.match(out, /src="data:image\/png;base64,AAAA"/);
  assert.doesNotMatch(out, /(?<!-)src="(https?:)?\/\//);
});

test('links open outside the app without a referrer; safe inline styles stay, url() styles go', () => {
  const out = sanitizeEmailHtml('<a href="https://example.org/x">x</a><p style="color: red; background-image: url(https://t/p.png); font-weight: bold">s</p>');
  assert.match(out, /<a href="https:\/\/example\.org\/x" target="_blank" rel="noopener noreferrer nofollow">x<\/a>/);
  assert.match(out, /style="color:red;font-weight:bold"/);
});

test('outbound HTML keeps its images (cid:, https, data:) and loses the same hostile markup as inbound', () => {
  const out = sanitizeOutboundHtml(
    '<img src="cid:logo@x" alt="l"><img src="https://example.org/logo.png"><img src="javascript:alert(1)" alt="j"><img src="/relative.png" alt="r">' +
      '<a href="javascript:alert(2)">j</a><p onclick="alert(3)" style="color: red; width: expression(alert(4))">p</p><script>alert(5)</script>',
  );
  assert.match(out, /<img alt="l" src="cid:logo@x" \/>/);
  assert.match(out, /<img src="https:\/\/example\.org\/logo\.png" \/>/);
  assert.match(out, /<img alt="j" \/>/);
  assert.match(out, /<img alt="r" \/>/);
  assert.doesNotMatch(out, /javascript|alert|onclick|expression|script|data-blocked-src/i);
  assert.match(out, /<p style="color:red">p<\/p>/);
});
