import { decodeCharset } from './charset.js';
import type { Problems } from './problems.js';

// Lenient on purpose: senders put spaces inside encoded text when they fold long subjects,
// and glue words together without the required whitespace.
const encodedWord = /=\?([^?\s]+)\?([bBqQ])\?([^?]*)\?=/g;

function qBytes(text: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '_') {
      out.push(0x20);
    } else if (c === '=' && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) {
      out.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      out.push(text.charCodeAt(i) & 0xff);
    }
  }
  return Buffer.from(out);
}

function wordBytes(encoding: string, text: string): Buffer {
  return encoding.toLowerCase() === 'b' ? Buffer.from(text.replace(/[^A-Za-z0-9+/]/g, ''), 'base64') : qBytes(text);
}

interface Word {
  charset: string;
  bytes: Buffer[];
}

/**
 * Decodes RFC 2047 encoded words in a header value. Adjacent words in the same charset are
 * joined as bytes before decoding, because senders split multi-byte characters across words;
 * whitespace between encoded words is dropped, as RFC 2047 section 6.2 says.
 */
export function decodeEncodedWords(value: string, where: string, problems: Problems): string {
  if (!value.includes('=?')) return value;
  let out = '';
  let pending: Word | undefined;
  let last = 0;
  const flush = (): void => {
    if (pending) out += decodeCharset(Buffer.concat(pending.bytes), pending.charset, where, problems);
    pending = undefined;
  };
  for (const match of value.matchAll(encodedWord)) {
    const between = value.slice(last, match.index);
    const charset = (match[1] ?? '').split('*')[0] ?? '';
    const bytes = wordBytes(match[2] ?? 'q', match[3] ?? '');
    if (pending && /^\s*$/.test(between)) {
      if (pending.charset.toLowerCase() === charset.toLowerCase()) {
        pending.bytes.push(bytes);
      } else {
        flush();
        pending = { charset, bytes: [bytes] };
      }
    } else {
      flush();
      out += between;
      pending = { charset, bytes: [bytes] };
    }
    last = match.index + match[0].length;
  }
  flush();
  return out + value.slice(last);
}
