import type { ReplySegment } from '../tracking/trim/index.js';
import { nowIso } from '../clock.js';
import { newId } from '../ids.js';
import type { Address, ParsedMessage } from '../mail/mime/parsedMessage.js';
import { sql } from 'kysely';
import { enqueueOutbox, trackingIdentity } from '../outbound/index.js';
import { findProjectById } from '../store/projects.repository.js';
import { findRecordById } from '../store/records.repository.js';
import { findUserById } from '../store/users.repository.js';
import type { RecordType } from '../domain/commands.js';
import { canView, watchersOfRecord } from '../watchers/index.js';
import type { AppContext } from '../core/context.js';
import type { Executor } from '../store/db.js';
import { findEmail, insertAttachments, insertEmail } from '../store/emails.repository.js';
import type { EmailAttachmentRow, EmailRow, EmailsTable } from '../store/schema.js';
import type { InboundRow } from './inbound.table.js';
import { attachmentContent } from './rawMessage.js';
import { sanitizeEmailHtml } from '../mail/sanitizeHtml.js';
import type { AuthResults } from './mailAuth.js';

/**
 * Writing an inbound message into a thread. `prepareInboundEmail` does the slow, fallible work
 * outside any transaction (attachment blobs, HTML sanitising); `insertInboundEmail` then writes
 * the rows inside the caller's transaction, together with the inbound_messages update and the
 * forward, so a reply is attached and forwarded, or neither.
 */
export interface PreparedEmail {
  id: string;
  fields: Pick<
    EmailsTable,
    'message_id' | 'in_reply_to' | 'references' | 'from_name' | 'from_address' | 'to_list' | 'cc_list' | 'bcc_list' | 'subject' | 'text_body' | 'html_body' | 'date'
  >;
  attachments: EmailAttachmentRow[];
  /** SPF/DKIM/DMARC of the message (mailAuth.ts); absent when the check is off or failed. */
  authResults?: AuthResults;
}

const bracket = (id: string) => `<${id}>`;
const party = (a: Address) => (a.name ? { name: a.name, address: a.address.toLowerCase() } : { address: a.address.toLowerCase() });

/** A Date header more than a day in the future, or before 1990, is a broken clock: use arrival time. */
function sensibleDate(date: Date | undefined, receivedAt: string): string {
  if (!date || Number.isNaN(date.getTime())) return receivedAt;
  const t = date.getTime();
  if (t > Date.parse(receivedAt) + 86_400_000 || t < Date.UTC(1990, 0, 1)) return receivedAt;
  return date.toISOString();
}

export function attachmentUrl(emailId: string, attachmentId: string): string {
  return `/api/v1/emails/${emailId}/attachments/${attachmentId}`;
}

export async function prepareInboundEmail(ctx: AppContext, inbound: InboundRow, msg: ParsedMessage): Promise<PreparedEmail> {
  const id = newId();
  const cidUrls = new Map<string, string>();
  const attachments: EmailAttachmentRow[] = [];
  for (const [position, a] of msg.attachments.entries()) {
    // A deferred attachment (a huge one) streams from the stored message into its blob.
    const blob = await ctx.blobs.put(attachmentContent(ctx.blobs, inbound.raw_blob, msg, a));
    const attachmentId = newId();
    if (a.contentId) cidUrls.set(a.contentId, attachmentUrl(id, attachmentId));
    attachments.push({
      id: attachmentId,
      email_id: id,
      filename: a.filename,
      content_type: a.contentType,
      size: blob.size,
      blob: blob.key,
      content_id: a.contentId ?? null,
      inline: a.inline ? 1 : 0,
      position,
    });
  }
  return {
    id,
    fields: {
      message_id: msg.messageId ? bracket(msg.messageId) : null,
      in_reply_to: msg.inReplyTo[0] ? bracket(msg.inReplyTo[0]) : null,
      references: JSON.stringify(msg.references.map(bracket)),
      from_name: msg.from?.name ?? '',
      from_address: msg.from?.address.toLowerCase() ?? '',
      to_list: JSON.stringify(msg.to.map(party)),
      cc_list: JSON.stringify(msg.cc.map(party)),
      bcc_list: '[]',
      subject: msg.subject,
      text_body: msg.text ?? '',
      html_body: msg.html ? sanitizeEmailHtml(msg.html, { cidUrls }) : null,
      date: sensibleDate(msg.date, inbound.received_at),
    },
    attachments,
  };
}

