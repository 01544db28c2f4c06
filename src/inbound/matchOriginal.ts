import type { ParsedMessage } from '../mail/mime/parsedMessage.js';
import { findEmail } from '../store/emails.repository.js';
import type { Executor } from '../store/db.js';
import type { EmailRow, ProjectRow } from '../store/schema.js';
import { findProjectById } from '../store/projects.repository.js';
import type { BounceClassification } from '../tracking/classify.js';
import { TAG_LETTER, type RecordType } from '../domain/commands.js';
import { findProjectByKey } from '../store/projects.repository.js';
import { findRecordByNumber } from '../store/records.repository.js';
import { extractCookieCandidates, parseCookie, subjectTokensIn, verifyCookie, verifySubjectToken } from '../tracking/cookie.js';
import { isUnexpectedSender } from './parties.js';
import type { MatchSource, RejectReason } from './outcomes.js';
import { replyParts } from './replyParts.js';
import { sectionsOfDigest } from '../store/digestSections.repository.js';

export type { MatchSource };

export type Match =
  | { kind: 'found'; email: EmailRow; project: ProjectRow; via: MatchSource }
  | { kind: 'none'; reason?: 'subject_token_unknown_sender'; detail?: string }
  | { kind: 'refused'; reason: RejectReason; detail: string; targetEmailId?: string };

export interface MatchOptions {
  secret: string;
  trackingAddress: string;
  messageIdDomain: string;
}

interface Candidate {
  cookie: string;
  emailId: string;
  via: MatchSource;
}

/**
 * Finds the tracked email a message answers. Candidates come most trusted first; each is looked
 * up and its MAC checked against that email's own project and record, so a forged cookie, an
 * altered one, or one minted for another project or record never matches anything.
 *
 * The first VERIFIED cookie decides, even when it says no (deleted email, tracking off): a
 * genuine reference to email A must never end up attached to some other email B that the
 * message happens to mention further down. Unverifiable candidates are skipped; if nothing
 * verifies, the first failure is the reason the message is refused.
 */
export async function matchOriginal(
  db: Executor,
  msg: ParsedMessage,
  bounce: Pick<BounceClassification, 'verpCookie' | 'originalMessageId'> | undefined,
  opts: MatchOptions,
): Promise<Match> {
  const candidates: Candidate[] = [];
  if (bounce?.verpCookie) {
    const parsed = parseCookie(bounce.verpCookie);
    if (parsed) candidates.push({ cookie: parsed.cookie, emailId: parsed.emailId, via: 'verp' });
  }
  if (bounce?.originalMessageId) {
    const at = bounce.originalMessageId.lastIndexOf('@');
    const domain = bounce.originalMessageId.slice(at + 1).toLowerCase();
    const parsed = at > 0 && domain === opts.messageIdDomain.toLowerCase() ? parseCookie(bounce.originalMessageId.slice(0, at)) : undefined;
    if (parsed) candidates.push({ cookie: parsed.cookie, emailId: parsed.emailId, via: 'bounced-message-id' });
  }
  for (const c of extractCookieCandidates(msg, { trackingAddress: opts.trackingAddress, messageIdDomain: opts.messageIdDomain })) {
    candidates.push({ cookie: c.cookie, emailId: c.emailId, via: c.source });
  }
  let firstFailure: Match | undefined;
  const tried = new Set<string>();
  for (const c of candidates) {
    if (tried.has(c.cookie)) continue;
    tried.add(c.cookie);
    const email = await findEmail(db, c.emailId);
    if (!email) {
      firstFailure ??= { kind: 'refused', reason: 'cookie_unknown_email', detail: `cookie ${c.cookie} (${c.via}) names no existing email` };
      continue;
    }
    if (!verifyCookie(c.cookie, { emailId: email.id, projectId: email.project_id, recordId: email.record_id }, opts.secret)) {
      firstFailure ??= {
        kind: 'refused',
        reason: 'cookie_forged',
        detail: `cookie ${c.cookie} (${c.via}) does not verify for email ${email.id}`,
        targetEmailId: email.id,
      };
      continue;
    }
    if (email.deleted_at !== null) {
      return { kind: 'refused', reason: 'email_deleted', detail: `email ${email.id} was deleted at ${email.deleted_at}`, targetEmailId: email.id };
    }
    const project = await findProjectById(db, email.project_id);
    if (!project)
      return { kind: 'refused', reason: 'cookie_unknown_email', detail: `the project of email ${email.id} no longer exists`, targetEmailId: email.id };
    if (project.tracking_enabled !== 1) {
      return { kind: 'refused', reason: 'tracking_disabled', detail: `project ${project.key} has email tracking off`, targetEmailId: email.id };
    }
    return { kind: 'found', email: await digestSectionOf(db, msg, email, opts), project, via: c.via };
  }
  if (firstFailure) return firstFailure;
  return (await matchSubjectToken(db, msg, opts)) ?? { kind: 'none' };
}

