import iconv from 'iconv-lite';
import libmime from 'libmime';
import type { Problems } from './problems.js';

/** The guesses, in order, for bytes whose charset is missing, unknown or wrong (as Discourse does). */
export type FallbackCharset = 'utf-8' | 'windows-1252' | 'iso-8859-1';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

// windows-1252 leaves these five bytes unassigned; iconv-lite turns them into U+FFFD, so text
// holding one of them is better read as iso-8859-1, which assigns every byte.
const cp1252Holes = new Set([0x81, 0x8d, 0x8f, 0x90, 0x9d]);

// iconv-lite has no ISO-2022-JP (a stateful encoding); libmime decodes it with
// encoding-japanese. A tenth of the bounce corpus is ISO-2022-JP.
const japaneseCharset = /^(?:jis|iso-?2022-?jp|eucjp)/i;

const utf8Names = new Set(['utf-8', 'utf8', 'unicode-1-1-utf-8', 'x-unicode20utf8']);
const asciiNames = new Set(['us-ascii', 'ascii', 'ansi_x3.4-1968', 'iso646-us', 'us', '7bit']);

function isAscii(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b >= 0x80) return false;
  return true;
}

/**
 * Reads bytes whose charset cannot be trusted: UTF-8 when they are valid UTF-8 (which pure
 * ASCII is), else windows-1252 (what "Latin-1" mail almost always is), else ISO-8859-1.
 */
export function decodeWithFallback(bytes: Uint8Array, skipUtf8 = false): { text: string; charset: FallbackCharset } {
  if (isAscii(bytes)) return { text: Buffer.from(bytes).toString('latin1'), charset: 'utf-8' };
  if (!skipUtf8) {
    try {
      return { text: strictUtf8.decode(bytes), charset: 'utf-8' };
    } catch {
      // not UTF-8: fall through to the single-byte guesses
    }
  }
  for (const b of bytes) {
    if (cp1252Holes.has(b)) return { text: iconv.decode(Buffer.from(bytes), 'iso-8859-1'), charset: 'iso-8859-1' };
  }
  return { text: iconv.decode(Buffer.from(bytes), 'windows-1252'), charset: 'windows-1252' };
}

function cleanName(declared: string): string {
  return declared
    .trim()
    .replace(/^["']+|["']+$/g, '')
    .trim()
    .toLowerCase();
}

/** The name iconv-lite or libmime knows a charset by, or undefined when neither knows it. */
export function resolveCharset(declared: string): string | undefined {
  const name = cleanName(declared);
  if (!name) return undefined;
  const canonical = libmime.normalizeCharset(name);
  if (japaneseCharset.test(canonical)) return canonical;
  if (iconv.encodingExists(canonical)) return canonical;
  if (iconv.encodingExists(name)) return name;
  return undefined;
}

/**
 * Decodes text bytes with the chain declared charset → UTF-8 (if valid) → windows-1252 →
 * ISO-8859-1, recording a problem whenever the declared charset could not be used as is.
 * `where` names the place for the problem line ("part 1.2", "header Subject").
 */
export function decodeCharset(bytes: Uint8Array, declared: string | undefined, where: string, problems: Problems): string {
  const name = declared === undefined ? '' : cleanName(declared);
  if (!name || asciiNames.has(name)) {
    const guess = decodeWithFallback(bytes);
    if (guess.charset !== 'utf-8') {
      problems.add(
        name ? 'invalid_charset_data' : 'undeclared_charset',
        `${where} ${name ? `declares ${name} but has 8-bit bytes` : 'has 8-bit text without a charset'}; decoded as ${guess.charset}`,
      );
    }
    return guess.text;
  }
  if (utf8Names.has(name)) {
    try {
      return strictUtf8.decode(bytes);
    } catch {
      const guess = decodeWithFallback(bytes, true);
      problems.add('invalid_charset_data', `${where} is not valid ${name}; decoded as ${guess.charset}`);
      return guess.text;
    }
  }
  const known = resolveCharset(name);
  if (known === undefined) {
    const guess = decodeWithFallback(bytes);
    problems.add('unknown_charset', `${where} declares ${name}; decoded as ${guess.charset}`);
    return guess.text;
  }
  if (japaneseCharset.test(known)) {
    return libmime.decodeWord(known, 'B', Buffer.from(bytes).toString('base64'));
  }
  return iconv.decode(Buffer.from(bytes), known);
}
