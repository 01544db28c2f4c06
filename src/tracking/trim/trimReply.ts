// The layered reply trimmer. Each layer only sees what the layers before it kept, and every
// cut-off piece is kept for the "show quoted text" view:
//   1. our own marker line (and the "On … wrote:" header just above it);
//   2. for HTML, the quote markers mail clients write (htmlQuote.ts), then HTML → text;
//   3. the quote structure (quoteStructure.ts): when the person wrote below or between quotes,
//      their lines in order;
//   4. otherwise the plain-text trimmer ported from email_reply_trimmer (trimPlainText.ts).
// The text part is preferred, as Discourse and GitLab do: it is what the sender's client meant
// as plain text, and the corpora are plain text. HTML is used when there is no usable text part,
// or when the text part let nothing be cut while the HTML shows a quote.

import type { Boundary, HtmlTree } from './htmlTree.js';
import { hasClass, parseHtml } from './htmlTree.js';
import { type AnyNode, isTag } from 'domhandler';
import { findMarker, findQuoteCut, type HtmlQuoteKind } from './htmlQuote.js';
import { renderText } from './htmlToText.js';
import { MAX_TEXT_CHARS } from './limits.js';
import { attributionStart, cutTextAtMarker, markerPattern } from './marker.js';
import { normalizeNewlines } from './preprocess.js';
import { isAttributionText } from './attribution.js';
import { readQuoteStructure, type ReplySegment } from './quoteStructure.js';
import { rubyStrip } from './regexParts.js';
import { trimPlainText } from './trimPlainText.js';

export type { ReplySegment } from './quoteStructure.js';

export interface TrimInput {
  /** The text/plain part, decoded. */
  readonly text?: string;
  /** The text/html part, decoded. */
  readonly html?: string;
  /** Our own "type your reply above this line" marker, as it was sent. */
  readonly marker?: string;
}

export interface TrimResult {
  /** The new part of the reply. */
  readonly replyText: string;
  /** What was cut as quoted (headers, quotes, forwarded mail), for "show quoted text". */
  readonly quoted: string;
  /** The sender's signature, when one was recognised and cut. */
  readonly signature?: string;
  /**
   * For a bottom-posted or interleaved reply: the body in order as the person's lines and the
   * quoted blocks they answer (attribution included), so a reader can show each question
   * above its answer. Absent for top-posted replies and replies without a quote.
   */
  readonly segments?: readonly ReplySegment[];
  /**
   * Which source was read and what cut it: `text` or `html`, then after a colon the cuts in
   * order, joined by "+": `marker`, an HTML quote kind (`gmail`, `outlook`, `apple`,
   * `thunderbird`, `yahoo`, `zimbra`, `proton`, `blockquote`), then `bottom` or `interleaved`
   * (read from the quote structure) or `trimmer`. For example `text:trimmer`, `html:gmail`,
   * `text:marker+trimmer`, `text:interleaved`; a bare `text` means nothing was cut.
   */
  readonly method: string;
}

type Cut = 'marker' | 'trimmer' | 'bottom' | 'interleaved' | HtmlQuoteKind;

interface Layered {
  readonly source: 'text' | 'html';
  readonly replyText: string;
  readonly quoted: readonly string[];
  readonly signature?: string;
  readonly segments?: readonly ReplySegment[];
  readonly cuts: readonly Cut[];
}

export function trimReply(input: TrimInput): TrimResult {
  const marker = markerPattern(input.marker);
  const text = input.text !== undefined && !isBlank(input.text) ? input.text : undefined;
  const html = input.html !== undefined && !isBlank(input.html) ? input.html : undefined;
  let tree: HtmlTree | undefined;
  const htmlTree = (source: string): HtmlTree => (tree ??= parseHtml(source));

  let result: Layered;
  if (text !== undefined && !(html !== undefined && textLooksUnreliable(text, htmlTree(html)))) {
    result = fromText(text, marker);
    if (html !== undefined && result.cuts.length === 0) {
      const viaHtml = fromHtml(htmlTree(html), marker);
      if (viaHtml.cuts.length > 0) result = viaHtml;
    }
  } else if (html !== undefined) {
    result = fromHtml(htmlTree(html), marker);
  } else {
    result = { source: 'text', replyText: '', quoted: [], cuts: [] };
  }
  if (html !== undefined && result.signature === undefined && /moz-signature/i.test(html)) result = dropMarkedSignature(result, htmlTree(html));
  if (html !== undefined && result.source === 'text' && /<(b|strong|i|em|u)\b/i.test(html)) result = unwrapEmphasis(result, htmlTree(html));
  return finish(result);
}

/**
 * Thunderbird writes no "-- " above a signature placed above the quote; its HTML part marks it
 * `<div class="moz-signature">` instead, and its text part renders the same lines. Those lines at
 * the end of the person's part, read from either part, are the signature. Signatures inside a
 * quote belong to the quoted mail and are left alone.
 */
