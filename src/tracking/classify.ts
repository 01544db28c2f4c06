import { splitMessageIds } from '../mail/mime/messageIds.js';
import type { Attachment, ParsedMessage } from '../mail/mime/parsedMessage.js';
import { autoReplyReason, isOutOfOfficeSubject, LOOP_HEADER } from './autoReply.js';
import { readTextBounce, type TextBounce } from './bounceText.js';
import { parseBounceAddress } from './cookie.js';
import { enhancedStatus, parseDeliveryStatus, worstRecipient, type DsnRecipient } from './dsn.js';

export { LOOP_HEADER } from './autoReply.js';
export { normalizeSubject } from './subject.js';

export interface BounceClassification {
  kind: 'bounce';
  /** Permanent failure (5.x.x, or no sign of a temporary one); false for delays and 4.x.x. */
  hard: boolean;
  /** RFC 3463 enhanced status code, `5.1.1`. */
  status?: string;
  /** The address that could not be reached. */
  recipient?: string;
  /** The remote server's words, e.g. `550 5.1.1 <x@example.com>: Recipient address rejected`. */
  diagnostic?: string;
  /** Cookie from a VERP address (`tracking+bounce-<cookie>@…`) the bounce was delivered to; unverified. */
  verpCookie?: string;
  /** Message-ID of the bounced message, from the copy or headers the bounce returns. */
  originalMessageId?: string;
}

/** An RFC 5965 feedback report (ARF): someone marked a delivered message as spam or opted out. */
export interface ComplaintReport {
  /** Feedback-Type: abuse, opt-out, fraud, … ('abuse' when the report does not say). */
  feedbackType: string;
  /** The address that complained (Original-Rcpt-To, Removal-Recipient, or the copy's To); often redacted. */
  recipient?: string;
  /** As for bounces: the VERP address it was delivered to, unverified. */
  verpCookie?: string;
  /** Message-ID of the reported message, from the copy the report carries. */
  originalMessageId?: string;
}

export type Classification = BounceClassification | { kind: 'auto_reply'; reason: string; complaint?: ComplaintReport } | { kind: 'normal' };

export interface ClassifyOptions {
  /** When given, only VERP addresses of this mailbox yield a `verpCookie`. */
  trackingAddress?: string;
}

const deliveryStatusTypes = new Set(['message/delivery-status', 'message/global-delivery-status']);
const originalCopyTypes = new Set(['message/rfc822', 'text/rfc822-headers', 'message/global-headers', 'message/global']);
const recipientHeaders = ['delivered-to', 'x-original-to', 'envelope-to', 'x-envelope-to', 'x-delivered-to'];

/**
 * Decides what an inbound message is, in a fixed order: our own mail coming back (loop), then
 * bounce (before auto-reply, because a DSN also has an empty Return-Path and Auto-Submitted),
 * then auto-reply, else a normal message that may be a tracked reply.
 */
export function classify(msg: ParsedMessage, opts: ClassifyOptions = {}): Classification {
  if (msg.headers.has(LOOP_HEADER.toLowerCase())) return { kind: 'auto_reply', reason: `loop: ${LOOP_HEADER} present` };
  const report = readReport(msg);
  if (report) {
    if (report.kind === 'bounce') return complete(report, msg, opts);
    if (report.complaint) return { ...report, complaint: completeComplaint(report.complaint, msg, opts) };
    return report;
  }
  const reason = autoReplyReason(msg);
  if (reason !== undefined) return { kind: 'auto_reply', reason };
  return { kind: 'normal' };
}

function reportType(msg: ParsedMessage): string | undefined {
  const contentType = msg.headers.get('content-type')?.[0] ?? '';
  if (!/^\s*multipart\/report\b/i.test(contentType)) return undefined;
  return /report-type\s*=\s*"?([a-z0-9-]+)/i.exec(contentType)?.[1]?.toLowerCase() ?? '';
}

function text(attachment: Attachment): string {
  return attachment.content.toString('utf8');
}

type Report = BounceClassification | { kind: 'auto_reply'; reason: string; complaint?: ComplaintReport };

