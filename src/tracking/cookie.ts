import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { toBase32 } from '../base32.js';
import { AppError } from '../errors.js';
import { decodeHtmlEntities } from '../mail/mime/htmlToText.js';
import type { ParsedMessage } from '../mail/mime/parsedMessage.js';

/**
 * The tracking cookie: `mt1` + emailId (26) + MAC (16), 45 characters of lower-case Crockford
 * base32. See docs/tracking-cookie.md for the format, where it is carried and why.
 */

/** The tracked outbound email a cookie stands for; all three are 26-character ids (src/ids.ts). */
export interface TrackedEmailRef {
  emailId: string;
  projectId: string;
  recordId: string;
}

/** MAILTRAIL_SECRET: the cookie key is derived from it, never the secret itself. */
export type TrackingSecret = string | Buffer;

/** Version tag heading every cookie; a new format gets a new tag and both are read for a while. */
export const COOKIE_PREFIX = 'mt1';
/** 80 bits, the floor RFC 2104 section 5 gives for a truncated HMAC. */
const MAC_CHARS = 16;
const ID_CHARS = 26;
export const COOKIE_LENGTH = COOKIE_PREFIX.length + ID_CHARS + MAC_CHARS;

const base32 = '[0-9a-hjkmnp-tv-z]';
const idPattern = new RegExp(`^${base32}{${ID_CHARS}}$`);
const cookieExact = new RegExp(`^${COOKIE_PREFIX}(${base32}{${ID_CHARS}})(${base32}{${MAC_CHARS}})$`);
/** A cookie anywhere in text: any case, not glued to other letters or digits. */
const cookieSource = `(?<![0-9a-z])${COOKIE_PREFIX}${base32}{${ID_CHARS + MAC_CHARS}}(?![0-9a-z])`;

/** HKDF "info" label: the MAC key serves this purpose only, so it cannot be replayed elsewhere. */
const KEY_LABEL = 'mailtrail/tracking-cookie/v1';

/**
 * Derived keys by secret. A process has one secret (two while tests or a rotation run), and
 * deriving it again for every cookie was most of the cost of verifying one. Bounded anyway, so
 * a caller passing many secrets cannot grow it.
 */
const derivedKeys = new Map<string, Buffer>();
const MAX_DERIVED_KEYS = 8;

function cookieKey(secret: TrackingSecret): Buffer {
  const material = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
  if (material.length === 0) {
    throw new AppError('internal', 'tracking_secret_missing', 'The tracking cookie secret is empty.');
  }
  // Keyed by the bytes, not the object: a Buffer secret may be refilled in place.
  const id = material.toString('base64');
  const cached = derivedKeys.get(id);
  if (cached) return cached;
  const key = Buffer.from(hkdfSync('sha256', material, Buffer.alloc(0), KEY_LABEL, 32));
  if (derivedKeys.size >= MAX_DERIVED_KEYS) derivedKeys.clear();
  derivedKeys.set(id, key);
  return key;
}

function checkedId(value: string, field: keyof TrackedEmailRef): string {
  const id = value.trim().toLowerCase();
  if (!idPattern.test(id)) {
    throw new AppError('internal', 'invalid_tracking_ref', `${field} "${value}" is not a 26-character id.`);
  }
  return id;
}

function mac(ref: TrackedEmailRef, secret: TrackingSecret): string {
  const emailId = checkedId(ref.emailId, 'emailId');
  const projectId = checkedId(ref.projectId, 'projectId');
  const recordId = checkedId(ref.recordId, 'recordId');
  const digest = createHmac('sha256', cookieKey(secret)).update(`${emailId}|${projectId}|${recordId}`).digest();
  return toBase32(digest.subarray(0, (MAC_CHARS * 5) / 8));
}

/** The cookie for one tracked email. Throws for ids that are not ours or an empty secret. */
export function createCookie(ref: TrackedEmailRef, secret: TrackingSecret): string {
  return `${COOKIE_PREFIX}${checkedId(ref.emailId, 'emailId')}${mac(ref, secret)}`;
}

/**
 * Splits a cookie into the email id to look up and its MAC, after folding case (mail servers
 * and clients upper- or lower-case local parts and subjects). Undefined when it is not one.
 */
