import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { renderText } from './htmlToText.js';
import { boundNesting, parseHtml } from './htmlTree.js';

const text = (html: string, quotePrefix = false): string => renderText(parseHtml(html), { quotePrefix });

describe('renderText', () => {
  test('blocks are lines, paragraphs are separated by a blank line, <br> breaks', () => {
    assert.equal(text('<div>a</div><div>b<br>c</div><p>d</p><p>e</p>'), 'a\nb\nc\n\nd\n\ne');
    assert.equal(text('<div>a</div><div><br></div><div>b</div>'), 'a\n\nb');
    assert.equal(text('<div>a<br></div><div>b</div>'), 'a\nb');
  });

  test("Outlook's MsoNormal paragraphs are lines, and &nbsp; paragraphs blank lines", () => {
    const html = '<p class="MsoNormal">a<o:p></o:p></p><p class="MsoNormal"><o:p>&nbsp;</o:p></p><p class="MsoNormal">b</p>';
    assert.equal(text(html), 'a\n\nb');
  });

  test('whitespace collapses outside <pre> and is kept inside', () => {
    assert.equal(text('<p>  a \n  b  </p><pre>x  y\n  z</pre>'), 'a b\n\nx  y\n  z');
  });

  test('styles, scripts, comments and hidden elements are not text', () => {
    assert.equal(text('<style>p{x:y}</style><!-- c --><script>1</script><div style="display: none">pre</div>a'), 'a');
  });

  test('lists and tables', () => {
    assert.equal(text('<ol><li>a</li><li>b</li></ol><table><tr><td>x</td><td>y</td></tr><tr><td>z</td></tr></table>'), '1. a\n2. b\nx y\nz');
  });

  test('quote mode prefixes blockquote levels', () => {
    assert.equal(text('<p>a</p><blockquote><div>b</div><blockquote>c</blockquote><div>d</div></blockquote><p>e</p>', true), 'a\n\n> b\n>> c\n> d\n\ne');
  });

  test('links keep their text, plus the address when the text is not one', () => {
    assert.equal(text('<a href="https://x.example/a">docs</a>'), 'docs <https://x.example/a>');
    assert.equal(text('<a href="https://x.example/a">x.example/a</a>'), 'x.example/a');
    assert.equal(text('<a href="mailto:a@x.example">Ann</a>'), 'Ann');
  });

  test('renders a range in document order', () => {
    const tree = parseHtml('<div>one</div><div>two</div><div>three</div>');
    const two = tree.nodes.findIndex((n) => 'data' in n && n.data === 'two');
    assert.equal(renderText(tree, { to: { index: two, offset: 1 } }), 'one\nt');
    assert.equal(renderText(tree, { from: { index: two, offset: 1 } }), 'wo\nthree');
  });
});

describe('boundNesting', () => {
  test('leaves ordinary mail alone', () => {
    const html = '<html><body><div><p>a<p>b<br><img src=x><table><tr><td>c</table></div><script>"<div>"</script></body></html>';
    assert.equal(boundNesting(html, 5), html);
  });

  test('drops the start and end tags beyond the limit', () => {
    assert.equal(boundNesting('<div><div><div>x</div></div></div>', 2), '<div><div>x</div></div>');
    assert.equal(text(`${'<div>'.repeat(10_000)}deep${'</div>'.repeat(10_000)}after`), 'deep\nafter');
  });
});
