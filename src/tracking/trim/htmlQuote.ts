// Layer 2: the quote markers that mail clients write into HTML. The first marker in document
// order decides where the quote begins; that element and everything after it are cut.
// Markers that wrap the whole quote (Gmail, Yahoo, blockquotes) are skipped when new text
// follows them, since that is a bottom-posted or interleaved reply; the caller then renders
// the blockquotes as "> " lines and lets the plain-text trimmer decide, as for a text reply.
// Header-block markers (Outlook) have the quoted message after them, so nothing may follow.

import { type AnyNode, type Element, isTag, isText } from 'domhandler';
import { blockText, type Boundary, classesOf, hasClass, type HtmlTree, isInvisible } from './htmlTree.js';
import { isAttributionText } from './attribution.js';
import { isEmbeddedLine, isSignatureLine } from './lineMatchers.js';

export type HtmlQuoteKind = 'gmail' | 'outlook' | 'apple' | 'thunderbird' | 'yahoo' | 'zimbra' | 'proton' | 'blockquote';

export interface HtmlQuoteCut {
  readonly kind: HtmlQuoteKind;
  /** Where the cut begins: the marker element, or the separator or header just before it. */
  readonly start: number;
}

interface Marker {
  readonly kind: HtmlQuoteKind;
  /** The marker wraps the quote, so text after it is the sender's own. */
  readonly wraps: boolean;
}

/** Finds where the quoted part starts, looking only before `limit` (our own marker's place). */
export function findQuoteCut(tree: HtmlTree, limit: number): HtmlQuoteCut | null {
  const ownText = new OwnTextScanner(tree, limit);
  for (let i = 0; i < Math.min(limit, tree.nodes.length); i++) {
    const node = tree.nodes[i] as AnyNode;
    if (!isTag(node)) continue;
    if (isInvisible(node)) {
      i = (tree.subtreeEnd[i] as number) - 1;
      continue;
    }
    const marker = classify(tree, node);
    if (marker === null) continue;
    const regionEnd = quoteRegionEnd(tree, node);
    if (marker.wraps && ownText.after(ownTextFrom(tree, i, regionEnd))) {
      i = regionEnd - 1;
      continue;
    }
    return { kind: marker.kind, start: extendBackwards(tree, node, marker.kind) };
  }
  return null;
}

const OUTLOOK_IDS = new Set([
  'divrplyfwdmsg',
  'x_divrplyfwdmsg',
  'appendonsend',
  'x_appendonsend',
  'olk_src_body_section',
  'mail-editor-reference-message-container',
  'stopspelling',
  'x_stopspelling',
]);

function classify(tree: HtmlTree, el: Element): Marker | null {
  const classes = classesOf(el).map((c) => c.toLowerCase());
  const id = (el.attribs['id'] ?? '').toLowerCase();
  if (classes.includes('gmail_quote') || classes.includes('gmail_quote_container') || classes.includes('gmail_attr')) {
    return { kind: 'gmail', wraps: true };
  }
  if (OUTLOOK_IDS.has(id)) return { kind: 'outlook', wraps: false };
  if (el.name === 'hr' && el.attribs['data-marker'] === '__DIVIDER__') return { kind: 'zimbra', wraps: false };
  if (classes.includes('moz-cite-prefix') || classes.includes('moz-forward-container')) {
    return { kind: 'thunderbird', wraps: true };
  }
  if (classes.includes('yahoo_quoted') || id.startsWith('yahoo_quoted')) return { kind: 'yahoo', wraps: true };
  if (classes.includes('protonmail_quote')) return { kind: 'proton', wraps: true };
  if (el.name === 'div' && hasBorderTop(el) && startsWithHeader(blockText(tree, el))) {
    return { kind: 'outlook', wraps: false };
  }
  if (classes.includes('msonormal') && isHeaderBlock(blockText(tree, el))) return { kind: 'outlook', wraps: false };
  if (el.name === 'blockquote') {
    return { kind: (el.attribs['type'] ?? '').toLowerCase() === 'cite' ? 'apple' : 'blockquote', wraps: true };
  }
  return null;
}

/**
 * Where to look for the sender's text after a wrapping marker: after its region, or — for a
 * container such as Gmail's div.gmail_quote, which holds the answers typed between its
 * blockquotes — after the first blockquote inside it.
 */
