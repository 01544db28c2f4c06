const DOT = 0x2e;
const CR = 0x0d;
const LF = 0x0a;
const CR_ONLY = Buffer.from([CR]);

export interface DecodedChunk {
  /** Content bytes of this chunk, dot-unstuffed; views into the input, not copies. */
  pieces: Buffer[];
  /** True once the terminating "." line has been read. */
  done: boolean;
  /** Bytes after the terminator (the start of whatever the server sends next). */
  rest: Buffer;
}

/**
 * Decodes the body of a POP3 multi-line reply (RFC 1939 §3) chunk by chunk: a line starting
 * with "." loses that dot, and a line that is just "." ends the reply. It keeps a few bits of
 * state between chunks instead of whole lines, so a 50 MB message — or a 5 MB line — passes
 * through without being buffered. Line endings are passed on untouched (byte-exact content);
 * a bare LF counts as a line end so that a sloppy server cannot hide the terminator.
 */
export class DotDecoder {
  private state: 'lineStart' | 'inLine' | 'dot' | 'dotCr' = 'lineStart';

  push(chunk: Buffer): DecodedChunk {
    const pieces: Buffer[] = [];
    let runStart = -1;
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      switch (this.state) {
        case 'inLine': {
          if (runStart < 0) runStart = i;
          const nl = chunk.indexOf(LF, i);
          if (nl < 0) {
            i = n;
          } else {
            i = nl + 1;
            this.state = 'lineStart';
          }
          break;
        }
        case 'lineStart':
          if (chunk[i] === DOT) {
            if (runStart >= 0) pieces.push(chunk.subarray(runStart, i));
            runStart = -1;
            this.state = 'dot';
            i++;
          } else {
            this.state = 'inLine';
          }
          break;
        case 'dot': {
          const b = chunk[i];
          if (b === CR) {
            this.state = 'dotCr';
            i++;
          } else if (b === LF) {
            return this.finish(pieces, chunk.subarray(i + 1));
          } else {
            // A stuffed line: the dot we dropped was padding, this byte is content.
            this.state = 'inLine';
          }
          break;
        }
        case 'dotCr':
          if (chunk[i] === LF) return this.finish(pieces, chunk.subarray(i + 1));
          // ".\r" then content: the dot was padding, the CR (held back) is content.
          pieces.push(CR_ONLY);
          this.state = 'inLine';
          break;
      }
    }
    if (runStart >= 0 && runStart < n) pieces.push(chunk.subarray(runStart, n));
    return { pieces, done: false, rest: EMPTY };
  }

  private finish(pieces: Buffer[], rest: Buffer): DecodedChunk {
    this.state = 'lineStart';
    return { pieces, done: true, rest };
  }
}

const EMPTY = Buffer.alloc(0);
