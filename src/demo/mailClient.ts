import { randomUUID } from 'node:crypto';
import { simpleParser, type AddressObject, type EmailAddress, type ParsedMail } from 'mailparser';
import nodemailer from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer/index.js';
import { clock } from '../clock.js';
import { isEmailAddress } from '../domain/validation.js';
import { AppError, badRequest, notFound } from '../errors.js';
import { normalizeAddress, type MailboxStore } from '../sandbox/index.js';
import { readerHtml } from './readerHtml.js';

/*
 * The sandbox's mail client: reads the mailboxes the way a person's mail program would and
 * replies like one (quote header, "> " quoting, In-Reply-To/References), so a reply typed in
 * the demo exercises the tracker's matching and trimming exactly as a real reply does.
 *
 * It parses with mailparser, not with our own src/mail/mime parser, on purpose: this plays
 * the part of somebody else's mail program, and sharing our parser would hide its bugs.
 */

export interface MessageSummary {
  id: string;
  from: string;
  to: string[];
  subject: string;
  /** The Date header (ISO); the arrival time when it is missing or unreadable. */
  date: string;
  size: number;
}

export interface AttachmentInfo {
  index: number;
  filename: string;
  contentType: string;
  size: number;
}

export interface MessageView {
  id: string;
  from: string;
  to: string[];
  cc: string[];
  subject: string;
  date: string;
  messageId: string | null;
  text: string;
  /** Sanitized; null for a text-only message. */
  html: string | null;
  blockedImages: number;
  attachments: AttachmentInfo[];
  /** Every header line in order, unfolded, values as written (encoded words included). */
  headers: [string, string][];
}

export interface Party {
  name?: string;
  address: string;
}

export interface ReplyInput {
  text: string;
  html?: string;
  replyAll?: boolean;
}

export interface ComposeInput {
  from: Party;
  to: string[];
  cc?: string[];
  subject: string;
  text: string;
  html?: string;
}

export interface SmtpEndpoint {
  host: string;
  port: number;
}

/**
 * Header blocks larger than this are cut for the list view (the full read still sees all).
 * Real header blocks are a few KB; 256 KB leaves room for long Received chains and DKIM.
 */
const MAX_LIST_HEADER_BYTES = 256 * 1024;
/** Files opened at once while building a list, to stay far from the process's fd limit. */
const LIST_PARALLELISM = 16;
export const DEFAULT_LIST_LIMIT = 200;

function formatParty(a: EmailAddress): string[] {
  if (a.group) return a.group.flatMap(formatParty);
  if (!a.address) return a.name ? [a.name] : [];
  return [a.name ? `${a.name} <${a.address}>` : a.address];
}

function partiesOf(field: AddressObject | AddressObject[] | undefined): EmailAddress[] {
  if (!field) return [];
  const list = Array.isArray(field) ? field : [field];
  const flat = (a: EmailAddress): EmailAddress[] => (a.group ? a.group.flatMap(flat) : [a]);
  return list.flatMap((o) => o.value.flatMap(flat)).filter((a) => Boolean(a.address));
}

function formatted(field: AddressObject | AddressObject[] | undefined): string[] {
  if (!field) return [];
  return (Array.isArray(field) ? field : [field]).flatMap((o) => o.value.flatMap(formatParty));
}

function isoDate(date: Date | undefined, fallback: Date): string {
  return date && !Number.isNaN(date.getTime()) ? date.toISOString() : fallback.toISOString();
}

/** Offset just past the blank line that ends the header block, or -1. */
function headerEnd(buf: Buffer): number {
  const crlf = buf.indexOf('\r\n\r\n');
  const lf = buf.indexOf('\n\n');
  if (crlf < 0 && lf < 0) return -1;
  if (crlf < 0) return lf + 2;
  if (lf < 0) return crlf + 4;
  return Math.min(crlf + 4, lf + 2);
}

async function readHead(store: MailboxStore, address: string, id: string): Promise<Buffer> {
  const stream = await store.createReadStream(address, id);
  let head = Buffer.alloc(0);
  try {
    for await (const chunk of stream) {
      head = Buffer.concat([head, chunk as Buffer]);
      const end = headerEnd(head);
      if (end >= 0) return head.subarray(0, end);
      if (head.length >= MAX_LIST_HEADER_BYTES) return head.subarray(0, MAX_LIST_HEADER_BYTES);
    }
    return head;
  } finally {
    stream.destroy();
  }
}

const LIGHT_PARSE = { skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true } as const;

