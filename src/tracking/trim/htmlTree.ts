// A parsed HTML body with every node numbered in document order. A cut is then just a position
// in that order: "the quote and everything after it" is every node from the quote's number on,
// so nothing is ever removed from the tree and the cut-off part renders as easily as the rest.
// Traversals are iterative: a hostile body can nest elements deeper than the call stack.

import { type AnyNode, type Element, hasChildren, isTag, isText } from 'domhandler';
import { parseDocument } from 'htmlparser2';
import { MAX_HTML_CHARS, MAX_HTML_DEPTH } from './limits.js';

export interface HtmlTree {
  /** Nodes in document (pre-)order; a node's position is its index here. */
  readonly nodes: readonly AnyNode[];
  readonly position: ReadonlyMap<AnyNode, number>;
  /** For each position, the position just past the node's subtree. */
  readonly subtreeEnd: readonly number[];
}

/**
 * A point in document order: before node `index`, or inside text node `index` before character
 * `offset`.
 */
export interface Boundary {
  readonly index: number;
  readonly offset: number;
}

export function parseHtml(html: string): HtmlTree {
  const head = html.length > MAX_HTML_CHARS ? html.slice(0, MAX_HTML_CHARS) : html;
  const document = parseDocument(boundNesting(head, MAX_HTML_DEPTH), {
    decodeEntities: true,
    lowerCaseTags: true,
    lowerCaseAttributeNames: true,
  });
  const nodes: AnyNode[] = [];
  const position = new Map<AnyNode, number>();
  const subtreeEnd: number[] = [];
  const stack: { node: AnyNode; exit: boolean }[] = [{ node: document, exit: false }];
  while (stack.length > 0) {
    const { node, exit } = stack.pop() as { node: AnyNode; exit: boolean };
    if (exit) {
      subtreeEnd[position.get(node) as number] = nodes.length;
      continue;
    }
    position.set(node, nodes.length);
    nodes.push(node);
    stack.push({ node, exit: true });
    if (hasChildren(node)) {
      for (let i = node.children.length - 1; i >= 0; i--) stack.push({ node: node.children[i] as AnyNode, exit: false });
    }
  }
  return { nodes, position, subtreeEnd };
}

export function classesOf(el: Element): string[] {
  return (el.attribs['class'] ?? '').split(/\s+/).filter((c) => c !== '');
}

export function hasClass(el: Element, name: string): boolean {
  const wanted = name.toLowerCase();
  return classesOf(el).some((c) => c.toLowerCase() === wanted);
}

/** Elements whose content is never shown as message text. */
const INVISIBLE = new Set([
  'head',
  'style',
  'script',
  'title',
  'template',
  'noscript',
  'xml',
  'object',
  'embed',
  'iframe',
  'svg',
  'canvas',
  'video',
  'audio',
  'map',
  'meta',
  'link',
  'base',
]);

export function isInvisible(el: Element): boolean {
  if (INVISIBLE.has(el.name)) return true;
  if (el.attribs['hidden'] !== undefined) return true;
  const style = (el.attribs['style'] ?? '').toLowerCase().replace(/\s+/g, '');
  return style.includes('display:none') || style.includes('mso-hide:all');
}

/**
 * The visible text of a subtree with block boundaries as line breaks, for recognising header
 * blocks. Bounded in characters and in nodes visited, since it may run for many elements.
 */
export function blockText(tree: HtmlTree, el: AnyNode, maxChars = 1_000, maxNodes = 2_000): string {
  const start = tree.position.get(el) as number;
  const end = tree.subtreeEnd[start] as number;
  let out = '';
  let skipUntil = -1;
  for (let i = start, visited = 0; i < end && out.length < maxChars && visited < maxNodes; i++, visited++) {
    if (i < skipUntil) continue;
    const node = tree.nodes[i] as AnyNode;
    if (isText(node)) out += node.data.replace(/[ \t\n\f\r]+/g, ' ');
    else if (isTag(node)) {
      if (isInvisible(node)) skipUntil = tree.subtreeEnd[i] as number;
      else if (node.name === 'br' || BLOCK_BREAKS.has(node.name)) out += '\n';
    }
  }
  return out;
}