export function parseCookie(token: string): { cookie: string; emailId: string; mac: string } | undefined {
  const cookie = token.trim().toLowerCase();
  const match = cookieExact.exec(cookie);
  if (!match) return undefined;
  return { cookie, emailId: match[1] ?? '', mac: match[2] ?? '' };
}

/**
 * True when `token` is the cookie of exactly this email, project and record. The caller looks
 * the email up by `parseCookie(token).emailId` and passes that row's project and record, so a
 * cookie with an altered id or MAC, or one replayed against another project or record, fails.
 * Constant-time in the compared bytes.
 */
export function verifyCookie(token: string, ref: TrackedEmailRef, secret: TrackingSecret): boolean {
  const parsed = parseCookie(token);
  if (!parsed) return false;
  let expected: string;
  try {
    expected = createCookie(ref, secret);
  } catch {
    return false;
  }
  const a = Buffer.from(parsed.cookie, 'latin1');
  const b = Buffer.from(expected, 'latin1');
  return a.length === b.length && timingSafeEqual(a, b);
}

function splitAddress(address: string): { local: string; domain: string } {
  const clean = address.trim().replace(/^<|>$/g, '');
  const at = clean.lastIndexOf('@');
  if (at <= 0 || at === clean.length - 1 || /[\s<>]/.test(clean)) {
    throw new AppError('internal', 'invalid_tracking_address', `"${address}" is not an email address.`);
  }
  return { local: clean.slice(0, at), domain: clean.slice(at + 1) };
}

function checkedCookie(cookie: string): string {
  const parsed = parseCookie(cookie);
  if (!parsed) throw new AppError('internal', 'invalid_cookie', `"${cookie}" is not a tracking cookie.`);
  return parsed.cookie;
}

/** The Message-ID of a tracked email, `<cookie@domain>`: replies carry it back in In-Reply-To and References. */
export function messageIdFor(cookie: string, domain: string): string {
  const host = domain.trim().toLowerCase();
  if (!/^[a-z0-9.-]+$/.test(host)) {
    throw new AppError('internal', 'invalid_message_id_domain', `"${domain}" is not a domain name.`);
  }
  return `<${checkedCookie(cookie)}@${host}>`;
}

/** Length of the subject token: 40 bits, a short carrier people can live with in a subject. */
export const SUBJECT_TOKEN_CHARS = 8;
const SUBJECT_KEY_LABEL = 'mailtrail/subject-token/v1';

/**
 * The short subject token of one cookie: 40 bits of HMAC-SHA256 over the cookie under a key of
 * its own. It names nothing by itself: the record tag beside it narrows the search to that
 * record's emails, and the token picks one of them. Cheap to guess compared with the cookie
 * (2^40), so the inbound side accepts it only from a known sender (docs/tracking-cookie.md).
 */
export function subjectToken(cookie: string, secret: TrackingSecret): string {
  const material = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
  if (material.length === 0) {
    throw new AppError('internal', 'tracking_secret_missing', 'The tracking cookie secret is empty.');
  }
  const key = Buffer.from(hkdfSync('sha256', material, Buffer.alloc(0), SUBJECT_KEY_LABEL, 32));
  const digest = createHmac('sha256', key).update(checkedCookie(cookie)).digest();
  return toBase32(digest.subarray(0, (SUBJECT_TOKEN_CHARS * 5) / 8));
}

/**
 * The subject tag, `[DEMO-D42 k3x9m2pq]`: the record tag for people and the short subject token
 * (`subjectToken`). The full cookie travels in the Message-ID, the body and the Reply-To. A bare
 * record tag is never matched, because it can be typed by anyone (Zammad issue 5064).
 * Mail sent before the short token carried `[DEMO-D42 mt1…]`; that form is still read.
 */
export function subjectTag(recordTag: string, token: string): string {
  const tag = recordTag.replace(/[[\]\r\n]/g, '').trim();
  const value = token.trim().toLowerCase();
  if (!subjectTokenExact.test(value) && !parseCookie(value)) {
    throw new AppError('internal', 'invalid_subject_token', `"${token}" is not a subject token.`);
  }
  return tag ? `[${tag} ${value}]` : `[${value}]`;
}

