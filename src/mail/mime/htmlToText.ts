const namedEntities: Record<string, string> = {
  nbsp: ' ',
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  copy: '©',
  reg: '®',
  hellip: '…',
  mdash: '—',
  ndash: '–',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  bull: '•',
  middot: '·',
  euro: '€',
  laquo: '«',
  raquo: '»',
  shy: '',
  zwnj: '',
  zwj: '',
};

export function decodeHtmlEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z][a-z0-9]{1,31});/gi, (whole, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff) ? String.fromCodePoint(code) : whole;
    }
    return namedEntities[ref.toLowerCase()] ?? whole;
  });
}

// Sentinels for the two kinds of break, resolved once all tags are gone: a run of breaks is one
// line break, or a blank line when a paragraph-like element ended inside it
const LINE = '\u0001';
const PARAGRAPH = '\u0002';
const paragraphEnd = /<\/(?:p|h[1-6]|ul|ol|table|blockquote|pre|dl)\s*>|<hr\b[^<>]*>/gi;
const lineBreak = /<\/?(?:p|div|br|tr|li|ul|ol|table|h[1-6]|blockquote|pre|section|article|header|footer|dl|dt|dd)\b[^<>]*>/gi;

/**
 * Cuts comments and non-content elements with indexOf instead of a lazy regex, which would
 * rescan to the end of the input for every unclosed opener (quadratic on hostile markup). An
 * unclosed one swallows the rest, as it does in a browser.
 */
function removeHidden(html: string): string {
  const lower = html.toLowerCase();
  let out = '';
  let pos = 0;
  const opener = /<!--|<(?:head|style|script|title)\b/g;
  while (pos < html.length) {
    opener.lastIndex = pos;
    const found = opener.exec(lower);
    if (!found) break;
    out += html.slice(pos, found.index);
    const closer = found[0] === '<!--' ? '-->' : `</${found[0].slice(1)}`;
    const close = lower.indexOf(closer, found.index + found[0].length);
    if (close < 0) return out;
    const gt = lower.indexOf('>', close);
    pos = found[0] === '<!--' ? close + 3 : gt < 0 ? html.length : gt + 1;
  }
  return out + html.slice(pos);
}

/**
 * Plain text from an HTML body, for messages that have no text/plain part. Regex-based and
 * linear on purpose: it only has to be good enough for reply trimming and cookie matching,
 * and it must never choke on hostile markup (deep nesting, unclosed tags).
 */
export function htmlToText(html: string): string {
  const text = removeHidden(html)
    .replace(/[\s\u0001\u0002]+/g, ' ')
    .replace(paragraphEnd, PARAGRAPH)
    .replace(lineBreak, LINE)
    .replace(/<\/t[dh]\s*>/gi, ' ')
    .replace(/<[^<>]*>/g, '');
  return decodeHtmlEntities(text)
    .replace(/[ \t]*[\u0001\u0002][\s\u0001\u0002]*/g, (run) => (run.includes(PARAGRAPH) ? '\n\n' : '\n'))
    .split('\n')
    .map((line) => line.trim())
    .join('\n')
    .trim();
}