function ownTextFrom(tree: HtmlTree, at: number, regionEnd: number): number {
  const el = tree.nodes[at] as Element;
  if (el.name === 'blockquote') return regionEnd;
  for (let k = at + 1; k < regionEnd; k++) {
    const n = tree.nodes[k] as AnyNode;
    if (isTag(n) && n.name === 'blockquote') return tree.subtreeEnd[k] as number;
  }
  return regionEnd;
}

function hasBorderTop(el: Element): boolean {
  return (el.attribs['style'] ?? '').toLowerCase().replace(/\s+/g, '').includes('border-top');
}

// Header labels of quoted-message blocks, as Outlook and webmails write them in their UI
// language. Upstream's EmailHeaderMatcher lists, plus Russian, Polish, Czech and Japanese.
const FROM_LABELS = ['from', 'von', 'de', 'da', 'van', 'fra', 'från', 'od', 'от', 'kimden', 'lähettäjä', 'feladó', 'expéditeur', '发件人', '寄件者', '差出人'];
const OTHER_LABELS = [
  'sent',
  'date',
  'to',
  'cc',
  'subject',
  'reply-to',
  'gesendet',
  'datum',
  'an',
  'betreff',
  'envoyé',
  'à',
  'objet',
  'enviado',
  'enviada em',
  'fecha',
  'para',
  'asunto',
  'assunto',
  'data',
  'a',
  'oggetto',
  'verzonden',
  'aan',
  'onderwerp',
  'sendt',
  'til',
  'emne',
  'skickat',
  'till',
  'ämne',
  'wysłano',
  'do',
  'temat',
  'отправлено',
  'дата',
  'кому',
  'тема',
  'копия',
  'odesláno',
  'komu',
  'předmět',
  '发送时间',
  '收件人',
  '主题',
  '日付',
  '宛先',
  '件名',
];
const LABEL = (labels: readonly string[]): RegExp => new RegExp(`^[\\s*\\u00a0]*(${labels.join('|')})[\\s*\\u00a0]*:`, 'iu');
const FROM_LINE = LABEL(FROM_LABELS);
const OTHER_LINE = LABEL(OTHER_LABELS);

function headerLines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

/** "From: …" then at least two more header lines: a quoted message's header block. */
function isHeaderBlock(text: string): boolean {
  const lines = headerLines(text);
  if (lines.length === 0 || !FROM_LINE.test(lines[0] as string)) return false;
  const seen = new Set<string>();
  for (const line of lines.slice(1, 12)) {
    const m = OTHER_LINE.exec(line);
    if (m !== null) seen.add((m[1] as string).toLowerCase());
  }
  return seen.size >= 2;
}

/** A bordered block opening with a header label: Outlook's separator above the quoted header. */
function startsWithHeader(text: string): boolean {
  const first = headerLines(text)[0];
  return first !== undefined && (FROM_LINE.test(first) || OTHER_LINE.test(first));
}

/**
 * Where a wrapping marker's quote ends. Thunderbird's and Gmail's attribution lines are
 * separate elements followed by the <blockquote>, which belongs to the same quote.
 */
function quoteRegionEnd(tree: HtmlTree, el: Element): number {
  const own = tree.subtreeEnd[tree.position.get(el) as number] as number;
  const classes = classesOf(el).map((c) => c.toLowerCase());
  if (!classes.includes('moz-cite-prefix') && !classes.includes('gmail_attr')) return own;
  const next = nextSignificantSibling(el);
  return next !== null && isTag(next) && next.name === 'blockquote' ? (tree.subtreeEnd[tree.position.get(next) as number] as number) : own;
}

/**
 * Whether the sender wrote something after the quote: a text outside any blockquote that is not
 * blank, not another quote header and not a signature ("-- " block, "Sent from my …"). Whether a
 * text node decides this depends on that node alone, so one scan answers every later question
 * that starts before the node it stopped at: checking many quotes in a row stays linear.
 */
class OwnTextScanner {
  private scannedFrom = Number.POSITIVE_INFINITY;
  private stoppedAt = -1;
  private answer = false;

  constructor(
    private readonly tree: HtmlTree,
    private readonly limit: number,
  ) {}

  after(from: number): boolean {
    if (from >= this.scannedFrom && from <= this.stoppedAt) return this.answer;
    this.scannedFrom = from;
    [this.stoppedAt, this.answer] = this.scan(from);
    return this.answer;
  }

