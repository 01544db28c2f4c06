export interface TransferDecoded {
  bytes: Buffer;
  /** Why the input was not clean, when it was not; the bytes are the best reading anyway. */
  issue?: string;
}

const base64Alphabet = /[^A-Za-z0-9+/=]/g;

/**
 * Base64 as senders really write it: whitespace anywhere, stray characters, missing padding,
 * and several separately padded blocks glued together (Node stops at the first `=`, so each
 * block is decoded on its own).
 */
export function decodeBase64(input: Buffer): TransferDecoded {
  const text = input.toString('latin1').replace(/[\s]+/g, '');
  const stray = text.match(base64Alphabet)?.length ?? 0;
  const clean = stray > 0 ? text.replace(base64Alphabet, '') : text;
  const blocks = clean.split(/(?<==)(?=[^=])/);
  const out: Buffer[] = [];
  let truncated = false;
  for (const block of blocks) {
    const digits = block.replace(/=+$/, '');
    if (digits.length % 4 === 1) truncated = true;
    out.push(Buffer.from(digits, 'base64'));
  }
  const issues: string[] = [];
  if (stray > 0) issues.push(`${stray} characters outside the base64 alphabet skipped`);
  if (truncated) issues.push('the data ends in the middle of a byte');
  const bytes = out.length === 1 ? (out[0] ?? Buffer.alloc(0)) : Buffer.concat(out);
  return issues.length > 0 ? { bytes, issue: issues.join(', ') } : { bytes };
}

function hexValue(b: number | undefined): number {
  if (b === undefined) return -1;
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  if (b >= 0x61 && b <= 0x66) return b - 0x57; // lower-case hex is invalid but common
  return -1;
}

/** Quoted-printable, keeping a stray `=` as a literal byte (what every mail client shows). */
export function decodeQuotedPrintable(input: Buffer): TransferDecoded {
  const out = Buffer.allocUnsafe(input.length);
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