function readReport(msg: ParsedMessage): Report | undefined {
  const type = reportType(msg);
  const has = (contentType: string): boolean => msg.attachments.some((a) => a.contentType === contentType);

  // RFC 5965 complaint: the mail was delivered and the recipient called it spam; no bounce
  // Hotmail's JMRP sends complaints as plain multipart/mixed under this subject
  if (type === 'feedback-report' || has('message/feedback-report') || /^\s*complaint about message from\b/i.test(msg.subject)) {
    const complaint = readComplaint(msg);
    return { kind: 'auto_reply', reason: `feedback_report: ${complaint.feedbackType} complaint (RFC 5965)`, complaint };
  }
  // RFC 8098 read receipt
  if (type === 'disposition-notification' || has('message/disposition-notification')) {
    return { kind: 'auto_reply', reason: 'disposition_notification: read receipt (RFC 8098)' };
  }

  const dsnParts = msg.attachments.filter((a) => deliveryStatusTypes.has(a.contentType));
  if (dsnParts.length > 0) {
    const status = parseDeliveryStatus(dsnParts.map(text).join('\n\n'));
    const worst = worstRecipient(status);
    if (worst) return fromDsn(worst, msg);
    if (status.recipients.length > 0) {
      const actions = [...new Set(status.recipients.map((r) => r.action ?? 'unknown'))].join(', ');
      return { kind: 'auto_reply', reason: `delivery_report: ${actions}` };
    }
  }
  if (dsnParts.length > 0 || type === 'delivery-status') {
    return fromText(readTextBounce(msg) ?? { hard: true });
  }

  if (isOutOfOfficeSubject(msg.subject)) return undefined;
  const textBounce = readTextBounce(msg);
  if (!textBounce) return undefined;
  // Some MTAs paste the RFC 3464 fields into the text (Amazon WorkMail, Exim with DSN text)
  const body = msg.text ?? '';
  if (/^\s*(?:final-recipient|action|status)\s*:/im.test(body)) {
    const worst = worstRecipient(parseDeliveryStatus(body));
    if (worst) return merge(fromDsn(worst, msg), textBounce);
  }
  return fromText(textBounce);
}

function fromDsn(entry: DsnRecipient, msg: ParsedMessage): BounceClassification {
  const status = entry.status ?? enhancedStatus.exec(entry.diagnostic ?? '')?.[1];
  let hard: boolean;
  if (status !== undefined) hard = status.startsWith('5');
  else if (entry.action === 'delayed' || entry.action === 'delay') hard = false;
  else {
    const code = /(?<![\d.])([45])\d\d(?![\d.])/.exec(entry.diagnostic ?? '')?.[1];
    hard = code !== '4';
  }
  const out: BounceClassification = { kind: 'bounce', hard };
  if (status !== undefined) out.status = status;
  if (entry.recipient) out.recipient = entry.recipient;
  if (entry.diagnostic) out.diagnostic = entry.diagnostic;
  if (!out.recipient || !out.diagnostic) {
    const textual = readTextBounce(msg);
    if (textual) return merge(out, textual);
  }
  return out;
}

function fromText(bounce: TextBounce): BounceClassification {
  return { kind: 'bounce', ...bounce };
}

/** Fills what the DSN left out from what the text says; the DSN wins where both speak. */
function merge(dsn: BounceClassification, textual: TextBounce): BounceClassification {
  const out: BounceClassification = { ...dsn };
  if (out.status === undefined && textual.status !== undefined) {
    out.status = textual.status;
    out.hard = textual.status.startsWith('5');
  }
  if (out.recipient === undefined && textual.recipient !== undefined) out.recipient = textual.recipient;
  if (out.diagnostic === undefined && textual.diagnostic !== undefined) out.diagnostic = textual.diagnostic;
  return out;
}

function complete(bounce: BounceClassification, msg: ParsedMessage, opts: ClassifyOptions): BounceClassification {
  const out: BounceClassification = { ...bounce };
  const verpCookie = findVerpCookie(msg, opts);
  if (verpCookie !== undefined) out.verpCookie = verpCookie;
  const original = findOriginalMessageId(msg);
  if (original !== undefined) out.originalMessageId = original;
  return out;
}