async function summarize(store: MailboxStore, address: string, m: { id: string; size: number; receivedAt: Date }): Promise<MessageSummary> {
  try {
    const head = await readHead(store, address, m.id);
    const parsed = await simpleParser(Buffer.concat([head, Buffer.from('\r\n\r\n')]), LIGHT_PARSE);
    return {
      id: m.id,
      from: formatted(parsed.from)[0] ?? '',
      to: formatted(parsed.to),
      subject: parsed.subject ?? '',
      date: isoDate(parsed.date, m.receivedAt),
      size: m.size,
    };
  } catch (err) {
    // Removed between listing and reading: it is simply no longer in the mailbox.
    if (err instanceof AppError && err.code === 'message_not_found') throw err;
    return { id: m.id, from: '', to: [], subject: '(unreadable message)', date: m.receivedAt.toISOString(), size: m.size };
  }
}

/** Newest first; `total` counts every message, `messages` holds at most `limit`. */
export async function listMessages(store: MailboxStore, address: string, limit = DEFAULT_LIST_LIMIT): Promise<{ total: number; messages: MessageSummary[] }> {
  const all = await store.list(address);
  const newest = all.reverse().slice(0, limit);
  const messages: MessageSummary[] = [];
  for (let i = 0; i < newest.length; i += LIST_PARALLELISM) {
    const batch = await Promise.all(
      newest.slice(i, i + LIST_PARALLELISM).map((m) =>
        summarize(store, address, m).catch((err: unknown) => {
          if (err instanceof AppError && err.code === 'message_not_found') return undefined;
          throw err;
        }),
      ),
    );
    for (const s of batch) if (s) messages.push(s);
  }
  return { total: all.length, messages };
}

async function parseStored(store: MailboxStore, address: string, id: string): Promise<ParsedMail> {
  return simpleParser(await store.read(address, id), { skipTextLinks: true });
}

/** The Date header, else the arrival time (listing the mailbox only in that rare case). */
async function dateOf(store: MailboxStore, address: string, id: string, parsed: ParsedMail): Promise<string> {
  if (parsed.date && !Number.isNaN(parsed.date.getTime())) return parsed.date.toISOString();
  const arrived = (await store.list(address)).find((m) => m.id === id)?.receivedAt ?? clock().now();
  return arrived.toISOString();
}

function headerPairs(parsed: ParsedMail): [string, string][] {
  return parsed.headerLines.map(({ line }) => {
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    const value =
      colon < 0
        ? ''
        : line
            .slice(colon + 1)
            .replace(/\r?\n[ \t]+/g, ' ')
            .trim();
    return [name.trim(), value];
  });
}

export async function readMessage(store: MailboxStore, address: string, id: string, opts: { remoteImages: boolean }): Promise<MessageView> {
  const parsed = await parseStored(store, address, id);
  const sanitized = parsed.html ? readerHtml(parsed.html, { remoteImages: opts.remoteImages }) : undefined;
  return {
    id,
    from: formatted(parsed.from)[0] ?? '',
    to: formatted(parsed.to),
    cc: formatted(parsed.cc),
    subject: parsed.subject ?? '',
    date: await dateOf(store, address, id, parsed),
    messageId: parsed.messageId ?? null,
    text: parsed.text ?? '',
    html: sanitized?.html ?? null,
    blockedImages: sanitized?.blockedImages ?? 0,
    attachments: parsed.attachments.map((a, index) => ({
      index,
      filename: a.filename ?? `attachment-${index + 1}`,
      contentType: a.contentType,
      size: a.size,
    })),
    headers: headerPairs(parsed),
  };
}

export async function readAttachment(
  store: MailboxStore,
  address: string,
  id: string,
  index: number,
): Promise<{ filename: string; contentType: string; content: Buffer }> {
  const parsed = await parseStored(store, address, id);
  const a = parsed.attachments[index];
  if (!a) throw notFound('attachment_not_found', `Message ${id} has no attachment ${index}.`);
  return { filename: a.filename ?? `attachment-${index + 1}`, contentType: a.contentType, content: a.content };
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "On Tue, 3 Dec 2026 at 10:04, Dana <dana@demo.test> wrote:" — Gmail's shape, in UTC. */
export function quoteHeader(date: Date, from: string): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const when = `${DAYS[date.getUTCDay()]}, ${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()} at ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}`;
  return `On ${when}, ${from} wrote:`;
}

