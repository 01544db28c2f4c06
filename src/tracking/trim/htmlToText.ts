// Renders a range of an HTML tree as plain text: block elements become line breaks, <br> a
// break, links their text (plus the address when the text is not one), entities decoded
// (by the parser), and - in quote mode - each <blockquote> level a "> " prefix, so that the
// plain-text trimmer can read interleaved HTML replies the way it reads text ones.

import { type AnyNode, type Element, isTag, isText } from 'domhandler';
import { BLOCK_BREAKS, type Boundary, hasClass, type HtmlTree, isInvisible } from './htmlTree.js';

export interface RenderRange {
  readonly from?: Boundary;
  readonly to?: Boundary;
  /** Prefix the lines inside <blockquote> with ">" per level. */
  readonly quotePrefix?: boolean;
}

export function renderText(tree: HtmlTree, range: RenderRange = {}): string {
  const from = range.from ?? { index: 0, offset: 0 };
  const to = range.to ?? { index: tree.nodes.length, offset: 0 };
  const out = new TextWriter(range.quotePrefix ?? false);
  const links = new Map<Element, string>();
  const listItems = new Map<AnyNode, number>();
  let preDepth = 0;
  const inRange = (index: number): boolean => (index > from.index || (index === from.index && from.offset === 0)) && index < to.index;

  // exits[i] lists the elements whose subtree ends right before position i.
  const exits = new Map<number, Element[]>();
  for (let i = 0; i < tree.nodes.length && i <= to.index; i++) {
    const pending = exits.get(i);
    if (pending !== undefined) {
      for (let k = pending.length - 1; k >= 0; k--) leave(pending[k] as Element);
      exits.delete(i);
    }
    const node = tree.nodes[i] as AnyNode;
    if (isText(node)) {
      if (i < from.index || i > to.index) continue;
      const lo = i === from.index ? from.offset : 0;
      const hi = i === to.index ? to.offset : node.data.length;
      if (hi > lo) out.text(node.data.slice(lo, hi), preDepth > 0);
      continue;
    }
    if (!isTag(node)) continue;
    const end = tree.subtreeEnd[i] as number;
    if (isInvisible(node)) {
      i = end - 1;
      continue;
    }
    enter(node, inRange(i));
    const list = exits.get(end);
    if (list === undefined) exits.set(end, [node]);
    else list.push(node);
  }
  for (const pending of [...exits.entries()].sort((a, b) => a[0] - b[0])) {
    for (let k = pending[1].length - 1; k >= 0; k--) leave(pending[1][k] as Element);
  }
  return out.finish();

  function enter(el: Element, visible: boolean): void {
    const breaks = blockBreaks(el);
    if (breaks > 0) out.requestBreak(breaks);
    switch (el.name) {
      case 'br':
        if (visible) out.lineBreak();
        break;
      case 'blockquote':
        out.depth++;
        break;
      case 'pre':
        preDepth++;
        break;
      case 'li':
        if (el.parent !== null && isTag(el.parent) && el.parent.name === 'ol') {
          const n = (listItems.get(el.parent) ?? 0) + 1;
          listItems.set(el.parent, n);
          if (visible) out.text(`${n}. `, true);
        } else if (visible) {
          out.text('- ', true);
        }
        break;
      case 'td':
      case 'th':
        out.softSpace();
        break;
      default:
        break;
    }
    if (el.name === 'a' && visible) links.set(el, linkSuffix(tree, el));
  }

  function leave(el: Element): void {
    const suffix = links.get(el);
    if (suffix !== undefined && suffix !== '') out.text(suffix, false);
    if (el.name === 'blockquote') out.depth--;
    if (el.name === 'pre') preDepth--;
    const breaks = blockBreaks(el);
    if (breaks > 0) out.requestBreak(breaks);
  }
}

/** Outlook writes every line as <p class=MsoNormal> with no margin: a line, not a paragraph. */
function blockBreaks(el: Element): number {
  const breaks = BLOCK_BREAKS.get(el.name) ?? 0;
  return breaks === 2 && el.name === 'p' && hasClass(el, 'MsoNormal') ? 1 : breaks;
}

/** " <url>" when a link's text does not already show where it goes. */
function linkSuffix(tree: HtmlTree, a: Element): string {
  const href = (a.attribs['href'] ?? '').trim();
  if (!/^(?:https?|ftp):\/\//i.test(href)) return '';
  const text = linkText(tree, a).trim();
  if (text === '' || /^(?:[a-z]+:\/\/|www\.)|^[^\s@]+@[^\s@]+$|^[\w-]+(?:\.[\w-]+)+(?:\/\S*)?$/i.test(text)) return '';
  return ` <${href}>`;
}

function linkText(tree: HtmlTree, a: Element): string {
  const start = tree.position.get(a) as number;
  const end = Math.min(tree.subtreeEnd[start] as number, start + 200);
  let text = '';
  for (let i = start + 1; i < end && text.length < 500; i++) {
    const node = tree.nodes[i] as AnyNode;
    if (isText(node)) text += node.data;
  }
  return text.replace(/[\s\u00a0]+/g, ' ');
}

/**
 * Builds lines from text and break requests. A block asks for a break before the next text;
 * requests only take effect when text follows, so empty blocks leave no trace and blank lines
 * never pile up. <br> breaks at once, as a browser does.
 */
class TextWriter {
  depth = 0;
  private readonly lines: string[] = [];
  private line = '';
  private lineDepth = 0;
  private lastTextDepth = 0;
  private started = false;
  private breaksSinceText = 0;
  private pendingBreaks = 0;
  private pendingSpace = false;

  constructor(private readonly quotePrefix: boolean) {}

  requestBreak(n: number): void {
    if (this.started) this.pendingBreaks = Math.max(this.pendingBreaks, n);
  }

  lineBreak(): void {
    this.started = true;
    this.flushBreaks();
    this.newline();
  }

  softSpace(): void {
    this.pendingSpace = true;
  }

  text(data: string, preformatted: boolean): void {
    if (preformatted) {
      const parts = data.split('\n');
      parts.forEach((part, i) => {
        if (i > 0) this.lineBreak();
        if (part !== '') this.write(part);
      });
      return;
    }
    const words = data.split(/[ \t\n\f\r]+/);
    words.forEach((word, i) => {
      if (i > 0) this.pendingSpace = true;
      if (word !== '') this.write(word);
    });
  }

  finish(): string {
    this.lines.push(this.render(this.line, this.lineDepth));
    return this.lines.join('\n');
  }

  private write(word: string): void {
    this.started = true;
    this.flushBreaks();
    if (this.line === '') this.lineDepth = this.depth;
    else if (this.pendingSpace) this.line += ' ';
    this.line += word;
    this.pendingSpace = false;
    this.breaksSinceText = 0;
  }

  private flushBreaks(): void {
    while (this.breaksSinceText < this.pendingBreaks) this.newline();
    this.pendingBreaks = 0;
  }

  private newline(): void {
    // A blank line between two quote levels belongs to the outer one.
    const depth = this.line === '' ? Math.min(this.lastTextDepth, this.depth) : this.lineDepth;
    if (this.line !== '') this.lastTextDepth = this.lineDepth;
    this.lines.push(this.render(this.line, depth));
    this.line = '';
    this.lineDepth = this.depth;
    this.breaksSinceText++;
    this.pendingSpace = false;
  }

  private render(line: string, depth: number): string {
    const text = line.replace(/\u00a0/g, ' ').trimEnd();
    if (!this.quotePrefix || depth <= 0) return text;
    return '>'.repeat(depth) + (text === '' ? '' : ` ${text}`);
  }
}