function dropMarkedSignature(r: Layered, tree: HtmlTree): Layered {
  for (let i = 0; i < tree.nodes.length; i++) {
    const node = tree.nodes[i] as AnyNode;
    if (!isTag(node) || !hasClass(node, 'moz-signature') || insideBlockquote(node)) continue;
    const signature = renderText(tree, { from: { index: i, offset: 0 }, to: { index: tree.subtreeEnd[i] as number, offset: 0 } });
    const cut = trailing(r.replyText, signature);
    // A reply that is nothing but the signature keeps it: an empty replyText would hide the mail.
    if (cut === null || cut === '') continue;
    const segments = r.segments?.map((s, k, all) => {
      if (s.kind !== 'reply' || all.slice(k + 1).some((n) => n.kind === 'reply')) return s;
      const kept = trailing(s.text, signature);
      return kept === null ? s : { ...s, text: kept };
    });
    return { ...r, replyText: cut, signature: signature.trim(), ...(segments !== undefined ? { segments } : {}) };
  }
  return r;
}

/** How clients (Thunderbird, Evolution, mutt's text/enriched) render emphasis in the text part. */
const EMPHASIS_MARKS: Readonly<Record<string, string>> = { b: '*', strong: '*', i: '/', em: '/', u: '_' };

/**
 * A person typing into bold or italic text (Thunderbird carries the question's bold over to the
 * answer below it) gets `*answer*` in the generated text part. A line of the person's own text
 * that is wholly such a mark around what the HTML part shows in that emphasis is the plain
 * words; asterisks a person typed themselves have no such element behind them and stay.
 */
function unwrapEmphasis(r: Layered, tree: HtmlTree): Layered {
  const emphasized = new Set<string>();
  for (let i = 0; i < tree.nodes.length; i++) {
    const node = tree.nodes[i] as AnyNode;
    if (!isTag(node) || insideBlockquote(node)) continue;
    const mark = EMPHASIS_MARKS[node.name.toLowerCase()];
    if (mark === undefined) continue;
    const inner = renderText(tree, { from: { index: i, offset: 0 }, to: { index: tree.subtreeEnd[i] as number, offset: 0 } });
    emphasized.add(mark + inner.replace(/\s+/gu, ' ').trim());
  }
  if (emphasized.size === 0) return r;
  const unwrapLine = (line: string): string => {
    const m = /^(\s*)([*/_])(\S(?:.*\S)?)\2\s*$/u.exec(line);
    if (m === null) return line;
    const inner = (m[3] as string).replace(/\s+/gu, ' ');
    return emphasized.has((m[2] as string) + inner) ? (m[1] as string) + (m[3] as string) : line;
  };
  const unwrap = (text: string): string => text.split('\n').map(unwrapLine).join('\n');
  const replyText = unwrap(r.replyText);
  if (replyText === r.replyText) return r;
  const segments = r.segments?.map((seg) => (seg.kind === 'reply' ? { ...seg, text: unwrap(seg.text) } : seg));
  return { ...r, replyText, ...(segments !== undefined ? { segments } : {}) };
}

function insideBlockquote(node: AnyNode): boolean {
  for (let p = node.parent; p !== null; p = p.parent) if (isTag(p) && p.name === 'blockquote') return true;
  return false;
}

/** `text` without `tail` at its end (compared whitespace-normalised, so re-wrapping does not matter), or null. */
function trailing(text: string, tail: string): string | null {
  const want = tail.replace(/\s+/g, ' ').trim();
  if (want === '') return null;
  const lines = text.split('\n');
  let end = lines.length;
  while (end > 0 && (lines[end - 1] as string).trim() === '') end--;
  for (let k = end - 1; k >= 0; k--) {
    const got = lines.slice(k, end).join(' ').replace(/\s+/g, ' ').trim();
    if (got === want) return rubyStrip(lines.slice(0, k).join('\n'));
    if (got.length > want.length) return null;
  }
  return null;
}

function finish(r: Layered): TrimResult {
  const quoted = r.quoted
    .map(rubyStrip)
    .filter((q) => q !== '')
    .join('\n\n');
  return {
    replyText: r.replyText,
    quoted,
    ...(r.signature !== undefined && r.signature !== '' ? { signature: r.signature } : {}),
    ...(r.segments !== undefined ? { segments: r.segments } : {}),
    method: r.cuts.length === 0 ? r.source : `${r.source}:${r.cuts.join('+')}`,
  };
}

function isBlank(s: string): boolean {
  return !/\S/u.test(s);
}

// --- plain text -------------------------------------------------------------------------------

