/** Crockford base32 in lower case: no i, l, o or u, so ids and cookies survive being read aloud or retyped. */
export const BASE32_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/**
 * Bytes as base32, most significant bit first, so byte order is sort order (ids rely on it). A
 * length that is not a multiple of 5 bits ends in one character padded with zero bits. The
 * tracking cookie's known-answer tests (src/tracking/cookie.test.ts) pin this encoding.
 */
export function toBase32(bytes: Uint8Array): string {
  let out = '';
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = ((acc << 8) | b) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += BASE32_ALPHABET[(acc >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32_ALPHABET[(acc << (5 - bits)) & 31];
  return out;
}