const subjectTokenExact = new RegExp(`^${base32}{${SUBJECT_TOKEN_CHARS}}$`);
/** `[KEY-T42 token]` in a subject, any case; the record tag as `recordTagOf` in domain/commands. */
const subjectTokenSource = `\\[\\s*([A-Za-z][A-Za-z0-9_]{0,19}-[A-Za-z]{1,2}[0-9]{1,9})\\s+(${base32}{${SUBJECT_TOKEN_CHARS}})\\s*\\]`;

export interface SubjectTokenCandidate {
  /** The record tag as written, upper-cased: `DEMO-D42`. */
  recordTag: string;
  /** Lower-case token. */
  token: string;
}

/** Every `[KEY-T42 token]` of a subject, each once, at most a few. */
export function subjectTokensIn(subject: string): SubjectTokenCandidate[] {
  const out: SubjectTokenCandidate[] = [];
  for (const m of subject.replace(invisible, '').matchAll(new RegExp(subjectTokenSource, 'gi'))) {
    const recordTag = (m[1] ?? '').toUpperCase();
    const token = (m[2] ?? '').toLowerCase();
    if (out.some((c) => c.recordTag === recordTag && c.token === token)) continue;
    out.push({ recordTag, token });
    if (out.length >= 5) break;
  }
  return out;
}

