/**
 * Realistic tracked replies for the import benchmarks: what a customer's mail client sends back
 * to a tracked email (Received chain, DKIM signature, text and HTML parts quoting the original
 * with its Mailtrail reference line, threading headers), some with attachments. LF line endings,
 * as Dovecot stores mail. Deterministic for a given seed.
 */
import type { EmailRow } from '../src/store/schema.js';
import { bodyLine, subjectTag } from '../src/tracking/cookie.js';
import { noise, prose, rng } from './support.js';

export interface ReplyShape {
  /** Bytes of the attachment (0: none). */
  attachmentBytes: number;
  attachmentType: string;
  attachmentName: string;
}

/**
 * The attachment mix of reply number i: every 10th a 50–300 kB PDF, every 100th a 1.5 MB photo,
 * the rest none — about 35 kB per reply on average.
 */
export function shapeOf(i: number, random: () => number): ReplyShape {
  if (i % 100 === 57) return { attachmentBytes: 1_500_000, attachmentType: 'image/jpeg', attachmentName: `IMG_${1000 + i}.jpg` };
  if (i % 10 === 3)
    return { attachmentBytes: 50_000 + Math.floor(random() * 250_000), attachmentType: 'application/pdf', attachmentName: `statement-${i}.pdf` };
  return { attachmentBytes: 0, attachmentType: '', attachmentName: '' };
}

function base64Lines(data: Buffer): string {
  const b64 = data.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 76) lines.push(b64.slice(i, i + 76));
  return lines.join('\n');
}

function fold(name: string, value: string): string {
  const lines: string[] = [];
  let rest = `${name}: ${value}`;
  while (rest.length > 78) {
    lines.push(rest.slice(0, 78));
    rest = `\t${rest.slice(78)}`;
  }
  lines.push(rest);
  return lines.join('\n');
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The reply of a customer to `original` (a tracked email queued by Mailtrail). */
export function replyTo(original: EmailRow, opts: { i: number; seed: number; recordTag: string; trackingAddress: string; shape?: ReplyShape }): Buffer {
  const random = rng(opts.seed * 1_000_003 + opts.i);
  const cookie = original.cookie;
  if (!cookie || !original.message_id) throw new Error(`email ${original.id} is not tracked`);
  const customer = (JSON.parse(original.to_list) as { name?: string; address: string }[])[0]!;
  const wireSubject = original.subject.replace(`[${opts.recordTag}]`, subjectTag(opts.recordTag, cookie));
  const date = new Date(Date.parse(original.date) + 3_600_000 + opts.i * 1000);
  const dateHeader = date.toUTCString().replace('GMT', '+0000');
  const id = `${date.getTime().toString(36)}.${opts.i}.${Math.floor(random() * 1e9).toString(36)}`;
  const shape = opts.shape ?? shapeOf(opts.i, random);
  const outer = `----=_Part_${id}_outer`;
  const alt = `----=_Part_${id}_alt`;

  const replyText = prose(random, 150 + Math.floor(random() * 1200));
  const quoted = [...original.text_body.split('\n'), '-- ', bodyLine(cookie).text].map((l) => (l ? `> ${l}` : '>')).join('\n');
  const text = `${replyText}\n\nKind regards,\n${customer.name ?? customer.address}\n\nOn ${dateHeader}, Dana Developer <${original.from_address}> wrote:\n${quoted}\n`;
  const html =
    `<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head><body>` +
    `<div dir="ltr">${replyText
      .split('\n\n')
      .map((p) => `<p style="margin:0 0 12px 0;font-family:Calibri,Arial,sans-serif">${escapeHtml(p).replace(/\n/g, '<br>\n')}</p>`)
      .join('\n')}` +
    `<p>Kind regards,<br>${escapeHtml(customer.name ?? customer.address)}</p></div>\n` +
    `<div class="gmail_quote"><div dir="ltr" class="gmail_attr">On ${escapeHtml(dateHeader)}, Dana Developer &lt;${original.from_address}&gt; wrote:<br></div>\n` +
    `<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex">\n` +
    `${escapeHtml(original.text_body).replace(/\n/g, '<br>\n')}<br>\n<span style="color:#9ca3af;font-size:11px">${bodyLine(cookie).text}</span>\n` +
    `</blockquote></div></body></html>`;

  const dkim = Buffer.from(noise(opts.i + 17, 256)).toString('base64');
  const headers = [
    `Return-Path: <${customer.address}>`,
    `Delivered-To: ${opts.trackingAddress}`,
    `Received: from mx.example.test\n\tby imap.example.test with LMTP\n\tid ${id}\n\t(envelope-from <${customer.address}>)\n\tfor <${opts.trackingAddress}>; ${dateHeader}`,
    `Received: from mail.customer.test (mail.customer.test [203.0.113.7])\n\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))\n\tby mx.example.test (Postfix) with ESMTPS id 4F${id.slice(0, 8).toUpperCase()}\n\tfor <${opts.trackingAddress}>; ${dateHeader}`,
    `Received: by mail.customer.test with SMTP id ${id}; ${dateHeader}`,
    fold(
      'DKIM-Signature',
      `v=1; a=rsa-sha256; c=relaxed/relaxed; d=customer.test; s=2026; h=mime-version:references:in-reply-to:from:date:message-id:subject:to; bh=${dkim.slice(0, 44)}; b=${dkim}`,
    ),
    `MIME-Version: 1.0`,
    `References: ${original.message_id}`,
    `In-Reply-To: ${original.message_id}`,
    `From: "${customer.name ?? 'Customer'}" <${customer.address}>`,
    `Date: ${dateHeader}`,
    `Message-ID: <CA+${id}@mail.customer.test>`,
    `Subject: Re: ${wireSubject}`,
    `To: Mailtrail <${opts.trackingAddress}>`,
  ];
  const alternative = [
    `--${alt}`,
    `Content-Type: text/plain; charset="UTF-8"`,
    `Content-Transfer-Encoding: 7bit`,
    ``,
    text,
    `--${alt}`,
    `Content-Type: text/html; charset="UTF-8"`,
    `Content-Transfer-Encoding: 7bit`,
    ``,
    html,
    `--${alt}--`,
    ``,
  ].join('\n');

  let message: string;
  if (shape.attachmentBytes > 0) {
    headers.push(`Content-Type: multipart/mixed; boundary="${outer}"`);
    message = [
      headers.join('\n'),
      ``,
      `--${outer}`,
      `Content-Type: multipart/alternative; boundary="${alt}"`,
      ``,
      alternative,
      `--${outer}`,
      `Content-Type: ${shape.attachmentType}; name="${shape.attachmentName}"`,
      `Content-Disposition: attachment; filename="${shape.attachmentName}"`,
      `Content-Transfer-Encoding: base64`,
      ``,
      base64Lines(noise(opts.seed * 31 + opts.i, shape.attachmentBytes)),
      `--${outer}--`,
      ``,
    ].join('\n');
  } else {
    headers.push(`Content-Type: multipart/alternative; boundary="${alt}"`);
    message = [headers.join('\n'), ``, alternative].join('\n');
  }
  return Buffer.from(message, 'utf8');
}
