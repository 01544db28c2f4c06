// Building blocks that give JavaScript regexes the semantics of the Ruby (Onigmo) patterns we
// port from email_reply_trimmer. The differences that matter:
// - Ruby's `^`/`$` are always line anchors and only "\n" ends a line; JS `m` mode also breaks on
//   "\r", U+2028 and U+2029. LINE_START/LINE_END are exact equivalents of Ruby's.
// - Ruby's `\b` is Unicode-aware ("é" and "写" are word characters) while JS's is ASCII-only even
//   with the `u` flag. BOUNDARY rebuilds it with lookarounds.
// - Ruby's `\s`, `\w`, `\d` are ASCII-only (like JS `\w`/`\d`, unlike JS `\s`); POSIX brackets
//   (`[[:blank:]]`, `[[:word:]]`, `[[:alpha:]]`, `[[:space:]]`) are Unicode-aware.
// - Ruby's `.` without /m excludes only "\n"; JS's `.` also excludes "\r", U+2028, U+2029, so
//   ported patterns spell it `[^\n]`.

/** Ruby `^`: start of input or just after "\n". */
export const LINE_START = String.raw`(?<![^\n])`;
/** Ruby `$`: end of input or just before "\n". */
export const LINE_END = String.raw`(?![^\n])`;

/** Contents of a character class equal to Ruby's `[[:blank:]]` (tab and Unicode space separators). */
export const BLANK = String.raw`\t\p{Zs}`;
/** Ruby's ASCII `\s`. */
export const ASCII_SPACE = String.raw`[ \t\n\v\f\r]`;
/** Ruby's `[[:space:]]` (Unicode White_Space). */
export const SPACE = String.raw`[\t\n\v\f\r\p{Zs}\u0085\u2028\u2029]`;
/** Ruby's `[[:word:]]`, which is also what its Unicode `\b` treats as a word character. */
export const WORD_CHAR = String.raw`[\p{L}\p{M}\p{N}\p{Pc}]`;
/** Ruby's Unicode `\b`. */
export const BOUNDARY = `(?:(?<=${WORD_CHAR})(?!${WORD_CHAR})|(?<!${WORD_CHAR})(?=${WORD_CHAR}))`;

/** Ruby's String#strip: ASCII whitespace and NUL at both ends, nothing else (nbsp stays). */
export function rubyStrip(text: string): string {
  // A loop, not /\s+$/: that regex is quadratic on a long inner run of spaces.
  let start = 0;
  let end = text.length;
  while (start < end && isRubyStripChar(text.charCodeAt(start))) start++;
  while (end > start && isRubyStripChar(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}

function isRubyStripChar(code: number): boolean {
  return code === 0 || code === 32 || (code >= 9 && code <= 13);
}

/** Removes trailing spaces and tabs from every line. Linear, unlike /[ \t]+$/gm. */
export function trimLineEnds(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      let end = line.length;
      while (end > 0) {
        const c = line.charCodeAt(end - 1);
        if (c !== 32 && c !== 9 && c !== 0xa0) break;
        end--;
      }
      return line.slice(0, end);
    })
    .join('\n');
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