  private scan(from: number): [number, boolean] {
    const { tree } = this;
    const to = Math.min(this.limit, tree.nodes.length);
    if (from >= to) return [to, false];
    // Ends of the blockquotes open at `from`, innermost last.
    const open: number[] = [];
    for (let p = (tree.nodes[from] as AnyNode).parent; p !== null; p = p.parent) {
      if (isTag(p) && p.name === 'blockquote') open.unshift(tree.subtreeEnd[tree.position.get(p) as number] as number);
    }
    for (let i = from; i < to; i++) {
      while (open.length > 0 && (open[open.length - 1] as number) <= i) open.pop();
      const node = tree.nodes[i] as AnyNode;
      if (isTag(node)) {
        if (isInvisible(node)) i = (tree.subtreeEnd[i] as number) - 1;
        else if (node.name === 'blockquote') open.push(tree.subtreeEnd[i] as number);
        continue;
      }
      if (!isText(node) || open.length > 0) continue;
      const line = node.data.replace(/[\s\u00a0]+/g, ' ').trim();
      if (/^--$/.test(line)) return [i, false];
      if (line === '' || line.startsWith('>') || isAttributionText(line) || isSignatureLine(line)) continue;
      return [i, true];
    }
    return [to, false];
  }
}

/**
 * Moves the cut back over what belongs to the quote but sits before the marker: the <hr> that
 * Outlook draws above its header block, and the "On … wrote:" line above a <blockquote>.
 */
function extendBackwards(tree: HtmlTree, el: Element, kind: HtmlQuoteKind): number {
  const own = tree.position.get(el) as number;
  const prev = previousSignificantSibling(el);
  if (prev === null) return own;
  if (kind === 'outlook' && isRuleOnly(tree, prev)) return tree.position.get(prev) as number;
  if (kind === 'apple' || kind === 'blockquote') {
    // Only a sibling that is nothing but the header line; a longer one holds reply text too,
    // and the plain-text trimmer will take its last line off.
    const lines = isText(prev) ? [prev.data.trim()] : headerLines(blockText(tree, prev, 400, 200));
    const line = (lines[0] ?? '').replace(/[\s\u00a0]+/g, ' ');
    if (lines.length === 1 && line.length < 400 && isEmbeddedLine(line)) return tree.position.get(prev) as number;
  }
  return own;
}

/** An <hr>, or an element holding nothing visible but an <hr> (Outlook 2003). */
function isRuleOnly(tree: HtmlTree, node: AnyNode): boolean {
  if (!isTag(node)) return false;
  if (node.name === 'hr') return true;
  const start = tree.position.get(node) as number;
  const end = tree.subtreeEnd[start] as number;
  let rule = false;
  for (let i = start + 1; i < end && i < start + 50; i++) {
    const n = tree.nodes[i] as AnyNode;
    if (isText(n) && n.data.replace(/[\s\u00a0]+/g, '') !== '') return false;
    if (isTag(n) && n.name === 'hr') rule = true;
  }
  return rule;
}

function isInsignificant(node: AnyNode): boolean {
  if (isText(node)) return node.data.replace(/[\s\u00a0]+/g, '') === '';
  if (isTag(node)) return node.name === 'br' || hasClass(node, 'Apple-interchange-newline');
  return true;
}

function previousSignificantSibling(node: AnyNode): AnyNode | null {
  let prev = node.prev;
  for (let steps = 0; prev !== null && steps < 20 && isInsignificant(prev); steps++) prev = prev.prev;
  return prev !== null && !isInsignificant(prev) ? prev : null;
}

function nextSignificantSibling(node: AnyNode): AnyNode | null {
  let next = node.next;
  for (let steps = 0; next !== null && steps < 20 && isInsignificant(next); steps++) next = next.next;
  return next !== null && !isInsignificant(next) ? next : null;
}

/**
 * Where our own marker sits in the HTML outside any <blockquote>, found in one text node; null
 * when it is not. A marker inside a blockquote is quote like the rest of it: the answer may
 * follow the blockquote (Thunderbird's and Apple Mail's bottom-posting).
 */
export function findMarker(tree: HtmlTree, pattern: RegExp): Boundary | null {
  for (let i = 0; i < tree.nodes.length; i++) {
    const node = tree.nodes[i] as AnyNode;
    if (isTag(node) && node.name === 'blockquote') {
      i = (tree.subtreeEnd[i] as number) - 1;
      continue;
    }
    if (!isText(node)) continue;
    const m = pattern.exec(node.data);
    if (m !== null) return { index: i, offset: m.index };
  }
  return null;
}