/** Where an inbound email is filed: under an email of a record, or at the top of a record (parentId null). */
export interface Placement {
  projectId: string;
  recordId: string;
  parentId: string | null;
}

export function under(original: EmailRow): Placement {
  return { projectId: original.project_id, recordId: original.record_id, parentId: original.id };
}

export interface InsertInput {
  prepared: PreparedEmail;
  inbound: InboundRow;
  into: Placement;
  replyText: string | null;
  quotedText: string | null;
  /** The reply in order, as the person's lines and the quotes they answer; see replyParts. */
  segments?: readonly ReplySegment[];
  flags: Record<string, unknown>;
}

export async function insertInboundEmail(tx: Executor, input: InsertInput): Promise<EmailRow> {
  const at = nowIso();
  const row: EmailsTable = {
    id: input.prepared.id,
    project_id: input.into.projectId,
    record_id: input.into.recordId,
    parent_id: input.into.parentId,
    direction: 'inbound',
    source: 'reply',
    status: 'received',
    error: null,
    // Part of a tracked thread; it gets a cookie of its own only when forwarded (outbound/forward.ts).
    tracked: 1,
    cookie: null,
    ...input.prepared.fields,
    reply_text: input.replyText,
    quoted_text: input.quotedText,
    reply_segments: input.segments && input.segments.length > 0 ? JSON.stringify(input.segments) : null,
    sender_user_id: null,
    forward_to: null,
    reply_route: null,
    template: null,
    rule_id: null,
    raw_blob: input.inbound.raw_blob,
    flags: JSON.stringify(input.flags),
    auth_results: input.prepared.authResults ? JSON.stringify(input.prepared.authResults) : null,
    created_at: at,
    updated_at: at,
    deleted_at: null,
  };
  await insertEmail(tx, row);
  await insertAttachments(tx, input.prepared.attachments);
  return row;
}

function addressesOf(json: string): string[] {
  try {
    return (JSON.parse(json) as { address?: string }[]).flatMap((p) => (p.address ? [p.address.toLowerCase()] : []));
  } catch {
    return [];
  }
}

/** Bcc recipients are parties too: a person we Bcc'd who answers is someone we wrote to. */
type Parties = Pick<EmailRow, 'from_address' | 'to_list' | 'cc_list' | 'forward_to'> & { bcc_list?: string };

function isParty(e: Parties, sender: string): boolean {
  if (e.from_address.toLowerCase() === sender || e.forward_to?.toLowerCase() === sender) return true;
  return addressesOf(e.to_list).includes(sender) || addressesOf(e.cc_list).includes(sender) || (e.bcc_list !== undefined && addressesOf(e.bcc_list).includes(sender));
}

/** `text` for a LIKE pattern with `\` as the escape character. */
const likeEscape = (text: string) => text.replace(/[\\%_]/g, '\\$&');

/**
 * LIKE patterns that find `sender` as a whole address: equal to from_address / forward_to, or as
 * an `"address":"…"` member of the JSON lists (`JSON.stringify` writes them, with no spaces; a
 * quote inside a string is always escaped, so the pattern cannot match inside a name). Both
 * sides go through `lower()`, which folds ASCII alike in SQLite, PostgreSQL and JavaScript.
 * Letters outside ASCII are `%`: SQLite's lower() leaves them as they are while JavaScript
 * folds them, so only the ASCII skeleton is matched and JavaScript decides (`exact` false).
 */
function senderPatterns(sender: string): { plain: string; json: string; exact: boolean } {
  const skeleton = (text: string) => text.split(/[^\x00-\x7f]+/).map(likeEscape).join('%');
  return { plain: skeleton(sender), json: `%"address":${skeleton(JSON.stringify(sender))}%`, exact: !/[^\x00-\x7f]/.test(sender) };
}

/**
 * True when `from` is neither a party of the record's email (senders and recipients of any of
 * its emails) nor a member of the project: a reply from someone nobody wrote to. It is still
 * attached (mail gets forwarded to colleagues), but flagged so people see it.
 *
 * Runs once per imported reply, so it must not grow with the record: the original's own
 * parties are checked first (most replies come from someone it was sent to), then one query
 * finds an email of the record naming the sender, instead of loading and parsing every email
 * of the record in JavaScript (that was quadratic over an import into one record).
 */
