/** Stable codes that start every problem line, so callers can match on them. */
export type ProblemCode =
  | 'message_too_large'
  | 'header_too_large'
  | 'missing_header_separator'
  | '8bit_header'
  | 'unknown_charset'
  | 'invalid_charset_data'
  | 'undeclared_charset'
  | 'broken_base64'
  | 'broken_quoted_printable'
  | 'unknown_transfer_encoding'
  | 'missing_boundary'
  | 'no_parts'
  | 'unterminated_multipart'
  | 'too_many_parts'
  | 'too_deep'
  | 'bad_date'
  | 'body_unreadable'
  | 'too_many_problems';

/** Collects problem lines, once each, up to a bound (see MimeLimits.maxProblems). */
export class Problems {
  private readonly seen = new Set<string>();
  private readonly lines: string[] = [];
  private dropped = 0;

  constructor(private readonly max: number) {}

  add(code: ProblemCode, detail: string): void {
    const line = `${code}: ${detail}`;
    if (this.seen.has(line)) return;
    if (this.lines.length >= this.max) {
      this.dropped++;
      return;
    }
    this.seen.add(line);
    this.lines.push(line);
  }

  has(code: ProblemCode): boolean {
    return this.lines.some((line) => line.startsWith(`${code}:`));
  }

  list(): string[] {
    return this.dropped > 0 ? [...this.lines, `too_many_problems: ${this.dropped} more not recorded`] : [...this.lines];
  }
}