function fromText(raw: string, marker: RegExp | null): Layered {
  const normalized = normalizeNewlines(raw);
  // Past the limit only the head is read; the tail is almost surely more of the quoted thread.
  let head = normalized;
  let tail = '';
  if (normalized.length > MAX_TEXT_CHARS) {
    const cut = normalized.lastIndexOf('\n', MAX_TEXT_CHARS);
    const at = cut > 0 ? cut : MAX_TEXT_CHARS;
    head = normalized.slice(0, at);
    tail = normalized.slice(at);
  }
  const layered = textLayers('text', head, marker, []);
  if (tail === '') return layered;
  return layered.cuts.length > 0 ? { ...layered, quoted: [...layered.quoted, tail] } : { ...layered, replyText: rubyStrip(layered.replyText + tail) };
}

/** Layers 1 and 3 on a text: the marker, then the plain-text trimmer on what precedes it. */
function textLayers(source: 'text' | 'html', text: string, marker: RegExp | null, earlier: readonly Cut[]): Layered {
  const cuts: Cut[] = [...earlier];
  const quoted: string[] = [];
  let body = text;
  const atMarker = marker === null ? null : cutTextAtMarker(body, marker);
  if (atMarker !== null) {
    body = atMarker.before;
    quoted.push(atMarker.after);
    if (!cuts.includes('marker')) cuts.push('marker');
  }
  const structured = readQuoteStructure(body);
  if (structured !== null) {
    cuts.push(structured.shape);
    return {
      source,
      replyText: structured.replyText,
      quoted: [structured.quoted, ...quoted],
      ...(structured.signature !== undefined ? { signature: structured.signature } : {}),
      segments: structured.segments,
      cuts,
    };
  }
  const trimmed = trimPlainText(body);
  if (trimmed.cut) cuts.push('trimmer');
  const { kept, attribution } = trimmed.cut ? splitTrailingAttribution(trimmed.trimmed) : { kept: trimmed.trimmed, attribution: '' };
  return {
    source,
    replyText: kept,
    quoted: [attribution, trimmed.quoted, ...quoted],
    ...(trimmed.signature !== undefined ? { signature: trimmed.signature } : {}),
    cuts,
  };
}

/**
 * Upstream keeps an attribution it does not know ("Name <addr> writes:", "* Name <addr> [date]:")
 * as the last line of the reply when it cut the quote below it: that line is quote header.
 */
function splitTrailingAttribution(text: string): { kept: string; attribution: string } {
  const lines = text.split('\n');
  let last = lines.length - 1;
  while (last >= 0 && (lines[last] as string).trim() === '') last--;
  if (last < 0 || !isAttributionText(lines[last] as string)) return { kept: text, attribution: '' };
  return { kept: rubyStrip(lines.slice(0, last).join('\n')), attribution: lines.slice(last).join('\n') };
}

// --- HTML -------------------------------------------------------------------------------------

function fromHtml(tree: HtmlTree, marker: RegExp | null): Layered {
  const end: Boundary = { index: tree.nodes.length, offset: 0 };
  const markerAt = marker === null ? null : findMarker(tree, marker);
  // A client quote that starts before our marker holds the marker; it decides the cut.
  const quote = findQuoteCut(tree, markerAt?.index ?? end.index);
  const cut: Boundary = quote !== null ? { index: quote.start, offset: 0 } : (markerAt ?? end);
  const cuts: Cut[] = quote !== null ? [quote.kind] : markerAt !== null ? ['marker'] : [];
  let kept = renderText(tree, { to: cut, quotePrefix: true });
  const quoted: string[] = [];
  if (markerAt !== null && quote === null) {
    // The marker's own quote header ("On … wrote:") is plain text just above it.
    const lines = kept.split('\n');
    const start = attributionStart(lines, lines.length);
    quoted.push(lines.slice(start).join('\n'));
    kept = lines.slice(0, start).join('\n');
  }
  if (cut.index < end.index) quoted.push(renderText(tree, { from: cut, quotePrefix: true }));
  const layered = textLayers('html', kept, marker, cuts);
  return { ...layered, quoted: [...layered.quoted, ...quoted] };
}

const PLACEHOLDER = new RegExp(
  `\\b(?:${[
    'this (?:e-?mail|message) (?:requires|is in|is an|contains) html',
    '(?:e-?mail|mail) client does not support html',
    'view (?:this|the) (?:e-?mail|message) in (?:your|a) (?:web )?browser',
    'html[- ]only',
  ].join('|')})\\b`,
  'i',
);
const MARKUP = /<\/?(?:html|head|body|div|p|br|table|tr|td|span|font|blockquote)\b[^<>]{0,200}>/gi;

/**
 * A text part that is blank, a "this message is in HTML" placeholder, raw markup, or a small
 * fraction of what the HTML part shows was not written as the plain version of the message.
 */
function textLooksUnreliable(text: string, tree: HtmlTree): boolean {
  const head = text.slice(0, 5_000);
  if (text.length < 2_000 && PLACEHOLDER.test(head)) return true;
  if ((head.match(MARKUP) ?? []).length >= 5) return true;
  const visible = (s: string): number => s.replace(/\s+/g, '').length;
  const htmlLength = visible(renderText(tree));
  return htmlLength > 200 && visible(text) < htmlLength * 0.2;
}
