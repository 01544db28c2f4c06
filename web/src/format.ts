/** Dates and sizes, the way people read them. */

const dayFmt = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
const yearFmt = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function shortDate(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const now = new Date();
  if (d.toDateString() === now.toDateString()) return timeFmt.format(d);
  if (d.getFullYear() === now.getFullYear()) return dayFmt.format(d);
  return yearFmt.format(d);
}

export function fullDate(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : fullFmt.format(d);
}

export function relative(iso: string | null | undefined): string {
  if (!iso) return 'never';
  const d = new Date(iso).getTime();
  if (Number.isNaN(d)) return iso;
  const s = Math.round((Date.now() - d) / 1000);
  if (s < 45) return 'just now';
  if (s < 90) return 'a minute ago';
  const m = Math.round(s / 60);
  if (m < 60) return `${m} minutes ago`;
  const h = Math.round(m / 60);
  if (h < 24) return h === 1 ? 'an hour ago' : `${h} hours ago`;
  return shortDate(iso);
}

export function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10240 ? 1 : 0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function list(value: string[] | string | undefined | null): string {
  if (!value) return '';
  return Array.isArray(value) ? value.join(', ') : value;
}

/** "Ada Lovelace <ada@example.com>" → "Ada Lovelace"; a bare address stays itself. */
export function displayName(address: string): string {
  const m = /^\s*"?([^"<]+?)"?\s*<[^>]+>\s*$/.exec(address);
  return m?.[1] ?? address;
}

export function initials(name: string): string {
  const parts = name
    .replace(/[<>@.]/g, ' ')
    .trim()
    .split(/\s+/);
  return ((parts[0]?.[0] ?? '?') + (parts[1]?.[0] ?? '')).toUpperCase();
}

/** "Ada Lovelace <ada@example.com>" → "ada@example.com". */
export function addressOf(value: string): string {
  const m = /<([^>]+)>/.exec(value);
  return (m?.[1] ?? value).trim();
}

/** A tracking cookie (docs/tracking-cookie.md): `mt1` and 42 letters of Crockford base32, any case. */
const COOKIE = '(?<![0-9a-z])mt1[0-9a-hjkmnp-tv-z]{42}(?![0-9a-z])';
const COOKIE_IN_TAG = new RegExp(`\\[([^[\\]]*?)\\s+${COOKIE}\\s*\\]`, 'gi');
const COOKIE_ONLY_TAG = new RegExp(`\\[\\s*${COOKIE}\\s*\\]\\s?`, 'gi');
const COOKIE_ANYWHERE = new RegExp(`\\s?${COOKIE}`, 'gi');
/** The short subject token beside a record tag, `[DEMO-D42 k3x9m2pq]` (src/tracking/cookie.ts `subjectTag`). */
const TOKEN_IN_TAG = /\[\s*([A-Za-z][A-Za-z0-9_]{0,19}-[A-Za-z]{1,2}[0-9]{1,9})\s+[0-9a-hjkmnp-tv-z]{8}\s*\]/gi;

/**
 * A subject as people read it. Replies carry our subject tag back with its token
 * (`Re: [DEMO-D42 k3x9m2pq] Title`, or a whole cookie from older mail): machinery for
 * matching, noise on screen.
 */
export function cleanSubject(subject: string): string {
  return subject.replace(COOKIE_IN_TAG, '[$1]').replace(TOKEN_IN_TAG, '[$1]').replace(COOKIE_ONLY_TAG, '').replace(COOKIE_ANYWHERE, '');
}

/** What a subject is about: without cookies and the Re:/Fwd:/AW: … prefixes mail programs add. */
export function subjectTopic(subject: string): string {
  return cleanSubject(subject)
    .replace(/^(\s*(re|fw|fwd|aw|wg|sv|vs|antw|rif|tr)\s*(\[\d+\])?\s*:\s*)+/i, '')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
}