/** Block elements and the line breaks they put around their content (2 = a blank line). */
export const BLOCK_BREAKS: ReadonlyMap<string, number> = new Map([
  ['p', 2],
  ['h1', 2],
  ['h2', 2],
  ['h3', 2],
  ['h4', 2],
  ['h5', 2],
  ['h6', 2],
  ['hr', 2],
  ['div', 1],
  ['blockquote', 1],
  ['pre', 1],
  ['ul', 1],
  ['ol', 1],
  ['li', 1],
  ['dl', 1],
  ['dt', 1],
  ['dd', 1],
  ['table', 1],
  ['tr', 1],
  ['caption', 1],
  ['address', 1],
  ['article', 1],
  ['aside', 1],
  ['center', 1],
  ['details', 1],
  ['dialog', 1],
  ['dir', 1],
  ['fieldset', 1],
  ['figcaption', 1],
  ['figure', 1],
  ['footer', 1],
  ['form', 1],
  ['header', 1],
  ['hgroup', 1],
  ['legend', 1],
  ['main', 1],
  ['menu', 1],
  ['nav', 1],
  ['section', 1],
  ['summary', 1],
]);

const VOID_ELEMENTS = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'param', 'source', 'track', 'wbr']);
/** Elements whose end tag may be left out: they do not nest in practice, so they do not count. */
const OPTIONAL_END = new Set(['p', 'li', 'dt', 'dd', 'tr', 'td', 'th', 'option', 'thead', 'tbody', 'tfoot']);
const RAW_TEXT = new Set(['script', 'style', 'textarea', 'title', 'xmp']);

/**
 * Drops the start tags that would open an element deeper than `limit` (and as many end tags
 * after them), by a linear scan that counts nesting the way a lenient parser would. Mail that
 * nests less than `limit` comes back unchanged.
 */
export function boundNesting(html: string, limit: number): string {
  const kept: string[] = [];
  let from = 0;
  let depth = 0;
  let overflow = 0;
  let i = html.indexOf('<');
  while (i !== -1) {
    if (html.startsWith('<!--', i)) {
      const end = html.indexOf('-->', i + 4);
      if (end === -1) break;
      i = html.indexOf('<', end + 3);
      continue;
    }
    const closing = html.charCodeAt(i + 1) === 47; // "/"
    let j = i + (closing ? 2 : 1);
    const nameStart = j;
    while (j < html.length && isNameChar(html.charCodeAt(j))) j++;
    if (j === nameStart) {
      i = html.indexOf('<', i + 1);
      continue;
    }
    const end = html.indexOf('>', j);
    if (end === -1) break; // no tag can end after this point either
    const name = html.slice(nameStart, j).toLowerCase();
    let next = end + 1;
    if (closing) {
      if (overflow > 0) {
        kept.push(html.slice(from, i));
        from = end + 1;
        overflow--;
      } else if (!VOID_ELEMENTS.has(name) && !OPTIONAL_END.has(name)) {
        depth = Math.max(0, depth - 1);
      }
    } else if (RAW_TEXT.has(name)) {
      const rawEnd = new RegExp(`</${name}`, 'gi');
      rawEnd.lastIndex = end + 1;
      next = rawEnd.exec(html) === null ? html.length : rawEnd.lastIndex;
    } else if (!VOID_ELEMENTS.has(name) && !OPTIONAL_END.has(name) && html.charCodeAt(end - 1) !== 47) {
      if (depth >= limit) {
        kept.push(html.slice(from, i));
        from = end + 1;
        overflow++;
      } else {
        depth++;
      }
    }
    i = html.indexOf('<', next);
  }
  if (from === 0) return html;
  kept.push(html.slice(from));
  return kept.join('');
}

function isNameChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 45 || c === 58;
}