export async function isUnexpectedSender(
  tx: Executor,
  original: Pick<EmailRow, 'record_id' | 'project_id'> & Partial<Parties>,
  from: string,
): Promise<boolean> {
  const sender = from.toLowerCase();
  if (!sender) return true;
  // Our own addresses are never a known party, even though every tracked email names the
  // tracking address (Reply-To) and may Cc it: otherwise a reply forged From the tracking
  // address, once it sat in an earlier email's To list, would dodge the flag.
  if (await isOurAddress(tx, original.project_id, sender)) return true;
  const { from_address, to_list, cc_list, bcc_list, forward_to } = original;
  if (from_address !== undefined && to_list !== undefined && cc_list !== undefined) {
    if (isParty({ from_address, to_list, cc_list, forward_to: forward_to ?? null, ...(bcc_list !== undefined ? { bcc_list } : {}) }, sender)) return false;
  }
  const p = senderPatterns(sender);
  const lowerLike = (column: 'from_address' | 'forward_to' | 'to_list' | 'cc_list' | 'bcc_list', pattern: string) => sql<boolean>`lower(${sql.ref(column)}) like ${pattern} escape '\\'`;
  const candidates = await tx
    .selectFrom('emails')
    .select(['from_address', 'to_list', 'cc_list', 'bcc_list', 'forward_to'])
    .where('record_id', '=', original.record_id)
    .where((eb) => eb.or([lowerLike('from_address', p.plain), lowerLike('forward_to', p.plain), lowerLike('to_list', p.json), lowerLike('cc_list', p.json), lowerLike('bcc_list', p.json)]))
    // An ASCII address matched by these patterns is the address: one row settles it.
    .$if(p.exact, (q) => q.limit(1))
    .execute();
  if (candidates.some((e) => isParty(e, sender))) return false;
  const member = await tx
    .selectFrom('project_members')
    .innerJoin('users', 'users.id', 'project_members.user_id')
    .select('users.id')
    .where('project_members.project_id', '=', original.project_id)
    .where((eb) => eb.fn('lower', ['users.email']), '=', sender)
    .executeTakeFirst();
  return member === undefined;
}

function baseAddress(address: string): string {
  const at = address.lastIndexOf('@');
  if (at < 0) return address;
  return `${address.slice(0, at).split('+')[0]}${address.slice(at)}`;
}

async function isOurAddress(tx: Executor, projectId: string, sender: string): Promise<boolean> {
  const tracking = (await trackingIdentity(tx))?.address.toLowerCase();
  const notification = (await findProjectById(tx, projectId))?.notification_address.toLowerCase();
  const base = baseAddress(sender);
  return [tracking, notification].some((a) => a !== undefined && a !== '' && baseAddress(a) === base);
}

/** The people a reply route names now: the record's assignee, or its watchers (active, able to view it). */
async function routeTargets(tx: Executor, recordId: string, route: 'assignee' | 'watchers'): Promise<string[]> {
  const watchers = await watchersOfRecord(tx, recordId);
  if (route === 'watchers') return watchers.map((w) => w.email);
  const record = await findRecordById(tx, recordId);
  const assignee = record?.assignee_id ? await findUserById(tx, record.assignee_id) : undefined;
  return assignee && (await canView(tx, record!.project_id, record!.type as RecordType, assignee)) ? [assignee.email] : [];
}

/**
 * Where a reply to `original` is forwarded: its forward_to, or the nearest ancestor's (a reply
 * to one of our forwards is filed under the inbound email, which has none of its own). An email
 * of a rule that routes replies to the assignee or the watchers names them as they are now,
 * leaving out `skip` (the one who replied, our own addresses); when that leaves nobody, the
 * reply goes to forward_to, the notification account, as it always did.
 */
export async function forwardTargets(tx: Executor, original: EmailRow, skip: (address: string) => boolean): Promise<string[]> {
  let current: EmailRow | undefined = original;
  for (let depth = 0; current && depth < 50; depth++) {
    if (current.forward_to) {
      if (current.reply_route) {
        const people = [...new Set((await routeTargets(tx, current.record_id, current.reply_route)).map((a) => a.toLowerCase()))].filter((a) => !skip(a));
        if (people.length > 0) return people;
      }
      return skip(current.forward_to) ? [] : [current.forward_to];
    }
    current = current.parent_id ? await findEmail(tx, current.parent_id) : undefined;
  }
  return [];
}

export async function queueForward(tx: Executor, inboundEmailId: string, forwardTo: string): Promise<void> {
  await enqueueOutbox(tx, { kind: 'forward', emailId: inboundEmailId, forwardTo });
}
