// A bracketed id, or a bare token with an "@" (ids whose brackets a client dropped or never wrote).
// The lookbehind lets a bare token start only where a token starts: without it, a long run of
// characters with no "@" is rescanned from each of its positions (quadratic; seconds per 40 KB).
const idToken = /<([^<>]*)>|(?<![^\s<>,;()"])([^\s<>,;()"]+@[^\s<>,;()"]+)/g;

function stripComments(value: string): string {
  let out = value;
  for (let i = 0; i < 8 && out.includes('('); i++) {
    const next = out.replace(/\([^()]*\)/g, ' ');
    if (next === out) break;
    out = next;
  }
  return out;
}

/**
 * Splits a Message-ID, In-Reply-To or References value into bare ids (no angle brackets), in
 * order, without duplicates. Copes with what clients really send: commas between ids
 * (Exchange, iOS Mail), ids without brackets, comments such as "(John's message of …)", and
 * whitespace folded into the middle of an id.
 */
export function splitMessageIds(value: string): string[] {
  const ids: string[] = [];
  const seen = new Set<string>();
  for (const match of stripComments(value).matchAll(idToken)) {
    const id = (match[1] ?? match[2] ?? '').replace(/\s+/g, '').replace(/^"|"$/g, '');
    if (!id || seen.has(id)) continue;
    seen.add(id);
    ids.push(id);
  }
  return ids;
}
