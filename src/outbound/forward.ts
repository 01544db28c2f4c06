import { nowIso } from '../clock.js';
import type { AppContext } from '../core/context.js';
import { findEmail, listAttachments, updateEmail } from '../store/emails.repository.js';
import type { EmailRow } from '../store/schema.js';
import { findRecordById } from '../store/records.repository.js';
import { findProjectById } from '../store/projects.repository.js';
import { recordTag, type RecordType } from '../domain/commands.js';
import { bodyLine, createCookie, messageIdFor } from '../tracking/cookie.js';
import { compileRaw, composeOptions } from './message.js';
import { loopToken } from './queue.js';
import { messageIdDomain, trackingIdentity } from './trackingAddress.js';

function parties(json: string): { name?: string; address: string }[] {
  return JSON.parse(json) as { name?: string; address: string }[];
}

/**
 * Builds the forward of an imported reply to whoever sent the original. It comes from the
 * tracking account, and carries a cookie of its own (for the inbound email), so when the
 * original sender answers the forward, that answer is tracked under the reply it answers.
 */
export async function buildForward(ctx: AppContext, inbound: EmailRow, forwardTo: string): Promise<{ raw: Buffer; envelopeFrom: string }> {
  const db = ctx.store.db;
  const identity = await trackingIdentity(db, inbound.project_id);
  if (!identity) throw new Error('the tracking account is not configured, so there is no address to forward from');
  const original = inbound.parent_id ? await findEmail(db, inbound.parent_id) : undefined;
  const record = await findRecordById(db, inbound.record_id);
  const project = await findProjectById(db, inbound.project_id);
  if (!record || !project) throw new Error('the record of this email no longer exists');
  const tag = recordTag(project.key, record.type as RecordType, record.number);
  const cookie = inbound.cookie ?? createCookie({ emailId: inbound.id, projectId: inbound.project_id, recordId: inbound.record_id }, ctx.config.secret);
  if (!inbound.cookie) await updateEmail(db, inbound.id, { cookie });
  const references: string[] = original?.references ? (JSON.parse(original.references) as string[]) : [];
  if (original?.message_id) references.push(original.message_id);
  if (inbound.message_id) references.push(inbound.message_id);
  const sender = inbound.from_name ? `${inbound.from_name} <${inbound.from_address}>` : inbound.from_address;
  const attachments = await listAttachments(db, [inbound.id]);
  const to = parties(inbound.to_list).map((p) => p.address);
  const intro = `${sender} replied about ${tag} (${record.title}):`;
  const options = composeOptions({
    from: { name: `${inbound.from_name || inbound.from_address} via Mailtrail`, address: identity.address },
    to: [{ address: forwardTo }],
    cc: [],
    replyTo: { address: identity.address },
    subject: inbound.subject,
    text: `${intro}\n\n${inbound.text_body}`,
    html: `<p>${intro.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</p>\n${inbound.html_body ?? ''}`,
    messageId: messageIdFor(cookie, messageIdDomain(identity)),
    inReplyTo: inbound.message_id ?? original?.message_id ?? null,
    references,
    date: new Date(nowIso()),
    trackingLine: bodyLine(cookie),
    automatic: false,
    loopToken: loopToken(ctx.config.secret),
    headers: { 'Auto-Submitted': 'auto-forwarded', 'X-Mailtrail-Original-To': to.join(', ') },
    attachments: await Promise.all(attachments.map(async (a) => ({ filename: a.filename, contentType: a.content_type, content: await ctx.blobs.get(a.blob) }))),
  });
  if (!inbound.html_body) delete options.html;
  return { raw: await compileRaw(options), envelopeFrom: identity.address };
}
