import { randomBytes } from 'node:crypto';

/**
 * Huge messages without holding them: a sparse copy of the raw message leaves out its long
 * runs of base64 lines (a big attachment's body) and puts one marker line in place of each;
 * the parser then reads the structure from the small copy and hands each such attachment back
 * as the raw message's byte ranges to decode as a stream (Attachment.deferred). The scan and the
 * markers are here; reading the file is the caller's (inbound/rawMessage.ts).
 */

/** Bytes [start, end) of the raw message. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface Elision {
  /**
   * Starts every marker line: a NUL, random bytes, a NUL. Drawn per message, so no message can
   * carry a marker of its own, and no base64 line can look like one.
   */
  marker: Buffer;
  /** The ranges left out, in order; the marker line with index i stands for ranges[i]. */
  ranges: ByteRange[];
}

export function newElision(ranges: ByteRange[]): Elision {
  return { marker: Buffer.concat([Buffer.from([0]), Buffer.from(randomBytes(12).toString('hex')), Buffer.from([0])]), ranges };
}

/** The line that stands for ranges[index]: the marker, the index in decimal, LF. */
export function markerLine(elision: Elision, index: number): Buffer {
  return Buffer.concat([elision.marker, Buffer.from(`${index}\n`)]);
}

const LF = 0x0a;
const CR = 0x0d;

const isBase64Char = (() => {
  const table = new Uint8Array(256);
  for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=') table[c.charCodeAt(0)] = 1;
  return table;
})();

/**
 * Finds, in a message pushed chunk by chunk, every run of at least `minBytes` of whole lines
 * made only of base64 characters (ended by LF or CR LF; empty lines end a run). Such a run
 * holds no boundary (`--…`), header field (`name:`) or blank line, so leaving it out never
 * changes where parts begin and end. Keeps a few numbers of state, never the bytes.
 */
export class Base64RunScanner {
  private readonly runs: ByteRange[] = [];
  private offset = 0;
  private lineStart = 0;
  /** The current line so far: only base64 characters, and how many. */
  private lineClean = true;
  private lineChars = 0;
  /** The previous byte was a CR: fine if LF follows, else the line is not clean. */
  private pendingCr = false;
  private runStart = -1;

  constructor(private readonly minBytes: number) {}

  push(chunk: Uint8Array): void {
    let { lineStart, lineClean, lineChars, pendingCr, runStart } = this;
    const base = this.offset;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (b === LF) {
        const at = base + i + 1;
        if (lineClean && lineChars > 0) {
          if (runStart < 0) runStart = lineStart;
        } else if (runStart >= 0) {
          this.close(runStart, lineStart);
          runStart = -1;
        }
        lineStart = at;
        lineClean = true;
        lineChars = 0;
        pendingCr = false;
        continue;
      }
      if (pendingCr) lineClean = false;
      if (b === CR) {
        pendingCr = true;
      } else if (isBase64Char[b] === 1) {
        lineChars++;
      } else {
        lineClean = false;
      }
    }
    this.offset = base + chunk.length;
    this.lineStart = lineStart;
    this.lineClean = lineClean;
    this.lineChars = lineChars;
    this.pendingCr = pendingCr;
    this.runStart = runStart;
  }

  /** The runs, once the whole message was pushed. A last line without a line end is not in one. */
  end(): ByteRange[] {
    if (this.runStart >= 0) this.close(this.runStart, this.lineStart);
    this.runStart = -1;
    return this.runs;
  }

  private close(start: number, end: number): void {
    if (end - start >= this.minBytes) this.runs.push({ start, end });
  }
}
