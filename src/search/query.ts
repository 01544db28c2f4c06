/**
 * What people type into a search box, turned into terms both databases agree on. Only runs of
 * letters and digits survive, so nothing typed can become FTS5 or tsquery syntax; the last
 * term also matches as a prefix (results while typing, "expor" finds "export").
 */
export interface SearchTerms {
  words: string[];
}

export const MAX_TERMS = 12;
const MAX_TERM_LENGTH = 60;

export function searchTerms(q: string): SearchTerms {
  const words = (q.normalize('NFKC').match(/[\p{L}\p{N}]+/gu) ?? []).map((w) => w.toLowerCase().slice(0, MAX_TERM_LENGTH)).slice(0, MAX_TERMS);
  return { words };
}

/** FTS5 MATCH text: every term must occur; each quoted (no operators), the last as a prefix. */
export function fts5Query(t: SearchTerms): string {
  return t.words.map((w, i) => `"${w}"${i === t.words.length - 1 ? '*' : ''}`).join(' ');
}

/** to_tsquery text: the same terms joined with &, the last as a prefix. */
export function tsQuery(t: SearchTerms): string {
  return t.words.map((w, i) => `${w}${i === t.words.length - 1 ? ':*' : ''}`).join(' & ');
}

/** Marks around matches in snippets: private-use characters, never in stored text we show. */
export const HIT_START = '\uE000';
export const HIT_END = '\uE001';

export interface SnippetPart {
  text: string;
  hit: boolean;
}

/** A database snippet with marks → parts the client renders as text (no HTML travels). */
export function snippetParts(marked: string): SnippetPart[] {
  const parts: SnippetPart[] = [];
  let hit = false;
  let buf = '';
  const flush = () => {
    if (buf) parts.push({ text: buf, hit });
    buf = '';
  };
  for (const ch of marked.replace(/\s+/g, ' ')) {
    if (ch === HIT_START) {
      flush();
      hit = true;
    } else if (ch === HIT_END) {
      flush();
      hit = false;
    } else buf += ch;
  }
  flush();
  // Neighbouring parts of the same kind (a hit split by the database) become one.
  return parts.reduce<SnippetPart[]>((out, p) => {
    const last = out[out.length - 1];
    if (last && last.hit === p.hit) last.text += p.text;
    else out.push({ ...p });
    return out;
  }, []);
}
