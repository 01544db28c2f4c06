import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeHtmlEntities, htmlToText } from './htmlToText.js';

test('block elements become line breaks, hidden elements disappear', () => {
  assert.equal(
    htmlToText('<head><title>t</title></head><script>x()</script><p>One</p><ul><li>two</li><li>three</li></ul><table><tr><td>a</td><td>b</td></tr></table>'),
    'One\n\ntwo\nthree\n\na b',
  );
});

test('entities, named and numeric', () => {
  assert.equal(decodeHtmlEntities('&lt;a&gt; &amp;&nbsp;&#233;&#x2713;&unknown; &#xD800;'), '<a> & é✓&unknown; &#xD800;');
});

test('hostile markup stays linear: unclosed comments, styles and tags', () => {
  const hostile = '<!--'.repeat(20_000) + '<style>'.repeat(20_000) + '<'.repeat(100_000) + '<b>'.repeat(100_000);
  // An unclosed comment swallows the rest, as in a browser; stray '<' are text. (Linear cost is
  // by construction: removeHidden scans with indexOf, never a lazy regex.)
  assert.equal(htmlToText(hostile), '');
  assert.equal(htmlToText('<'.repeat(200_000) + 'text'), '<'.repeat(200_000) + 'text');
});