function findVerpCookie(msg: ParsedMessage, opts: ClassifyOptions): string | undefined {
  const candidates = [...msg.to, ...msg.cc].map((a) => a.address);
  for (const name of recipientHeaders) {
    for (const value of msg.headers.get(name) ?? []) {
      // The lookbehind keeps this linear on long tokens with no "@" (see messageIds.ts).
      candidates.push(...[...value.matchAll(/(?<![^\s<>,;:"()])[^\s<>,;:"()]+@[^\s<>,;:"()]+/g)].map((m) => m[0]));
    }
  }
  for (const address of candidates) {
    const cookie = parseBounceAddress(address, opts.trackingAddress);
    if (cookie !== undefined) return cookie;
  }
  return undefined;
}

/** Fields of the machine-readable part (RFC 5965 section 3.1), names lower-cased. */
function feedbackFields(msg: ParsedMessage): Map<string, string> {
  const out = new Map<string, string>();
  const part = msg.attachments.find((a) => a.contentType === 'message/feedback-report');
  if (!part) return out;
  for (const line of text(part)
    .replace(/\r?\n[ \t]+/g, ' ')
    .split(/\r?\n/)) {
    const m = /^([A-Za-z][A-Za-z0-9-]*)\s*:\s*(.*)$/.exec(line);
    if (m && !out.has((m[1] ?? '').toLowerCase())) out.set((m[1] ?? '').toLowerCase(), (m[2] ?? '').trim());
  }
  return out;
}

function firstAddress(value: string | undefined): string | undefined {
  return value ? /[^\s<>,;:"()]+@[^\s<>,;:"()]+/.exec(value)?.[0] : undefined;
}

/** The To of the reported copy (message/rfc822 or its headers), for reports without Original-Rcpt-To. */
function copyRecipient(msg: ParsedMessage): string | undefined {
  for (const attachment of msg.attachments) {
    if (!originalCopyTypes.has(attachment.contentType) && attachment.contentType !== 'text/rfc822-header') continue;
    const head = (
      text(attachment)
        .replace(/^\s+/, '')
        .split(/\r?\n\r?\n/, 1)[0] ?? ''
    ).replace(/\r?\n[ \t]+/g, ' ');
    const to = firstAddress(/^to\s*:\s*(.+)$/im.exec(head)?.[1]);
    if (to) return to;
  }
  return undefined;
}

function readComplaint(msg: ParsedMessage): ComplaintReport {
  const fields = feedbackFields(msg);
  const out: ComplaintReport = { feedbackType: (fields.get('feedback-type') ?? 'abuse').toLowerCase().split(/[\s;]/)[0] || 'abuse' };
  const recipient = firstAddress(fields.get('original-rcpt-to')) ?? firstAddress(fields.get('removal-recipient')) ?? copyRecipient(msg);
  if (recipient) out.recipient = recipient;
  return out;
}

function completeComplaint(report: ComplaintReport, msg: ParsedMessage, opts: ClassifyOptions): ComplaintReport {
  const out: ComplaintReport = { ...report };
  const verpCookie = findVerpCookie(msg, opts);
  if (verpCookie !== undefined) out.verpCookie = verpCookie;
  const original = findOriginalMessageId(msg);
  if (original !== undefined) out.originalMessageId = original;
  return out;
}

function headerMessageId(block: string): string | undefined {
  const head = block.split(/\r?\n\r?\n/, 1)[0] ?? '';
  const unfolded = head.replace(/\r?\n[ \t]+/g, ' ');
  const value = /^message-id\s*:\s*(.+)$/im.exec(unfolded)?.[1];
  return value === undefined ? undefined : splitMessageIds(value)[0];
}

function findOriginalMessageId(msg: ParsedMessage): string | undefined {
  for (const attachment of msg.attachments) {
    if (!originalCopyTypes.has(attachment.contentType)) continue;
    const id = headerMessageId(text(attachment).replace(/^\s+/, ''));
    if (id !== undefined) return id;
  }
  // Bounces without MIME structure paste the original below the report
  const inline = /^[ \t>]*message-id\s*:\s*(<[^>\n]+>)/im.exec(msg.text ?? '')?.[1];
  return inline === undefined ? undefined : splitMessageIds(inline)[0];
}