/** How many of one record's tracked emails a subject token is checked against, newest first. */
const MAX_SUBJECT_TOKEN_EMAILS = 500;

const TYPE_OF_LETTER = new Map(Object.entries(TAG_LETTER).map(([type, letter]) => [letter, type as RecordType]));

/**
 * The weakest carrier, tried only when no cookie was found at all: the short subject token
 * beside a record tag (`[DEMO-D42 k3x9m2pq]`). The tag names the record, the token (40 bits of
 * HMAC over the email's cookie) picks one of its tracked emails. 40 bits can be guessed by a
 * patient stranger who knows the record tag, so a match counts only when the sender is someone
 * the record's mail went to or came from, or a project member; otherwise the message waits as
 * unmatched for a person to attach.
 */
async function matchSubjectToken(db: Executor, msg: ParsedMessage, opts: MatchOptions): Promise<Match | undefined> {
  for (const { recordTag, token } of subjectTokensIn(msg.subject)) {
    const m = /^(.+)-([A-Z]{1,2})(\d+)$/.exec(recordTag);
    const type = m ? TYPE_OF_LETTER.get(m[2] ?? '') : undefined;
    if (!m || !type) continue;
    const project = await findProjectByKey(db, m[1] ?? '');
    if (!project) continue;
    const record = await findRecordByNumber(db, project.id, type, Number(m[3]));
    if (!record) continue;
    const emails = await db
      .selectFrom('emails')
      .selectAll()
      .where('record_id', '=', record.id)
      .where('direction', '=', 'outbound')
      .where('cookie', 'is not', null)
      .orderBy('created_at', 'desc')
      .limit(MAX_SUBJECT_TOKEN_EMAILS)
      .execute();
    const email = emails.find((e) => verifySubjectToken(token, e.cookie as string, opts.secret));
    if (!email) continue;
    if (!verifyCookie(email.cookie as string, { emailId: email.id, projectId: email.project_id, recordId: email.record_id }, opts.secret)) continue;
    const from = msg.from?.address.toLowerCase() ?? '';
    if (await isUnexpectedSender(db, email, from)) {
      return {
        kind: 'none',
        reason: 'subject_token_unknown_sender',
        detail: `subject token of ${recordTag} from ${from || 'no sender'}, who is no party to that record`,
      };
    }
    if (email.deleted_at !== null) {
      return { kind: 'refused', reason: 'email_deleted', detail: `email ${email.id} was deleted at ${email.deleted_at}`, targetEmailId: email.id };
    }
    if (project.tracking_enabled !== 1) {
      return { kind: 'refused', reason: 'tracking_disabled', detail: `project ${project.key} has email tracking off`, targetEmailId: email.id };
    }
    return { kind: 'found', email, project, via: 'subject-token' };
  }
  return undefined;
}

/**
 * A reply to a daily digest as a whole (it answers the digest's Message-ID) is about one of its
 * record sections when it says so: the reply's own words name exactly one section's record
 * (`NOT-D2 is fixed`), or else the quote kept exactly one section's reference line (the person
 * cut the rest). Then it is filed under that section's tracked email on that record, and
 * forwarded as that section's replies are. Otherwise it stays with the digest email itself, on
 * the first section's record (docs/notifications.md, Digests). A reply through a section's
 * "Reply about" link carries the section's own cookie and never comes here.
 */
async function digestSectionOf(db: Executor, msg: ParsedMessage, email: EmailRow, opts: MatchOptions): Promise<EmailRow> {
  const sections = await sectionsOfDigest(db, email.id);
  if (sections.length === 0) return email;
  const own = replyParts(msg).replyText.toUpperCase();
  const named = sections.filter((s) => new RegExp(`(?<![A-Z0-9_-])${s.record_tag.toUpperCase()}(?![0-9])`).test(own));
  let chosen = named.length === 1 ? named[0] : undefined;
  if (!chosen) {
    const quoted = new Set(
      extractCookieCandidates(msg, { trackingAddress: opts.trackingAddress, messageIdDomain: opts.messageIdDomain }).map((c) => c.emailId),
    );
    const kept = sections.filter((s) => quoted.has(s.section_email_id));
    if (kept.length === 1) chosen = kept[0];
  }
  if (!chosen) return email;
  const section = await findEmail(db, chosen.section_email_id);
  return section &&
    section.deleted_at === null &&
    section.cookie &&
    verifyCookie(section.cookie, { emailId: section.id, projectId: section.project_id, recordId: section.record_id }, opts.secret)
    ? section
    : email;
}
