export interface TransferDecoded {
  bytes: Buffer;
  /** Why the input was not clean, when it was not; the bytes are the best reading anyway. */
  issue?: string;
}

export interface DecodeOptions {
  /**
   * Decode into the input's own memory (`bytes` is then a view of it). Safe because the output
   * never grows past the input read so far; the caller must not need the encoded bytes again.
   * A 50 MB attachment is then never held twice.
   */
  inPlace?: boolean;
}

const PAD = -2;
const SKIP = -1;
const STRAY = -3;

/** Byte → base64 digit value, or PAD / SKIP (whitespace as JavaScript's \s sees it in latin1) / STRAY. */
const base64Digits = (() => {
  const table = new Int8Array(256).fill(STRAY);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i;
  table[0x3d] = PAD;
  for (const b of [0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0xa0]) table[b] = SKIP;
  return table;
})();

/**
 * Base64 as senders really write it: whitespace anywhere, stray characters, missing padding,
 * and several separately padded blocks glued together (each block is decoded on its own: a
 * digit after "=" starts a new one). One pass over the bytes, no strings (the encoded body of
 * a big attachment used to be copied four times as text), and streaming: `push` chunks in any
 * split, `end` for what was wrong.
 */
export class Base64Decoder {
  private acc = 0;
  private bits = 0;
  /** Digits in the current block, whose remainder mod 4 says whether it ends mid-byte. */
  private digits = 0;
  private padded = false;
  private stray = 0;
  private truncated = false;

  /**
   * Decodes `input` into `out` from `at` (at most 3/4 of the input's length plus one byte);
   * returns the bytes written. `out` may be `input` itself with `at` 0: the output never
   * passes the byte being read.
   */
  decodeInto(input: Uint8Array, out: Uint8Array, at = 0): number {
    let j = at;
    let { acc, bits, digits, padded } = this;
    for (let i = 0; i < input.length; i++) {
      const v = base64Digits[input[i]!]!;
      if (v >= 0) {
        if (padded) {
          if (digits % 4 === 1) this.truncated = true;
          acc = 0;
          bits = 0;
          digits = 0;
          padded = false;
        }
        acc = ((acc << 6) | v) & 0xffffff;
        bits += 6;
        digits++;
        if (bits >= 8) {
          bits -= 8;
          out[j++] = (acc >> bits) & 0xff;
        }
      } else if (v === PAD) {
        padded = true;
      } else if (v === STRAY) {
        this.stray++;
      }
    }
    this.acc = acc;
    this.bits = bits;
    this.digits = digits;
    this.padded = padded;
    return j - at;
  }

  /** The decoded bytes of one more chunk, in a buffer of their own. */
  push(chunk: Uint8Array): Buffer {
    const out = Buffer.allocUnsafe(Math.ceil((chunk.length * 3) / 4) + 1);
    return out.subarray(0, this.decodeInto(chunk, out));
  }

  /** Why the input was not clean, once all of it was pushed. */
  end(): string | undefined {
    if (this.digits % 4 === 1) this.truncated = true;
    const issues: string[] = [];
    if (this.stray > 0) issues.push(`${this.stray} characters outside the base64 alphabet skipped`);
    if (this.truncated) issues.push('the data ends in the middle of a byte');
    return issues.length > 0 ? issues.join(', ') : undefined;
  }
}

/** Decodes one whole base64 body (see Base64Decoder). */
export function decodeBase64(input: Buffer, opts: DecodeOptions = {}): TransferDecoded {
  const decoder = new Base64Decoder();
  const out = opts.inPlace ? input : Buffer.allocUnsafe(Math.ceil((input.length * 3) / 4));
  const bytes = out.subarray(0, decoder.decodeInto(input, out));
  const issue = decoder.end();
  return issue ? { bytes, issue } : { bytes };
}

function hexValue(b: number | undefined): number {
  if (b === undefined) return -1;
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  if (b >= 0x61 && b <= 0x66) return b - 0x57; // lower-case hex is invalid but common
  return -1;
}

/** Quoted-printable, keeping a stray `=` as a literal byte (what every mail client shows). */
export function decodeQuotedPrintable(input: Buffer, opts: DecodeOptions = {}): TransferDecoded {
  // In place is safe: every byte written stands for at least one byte already read.
  const out = opts.inPlace ? input : Buffer.allocUnsafe(input.length);
  let j = 0;
  let stray = 0;
  for (let i = 0; i < input.length; i++) {
    const b = input[i] ?? 0;
    if (b !== 0x3d) {
      out[j++] = b;
      continue;
    }
    const hi = hexValue(input[i + 1]);
    const lo = hexValue(input[i + 2]);
    if (hi >= 0 && lo >= 0) {
      out[j++] = hi * 16 + lo;
      i += 2;
      continue;
    }
    // Soft line break: "=" then optional transport padding, then the line end
    let k = i + 1;
    while (input[k] === 0x20 || input[k] === 0x09) k++;
    if (k >= input.length || input[k] === 0x0a) {
      i = k;
      continue;
    }
    stray++;
    out[j++] = b;
  }
  const bytes = out.subarray(0, j);
  return stray > 0 ? { bytes, issue: `${stray} "=" not followed by two hex digits kept as is` } : { bytes };
}