/** Constant-time comparison of a subject token with the one computed for `cookie`. */
export function verifySubjectToken(token: string, cookie: string, secret: TrackingSecret): boolean {
  let expected: string;
  try {
    expected = subjectToken(cookie, secret);
  } catch {
    return false;
  }
  const a = Buffer.from(token.trim().toLowerCase(), 'latin1');
  const b = Buffer.from(expected, 'latin1');
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The reference line for the foot of the body. Both forms are visible text: clients keep
 * visible text when they quote (Outlook rebuilds quoted HTML and drops what is hidden), and
 * the text part carries it for clients that reply in plain text.
 */
export function bodyLine(cookie: string): { text: string; html: string } {
  const value = checkedCookie(cookie);
  return {
    text: `Mailtrail ref: ${value}`,
    html: `<span style="color:#9ca3af;font-size:11px">Mailtrail ref: ${value}</span>`,
  };
}

/** `local+cookie@domain`: a Reply-To that brings the cookie back even when a client drops References. */
export function plusAddress(trackingAddress: string, cookie: string): string {
  const { local, domain } = splitAddress(trackingAddress);
  return `${local}+${checkedCookie(cookie)}@${domain}`;
}

/** VERP envelope sender `local+bounce-cookie@domain`: a bounce comes back addressed to it. */
export function bounceAddress(trackingAddress: string, cookie: string): string {
  const { local, domain } = splitAddress(trackingAddress);
  return `${local}+bounce-${checkedCookie(cookie)}@${domain}`;
}

const verpAnywhere = new RegExp(`\\+bounce-(${COOKIE_PREFIX}${base32}{${ID_CHARS + MAC_CHARS}})@`, 'i');

/**
 * The cookie of a VERP bounce address, or undefined. With `trackingAddress`, only that
 * mailbox's addresses count; without, any `+bounce-<cookie>@` does (the MAC still decides).
 */
export function parseBounceAddress(address: string, trackingAddress?: string): string | undefined {
  const clean = address.trim().replace(/^<|>$/g, '').toLowerCase();
  if (trackingAddress === undefined) {
    const match = verpAnywhere.exec(clean);
    return match?.[1]?.toLowerCase();
  }
  const { local, domain } = splitAddress(trackingAddress.toLowerCase());
  const prefix = `${local}+bounce-`;
  const suffix = `@${domain}`;
  if (!clean.startsWith(prefix) || !clean.endsWith(suffix)) return undefined;
  return parseCookie(clean.slice(prefix.length, clean.length - suffix.length))?.cookie;
}

/**
 * Removes cookies and subject tokens from text shown to people (`[DEMO-D42 mt1…] Title` and
 * `[DEMO-D42 k3x9m2pq] Title` → `[DEMO-D42] Title`).
 */
export function stripCookies(text: string): string {
  return text
    .replace(new RegExp(subjectTokenSource, 'gi'), (_m, tag: string) => `[${tag}]`)
    .replace(new RegExp(`\\[([^[\\]]*?)\\s+${cookieSource}\\s*\\]`, 'gi'), '[$1]')
    .replace(new RegExp(`\\[\\s*${cookieSource}\\s*\\]\\s?`, 'gi'), '')
    .replace(new RegExp(`\\s?${cookieSource}`, 'gi'), '');
}

/** Where a candidate was found, in the order they are trusted. */
export type CookieSource = 'in-reply-to' | 'references' | 'subject' | 'text' | 'html' | 'to' | 'cc' | 'delivered-to' | 'x-original-to';

export interface CookieCandidate {
  /** Lower-case cookie. */
  cookie: string;
  /** The email to look up before verifyCookie. */
  emailId: string;
  source: CookieSource;
}

export interface CandidateOptions {
  /** The tracking account's address (Reply-To of tracked mail), for plus-addressed cookies. */
  trackingAddress: string;
  /** The domain of our Message-IDs; ids of other domains are never ours. */
  messageIdDomain: string;
}

/** More than this many distinct cookies in one message is noise; each candidate costs a lookup. */
export const MAX_CANDIDATES = 20;

// Zero-width characters and soft hyphens some clients insert into long words when they quote
const invisible = /[\u00ad\u180e\u200b-\u200d\u2060\ufeff]/g;

function cookiesIn(text: string): string[] {
  return [...text.replace(invisible, '').matchAll(new RegExp(cookieSource, 'gi'))].map((m) => m[0].toLowerCase());
}

function addressesOf(value: string): string[] {
  // The lookbehind keeps this linear on long tokens with no "@" (see messageIds.ts).
  return [...value.matchAll(/(?<![^\s<>,;:"()])[^\s<>,;:"()]+@[^\s<>,;:"()]+/g)].map((m) => m[0]);
}

/**
 * Every cookie a message carries, most trusted first, each once (with the first place it was
 * found): In-Reply-To, then References newest first, then the subject, the text and HTML
 * bodies, then plus addresses of the tracking account in To, Cc, Delivered-To and
 * X-Original-To. Candidates are unverified: the caller looks each up and runs verifyCookie,
 * taking the first that passes. Bounce (VERP) addresses are not candidates: a bounce is no reply.
 */
export function extractCookieCandidates(msg: ParsedMessage, opts: CandidateOptions): CookieCandidate[] {
  const out: CookieCandidate[] = [];
  const seen = new Set<string>();
  const add = (cookie: string, source: CookieSource): void => {
    const parsed = parseCookie(cookie);
    if (!parsed || seen.has(parsed.cookie) || out.length >= MAX_CANDIDATES) return;
    seen.add(parsed.cookie);
    out.push({ cookie: parsed.cookie, emailId: parsed.emailId, source });
  };

  const idDomain = opts.messageIdDomain.trim().toLowerCase();
  const fromId = (id: string, source: CookieSource): void => {
    const at = id.lastIndexOf('@');
    if (at > 0 && id.slice(at + 1).toLowerCase() === idDomain) add(id.slice(0, at), source);
  };
  for (const id of msg.inReplyTo) fromId(id, 'in-reply-to');
  for (const id of [...msg.references].reverse()) fromId(id, 'references');

  for (const cookie of cookiesIn(msg.subject)) add(cookie, 'subject');
  if (msg.text !== undefined) for (const cookie of cookiesIn(msg.text)) add(cookie, 'text');
  if (msg.html !== undefined) {
    const visible = decodeHtmlEntities(msg.html.replace(/<[^<>]*>/g, ''));
    for (const cookie of cookiesIn(visible)) add(cookie, 'html');
  }

  const { local, domain } = splitAddress(opts.trackingAddress.toLowerCase());
  const prefix = `${local}+`;
  const suffix = `@${domain}`;
  const fromAddress = (address: string, source: CookieSource): void => {
    const a = address.trim().toLowerCase();
    if (a.startsWith(prefix) && a.endsWith(suffix)) add(a.slice(prefix.length, a.length - suffix.length), source);
  };
  for (const a of msg.to) fromAddress(a.address, 'to');
  for (const a of msg.cc) fromAddress(a.address, 'cc');
  for (const header of ['delivered-to', 'x-original-to'] as const) {
    for (const value of msg.headers.get(header) ?? []) for (const a of addressesOf(value)) fromAddress(a, header);
  }
  return out;
}