export function quoteText(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').replace(/\n+$/, '').split('\n');
  // Lines kept as they are: "-- " must stay a signature separator inside the quote.
  return lines.map((l) => (l === '' ? '>' : `> ${l}`)).join('\n');
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

function textToHtml(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .split(/\n{2,}/)
    .map((p) => `<div>${escapeHtml(p).replace(/\n/g, '<br>')}</div>`)
    .join('<div><br></div>');
}

function dedupe(parties: Party[], exclude: string[]): Party[] {
  const seen = new Set(exclude.map((x) => x.toLowerCase()));
  const out: Party[] = [];
  for (const p of parties) {
    const key = p.address.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(p);
  }
  return out;
}

const toParty = (a: EmailAddress): Party => (a.name ? { name: a.name, address: a.address ?? '' } : { address: a.address ?? '' });

function referencesOf(parsed: ParsedMail): string[] {
  const refs = parsed.references === undefined ? [] : Array.isArray(parsed.references) ? parsed.references : parsed.references.split(/\s+/);
  const all = [...refs.filter((r) => r.trim() !== ''), ...(parsed.messageId ? [parsed.messageId] : [])];
  return [...new Set(all)];
}

function newMessageId(from: Party): string {
  const domain = from.address.split('@')[1] || 'sandbox.mailtrail.localhost';
  return `<${randomUUID()}@${domain}>`;
}

/**
 * The reply a mail program would write: to Reply-To (else From), everyone else in Cc on
 * reply-all, "Re: " once, threading headers, the typed text above a quote of the original.
 * Exported pure so the exact shape is testable without a server.
 */
export function composeReply(original: ParsedMail, owner: Party, input: ReplyInput, now: Date): Mail.Options & { messageId: string } {
  const replyTo = partiesOf(original.replyTo).map(toParty);
  const from = partiesOf(original.from).map(toParty);
  const originalTo = partiesOf(original.to).map(toParty);
  const originalCc = partiesOf(original.cc).map(toParty);
  let to = dedupe(replyTo.length > 0 ? replyTo : from, [owner.address]);
  // Replying to one's own sent message goes to its recipients, as mail programs do.
  if (to.length === 0) to = dedupe(originalTo, [owner.address]);
  if (to.length === 0) throw badRequest('no_reply_recipient', 'The message has no sender or recipient to reply to.');
  const cc = input.replyAll ? dedupe([...originalTo, ...originalCc], [owner.address, ...to.map((p) => p.address)]) : [];

  const subject = original.subject ?? '';
  const header = quoteHeader(original.date && !Number.isNaN(original.date.getTime()) ? original.date : now, formatted(original.from)[0] ?? 'someone');
  const originalText = original.text ?? '';
  const text = `${input.text.replace(/\r\n?/g, '\n').trimEnd()}\n\n${header}\n${quoteText(originalText)}\n`;
  const quotedHtml = original.html ? readerHtml(original.html, { remoteImages: true }).html : textToHtml(originalText);
  const html =
    `<div dir="ltr">${input.html ?? textToHtml(input.text)}</div><br>` +
    `<div class="gmail_quote"><div dir="ltr" class="gmail_attr">${escapeHtml(header)}<br></div>` +
    `<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex">${quotedHtml}</blockquote></div>`;

  const messageId = newMessageId(owner);
  const references = referencesOf(original);
  return {
    from: owner,
    to,
    ...(cc.length > 0 ? { cc } : {}),
    subject: /^\s*re\s*:/i.test(subject) ? subject : `Re: ${subject}`,
    text,
    html,
    messageId,
    date: now,
    ...(original.messageId ? { inReplyTo: original.messageId } : {}),
    ...(references.length > 0 ? { references } : {}),
  };
}

function checkRecipients(list: string[]): string[] {
  const bad = list.filter((a) => !isEmailAddress(a.trim()));
  if (bad.length > 0) throw badRequest('invalid_address', `Not a valid email address: ${bad.slice(0, 3).join(', ')}.`);
  return list.map((a) => a.trim());
}

export function composeNew(input: ComposeInput, now: Date): Mail.Options & { messageId: string } {
  if (!isEmailAddress(input.from.address)) throw badRequest('invalid_address', `"${input.from.address}" is not a valid sender address.`);
  const cc = checkRecipients(input.cc ?? []);
  return {
    from: input.from,
    to: checkRecipients(input.to),
    ...(cc.length > 0 ? { cc } : {}),
    subject: input.subject,
    text: input.text,
    ...(input.html !== undefined ? { html: input.html } : {}),
    messageId: newMessageId(input.from),
    date: now,
  };
}

/** Hands a message to the sandbox's own SMTP server, which files it for every recipient. */
export async function sendThroughSandbox(smtp: SmtpEndpoint, message: Mail.Options & { messageId: string }): Promise<{ messageId: string }> {
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: false,
    ignoreTLS: true,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 60_000,
  });
  try {
    await transport.sendMail(message);
    return { messageId: message.messageId };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new AppError('unavailable', 'sandbox_send_failed', `The sandbox SMTP server did not take the message: ${reason}`);
  } finally {
    transport.close();
  }
}

export async function replyToMessage(store: MailboxStore, smtp: SmtpEndpoint, owner: Party, id: string, input: ReplyInput): Promise<{ messageId: string }> {
  const address = normalizeAddress(owner.address);
  const parsed = await parseStored(store, address, id);
  // A mail program knows its owner's name; failing a user with this address, use the name the sender wrote.
  const name =
    owner.name ??
    partiesOf([...(parsed.to ? [parsed.to].flat() : []), ...(parsed.cc ? [parsed.cc].flat() : [])]).find((p) => p.name && p.address?.toLowerCase() === address)
      ?.name;
  return sendThroughSandbox(smtp, composeReply(parsed, name ? { name, address } : { address }, input, clock().now()));
}
