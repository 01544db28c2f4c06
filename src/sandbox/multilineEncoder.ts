const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;
const DOT_BUF = Buffer.from('.');
const LF_BUF = Buffer.from('\n');
const CRLF_BUF = Buffer.from('\r\n');

/**
 * Turns stored message bytes into the body of a POP3 multi-line response (RFC 1939 section 3),
 * chunk by chunk so a large message never has to sit in memory:
 * - a line that starts with "." gets one more "." (byte-stuffing), so the lone "." that ends
 *   the response cannot appear inside it;
 * - a bare LF becomes CRLF, since the wire format is CRLF lines whatever is on disk;
 * - the last line is terminated if the message does not end with a line break.
 * With `bodyLines` it stops after the header, the blank line and that many body lines (TOP).
 * The caller writes the final ".\r\n".
 */
export class MultilineEncoder {
  private atLineStart = true;
  private lineBytes = 0;
  private lastByte = -1;
  private inBody = false;
  private bodyLinesLeft: number;
  private finished = false;

  constructor(options: { bodyLines?: number } = {}) {
    this.bodyLinesLeft = options.bodyLines ?? Number.POSITIVE_INFINITY;
  }

  /** True once TOP has everything it asked for; the rest of the input can be dropped. */
  get done(): boolean {
    return this.finished;
  }

  encode(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let pos = 0;
    while (pos < chunk.length && !this.finished) {
      if (this.atLineStart) {
        if (this.inBody && this.bodyLinesLeft <= 0) {
          this.finished = true;
          break;
        }
        if (chunk[pos] === DOT) out.push(DOT_BUF);
        this.atLineStart = false;
        this.lineBytes = 0;
      }
      const newline = chunk.indexOf(LF, pos);
      if (newline === -1) {
        out.push(chunk.subarray(pos));
        this.lineBytes += chunk.length - pos;
        this.lastByte = chunk[chunk.length - 1] ?? this.lastByte;
        break;
      }
      const segment = chunk.subarray(pos, newline);
      const endsWithCr = segment.length > 0 ? segment[segment.length - 1] === CR : this.lastByte === CR;
      out.push(segment, endsWithCr ? LF_BUF : CRLF_BUF);
      this.endLine(this.lineBytes + segment.length - (endsWithCr ? 1 : 0));
      this.lastByte = LF;
      pos = newline + 1;
    }
    if (!this.finished && this.atLineStart && this.inBody && this.bodyLinesLeft <= 0) this.finished = true;
    return out;
  }

  /** Terminates a last line that had no line break. */
  end(): Buffer[] {
    if (this.atLineStart || this.finished) return [];
    return [this.lastByte === CR ? LF_BUF : CRLF_BUF];
  }

  private endLine(contentBytes: number): void {
    if (!this.inBody) {
      if (contentBytes === 0) this.inBody = true; // the blank line between header and body
    } else {
      this.bodyLinesLeft -= 1;
    }
    this.atLineStart = true;
  }
}
