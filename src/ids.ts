import { randomBytes } from 'node:crypto';
import { BASE32_ALPHABET, toBase32 } from './base32.js';

const RANDOM_BYTES = 10;
/** The largest time 48 bits hold (year 10889). */
const MAX_TIME = 2 ** 48 - 1;

let lastTime = -1;
const lastRandom = Buffer.alloc(RANDOM_BYTES);

/**
 * Time-ordered random ids (ULID layout: 48-bit milliseconds + 80 random bits, 26 chars).
 * They sort by creation time and reveal nothing about how many rows other projects have.
 *
 * Monotonic within a process, as the ULID spec's monotonic factory: an id made in the same
 * millisecond as the one before (or after the clock stepped back) keeps that id's time and
 * takes its random part plus one, so ids made in a tight loop still sort in creation order.
 * Threads and lists break ties of equal timestamps by id, so this order is what users see.
 */
export function newId(now: number = Date.now()): string {
  if (now > lastTime) {
    lastTime = Math.min(Math.floor(now), MAX_TIME);
    randomBytes(RANDOM_BYTES).copy(lastRandom);
  } else if (!increment(lastRandom)) {
    // 2^80 ids in one millisecond cannot happen; should it, time moves on by one millisecond.
    lastTime = Math.min(lastTime + 1, MAX_TIME);
    randomBytes(RANDOM_BYTES).copy(lastRandom);
  }
  return encodeTime(lastTime) + toBase32(lastRandom);
}

/** Adds one to a big-endian number in place; false when it wrapped around to zero. */
function increment(bytes: Buffer): boolean {
  for (let i = bytes.length - 1; i >= 0; i--) {
    if (bytes[i] !== 0xff) {
      bytes[i] = (bytes[i] as number) + 1;
      return true;
    }
    bytes[i] = 0;
  }
  return false;
}

function encodeTime(time: number): string {
  let out = '';
  let t = time;
  for (let i = 0; i < 10; i++) {
    out = BASE32_ALPHABET[t % 32] + out;
    t = Math.floor(t / 32);
  }
  return out;
}
