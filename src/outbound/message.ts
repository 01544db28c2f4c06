import type Mail from 'nodemailer/lib/mailer/index.js';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { LOOP_HEADER } from '../tracking/classify.js';
import { threadIndex } from './threadIndex.js';

/** The line above which replies are kept; everything from it down is the quoted original. */
export const REPLY_MARKER = '##- Please type your reply above this line -##';

export interface Party {
  name?: string;
  address: string;
}

export interface OutgoingMessage {
  from: Party;
  to: Party[];
  cc: Party[];
  replyTo?: Party;
  subject: string;
  text: string;
  html?: string | null;
  messageId: string;
  inReplyTo?: string | null;
  references: string[];
  date: Date;
  /** Footer lines carrying the cookie; omitted for untracked mail. */
  trackingLine?: { text: string; html: string };
  threadRoot?: { messageId: string; date: Date; path: string[] };
  automatic: boolean;
  loopToken: string;
  attachments: { filename: string; contentType: string; content: Buffer; cid?: string }[];
  headers?: Record<string, string>;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Plain text to simple HTML, for emails written as text only (we always send both parts). */
export function textToHtml(text: string): string {
  const paragraphs = text.split(/\n{2,}/).map((p) => `<p>${escapeHtml(p).replace(/\n/g, '<br>')}</p>`);
  return paragraphs.join('\n');
}

export function composeOptions(m: OutgoingMessage): Mail.Options {
  const tracked = m.trackingLine !== undefined;
  const text = tracked ? `${REPLY_MARKER}\n\n${m.text.trimEnd()}\n\n-- \n${m.trackingLine!.text}\n` : `${m.text.trimEnd()}\n`;
  const bodyHtml = m.html ?? textToHtml(m.text);
  const html = tracked
    ? `<div style="color:#888;font-size:12px">${escapeHtml(REPLY_MARKER)}</div>\n${bodyHtml}\n<div style="color:#888;font-size:11px;margin-top:24px">${m.trackingLine!.html}</div>`
    : bodyHtml;
  const headers: Record<string, string> = { [LOOP_HEADER]: m.loopToken, ...(m.headers ?? {}) };
  if (m.automatic) {
    headers['Auto-Submitted'] = 'auto-generated';
    headers['X-Auto-Response-Suppress'] = 'All';
  }
  if (m.threadRoot) {
    headers['Thread-Index'] = threadIndex(m.threadRoot.messageId, m.threadRoot.date, m.threadRoot.path);
  }
  return {
    from: m.from,
    to: m.to,
    cc: m.cc.length > 0 ? m.cc : undefined,
    replyTo: m.replyTo,
    subject: m.subject,
    text,
    html: `<!doctype html><html><body>${html}</body></html>`,
    messageId: m.messageId,
    inReplyTo: m.inReplyTo ?? undefined,
    references: m.references.length > 0 ? m.references : undefined,
    date: m.date,
    headers,
    attachments: m.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, content: a.content, ...(a.cid ? { cid: a.cid } : {}) })),
  };
}

/** The exact bytes we send and keep; resends reuse them, so the Message-ID never changes. */
export function compileRaw(options: Mail.Options): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    new MailComposer(options).compile().build((err, message) => (err ? reject(err) : resolve(message)));
  });
}
