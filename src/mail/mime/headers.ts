import { decodeWithFallback } from './charset.js';
import { decodeEncodedWords } from './encodedWords.js';
import type { MimeLimits } from './limits.js';
import type { Problems } from './problems.js';

const LF = 0x0a;
const SP = 0x20;
const HT = 0x09;
const COLON = 0x3a;

export interface HeaderField {
  /** Lower-case field name. */
  name: string;
  /** Field name as written, for problem lines. */
  displayName: string;
  /**
   * Unfolded value with leading and trailing whitespace removed. Raw 8-bit bytes are already
   * turned into text (fallback chain); RFC 2047 encoded words are left for the caller, because
   * address and parameter parsers must see them undecoded.
   */
  raw: string;
}

export interface HeaderBlock {
  fields: HeaderField[];
  /** Offset of the first body byte (`end` when there is no body). */
  bodyStart: number;
}

function isBlank(buf: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (buf[i] !== SP && buf[i] !== HT) return false;
  return true;
}

/** Length of a valid field name before the colon, or -1 when the line is not a header field. */
function fieldNameLength(buf: Buffer, from: number, to: number): number {
  const limit = Math.min(to, from + 256);
  for (let i = from; i < limit; i++) {
    const b = buf[i] ?? 0;
    if (b === COLON) {
      let nameEnd = i;
      // "Subject : x" is obsolete syntax (RFC 5322 4.5) that old mailers still write
      while (nameEnd > from && (buf[nameEnd - 1] === SP || buf[nameEnd - 1] === HT)) nameEnd--;
      return nameEnd > from ? nameEnd - from : -1;
    }
    if (b <= SP || b > 0x7e) return -1;
  }
  return -1;
}

const parameterized = new Set(['content-type', 'content-disposition']);

function isEmptyValue(chunks: Buffer[]): boolean {
  return chunks.every((chunk) => isBlank(chunk, 0, chunk.length));
}

function looksLikeParameter(buf: Buffer, from: number, to: number): boolean {
  return /^[A-Za-z0-9_*-]{1,64}\s*=/.test(buf.subarray(from, Math.min(to, from + 80)).toString('latin1'));
}

/**
 * Reads the header block of one entity from `buf[start, end)`, LF line endings. Lenient where
 * real mail is sloppy: a whitespace-only line ends the block like an empty one, a line that is
 * neither a field nor a continuation starts the body (with a problem), and an mbox `From ` line
 * ahead of the root header is skipped.
 */
export function readHeaderBlock(
  buf: Buffer,
  start: number,
  end: number,
  where: string,
  opts: { limits: MimeLimits; problems: Problems; root: boolean },
): HeaderBlock {
  const { limits, problems } = opts;
  const fields: HeaderField[] = [];
  let current: { name: string; displayName: string; chunks: Buffer[] } | undefined;

  const finish = (): void => {
    if (!current) return;
    const bytes = current.chunks.length === 1 ? (current.chunks[0] ?? Buffer.alloc(0)) : Buffer.concat(current.chunks);
    const decoded = decodeWithFallback(bytes);
    if (decoded.charset !== 'utf-8') {
      problems.add('8bit_header', `${where} field ${current.displayName} has raw 8-bit bytes; decoded as ${decoded.charset}`);
    }
    fields.push({ name: current.name, displayName: current.displayName, raw: decoded.text.trim() });
    current = undefined;
  };

  let pos = start;
  let first = true;
  while (pos < end) {
    const eol = buf.indexOf(LF, pos);
    const lineEnd = eol < 0 || eol >= end ? end : eol;
    const next = lineEnd < end ? lineEnd + 1 : end;

    if (next - start > limits.maxHeaderBytes) {
      finish();
      problems.add('header_too_large', `${where} header is over ${limits.maxHeaderBytes} bytes; later fields ignored`);
      const blank = buf.indexOf('\n\n', pos);
      return { fields, bodyStart: blank < 0 || blank >= end ? end : blank + 2 };
    }

    if (isBlank(buf, pos, lineEnd)) {
      finish();
      return { fields, bodyStart: next };
    }
    const b0 = buf[pos];
    if ((b0 === SP || b0 === HT) && current) {
      // Unfolding removes the line break only; a folding tab reads as the space it stands for
      const from = b0 === HT ? pos + 1 : pos;
      if (b0 === HT) current.chunks.push(Buffer.from(' '));
      current.chunks.push(buf.subarray(from, lineEnd));
    } else {
      const nameLength = fieldNameLength(buf, pos, lineEnd);
      const oddName = nameLength < 0 || !/^[A-Za-z0-9_-]+$/.test(buf.subarray(pos, pos + nameLength).toString('latin1'));
      const unindentedContinuation =
        current !== undefined &&
        ((nameLength < 0 && parameterized.has(current.name) && looksLikeParameter(buf, pos, lineEnd)) || (oddName && isEmptyValue(current.chunks)));
      if (current && unindentedContinuation) {
        // Exchange Online writes `boundary="…"` and the values of its X-Microsoft-* fields on
        // unindented lines (seen in the bounce corpus); they are no body text
        current.chunks.push(Buffer.from(' '), buf.subarray(pos, lineEnd));
        pos = next;
        continue;
      }
      if (nameLength < 0) {
        if (first && opts.root && buf.subarray(pos, pos + 5).toString('latin1') === 'From ') {
          pos = next;
          first = false;
          continue;
        }
        finish();
        if (fields.length > 0) {
          problems.add('missing_header_separator', `${where} header has no blank line before the body`);
        }
        return { fields, bodyStart: pos };
      }
      finish();
      const displayName = buf.subarray(pos, pos + nameLength).toString('latin1');
      const valueStart = buf.indexOf(COLON, pos + nameLength) + 1;
      current = { name: displayName.toLowerCase(), displayName, chunks: [buf.subarray(valueStart, lineEnd)] };
    }
    first = false;
    pos = next;
  }
  finish();
  return { fields, bodyStart: end };
}

/** The first field of that (lower-case) name, undecoded. */
export function firstRaw(fields: readonly HeaderField[], name: string): string | undefined {
  return fields.find((f) => f.name === name)?.raw;
}

/** Every field of that name, undecoded, in order. */
export function allRaw(fields: readonly HeaderField[], name: string): string[] {
  return fields.filter((f) => f.name === name).map((f) => f.raw);
}

/** A field value as a person reads it: encoded words decoded. */
export function decodeFieldValue(field: HeaderField, where: string, problems: Problems): string {
  return decodeEncodedWords(field.raw, `${where} field ${field.displayName}`, problems);
}
