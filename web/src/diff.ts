/**
 * Line diffs for the history and a three-way merge for edit conflicts. Plain LCS: descriptions
 * are short enough (the API caps them at 100,000 characters) that O(n·m) on lines is fine, and
 * past MAX_CELLS the diff degrades to "all removed, all added" instead of freezing the tab.
 */

export type DiffOp = { kind: 'same' | 'del' | 'add'; text: string };

const MAX_CELLS = 4_000_000;

export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Pairs of indexes (i in a, j in b) of a longest common subsequence, in order. */
function lcsPairs<T>(a: readonly T[], b: readonly T[]): [number, number][] {
  if (a.length * b.length > MAX_CELLS) return [];
  const n = a.length;
  const m = b.length;
  // len[i][j] = LCS length of a[i..] and b[j..], in one flat array.
  const len = new Uint32Array((n + 1) * (m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      len[i * (m + 1) + j] = a[i] === b[j] ? len[(i + 1) * (m + 1) + j + 1]! + 1 : Math.max(len[(i + 1) * (m + 1) + j]!, len[i * (m + 1) + j + 1]!);
    }
  }
  const pairs: [number, number][] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      pairs.push([i, j]);
      i++;
      j++;
    } else if (len[(i + 1) * (m + 1) + j]! >= len[i * (m + 1) + j + 1]!) i++;
    else j++;
  }
  return pairs;
}

export function diffLines(oldText: string, newText: string): DiffOp[] {
  return diffSeq(splitLines(oldText), splitLines(newText));
}

/** Word-level diff of one line pair (words and the spaces between them). */
export function diffWords(oldText: string, newText: string): DiffOp[] {
  const tok = (s: string) => s.match(/\s+|[^\s]+/g) ?? [];
  return diffSeq(tok(oldText), tok(newText));
}

function diffSeq(a: string[], b: string[]): DiffOp[] {
  const ops: DiffOp[] = [];
  let i = 0;
  let j = 0;
  for (const [pi, pj] of [...lcsPairs(a, b), [a.length, b.length] as [number, number]]) {
    while (i < pi) ops.push({ kind: 'del', text: a[i++]! });
    while (j < pj) ops.push({ kind: 'add', text: b[j++]! });
    if (pi < a.length) ops.push({ kind: 'same', text: a[pi]! });
    i = pi + 1;
    j = pj + 1;
  }
  return ops;
}

export interface MergeResult {
  text: string;
  conflicts: number;
}

/**
 * diff3: both sides' changes against the common base. Regions only one side changed take that
 * side; regions both changed identically take it once; regions both changed differently become
 * a conflict block with both versions, for the person to resolve.
 */
export function merge3(base: string, mine: string, theirs: string, labels = { mine: 'yours', theirs: 'theirs' }): MergeResult {
  const o = splitLines(base);
  const a = splitLines(mine);
  const b = splitLines(theirs);
  const ma = new Map(lcsPairs(o, a));
  const mb = new Map(lcsPairs(o, b));
  const out: string[] = [];
  let conflicts = 0;
  let oi = 0;
  let ai = 0;
  let bi = 0;
  const flush = (oEnd: number, aEnd: number, bEnd: number) => {
    const oc = o.slice(oi, oEnd);
    const ac = a.slice(ai, aEnd);
    const bc = b.slice(bi, bEnd);
    const same = (x: string[], y: string[]) => x.length === y.length && x.every((l, k) => l === y[k]);
    if (same(ac, oc)) out.push(...bc);
    else if (same(bc, oc) || same(ac, bc)) out.push(...ac);
    else {
      conflicts++;
      out.push(`<<<<<<< ${labels.mine}`, ...ac, '=======', ...bc, `>>>>>>> ${labels.theirs}`);
    }
  };
  for (let k = 0; k <= o.length; k++) {
    // A base line kept by both sides is a stable point; everything between two of them is one region.
    const stable = k === o.length || (ma.has(k) && mb.has(k));
    if (!stable) continue;
    const aEnd = k === o.length ? a.length : ma.get(k)!;
    const bEnd = k === o.length ? b.length : mb.get(k)!;
    flush(k, aEnd, bEnd);
    if (k < o.length) out.push(o[k]!);
    oi = k + 1;
    ai = aEnd + 1;
    bi = bEnd + 1;
  }
  const trailing = [mine, theirs].some((t) => t.endsWith('\n')) || (mine === '' && theirs === '' && base.endsWith('\n'));
  return { text: out.join('\n') + (out.length > 0 && trailing ? '\n' : ''), conflicts };
}
