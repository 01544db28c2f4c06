import { nowIso } from '../clock.js';
import { isEmailAddress } from '../domain/validation.js';
import { AppError, badRequest, notFound } from '../errors.js';
import type { Executor } from '../store/db.js';
import type { EmailRow } from '../store/schema.js';
import { deleteSuppressed, findSuppressed, insertSuppressed, listSuppressed } from './suppression.repository.js';
import type { SuppressionReason, SuppressionRow } from './suppression.table.js';

/**
 * The suppression list: addresses Mailtrail will not mail unless a person insists. Fed by hard
 * bounces that came back to the VERP envelope sender, by spam complaints (RFC 5965 feedback
 * reports) about a tracked email, and by an admin; lifted by an admin. Sending checks it
 * (refuses with `recipient_suppressed` unless forced), notification rules skip it.
 */
export interface PublicSuppression {
  address: string;
  reason: SuppressionReason;
  detail: string;
  since: string;
  /** The outbound email that bounced or drew the complaint. */
  emailId: string | null;
  /** The bounce or complaint itself, filed under that email. */
  inboundEmailId: string | null;
  createdBy: string | null;
}

export function toPublicSuppression(row: SuppressionRow): PublicSuppression {
  return {
    address: row.address,
    reason: row.reason,
    detail: row.detail,
    since: row.created_at,
    emailId: row.email_id,
    inboundEmailId: row.inbound_email_id,
    createdBy: row.created_by,
  };
}

export async function suppressedAmong(db: Executor, addresses: readonly string[]): Promise<PublicSuppression[]> {
  return (await findSuppressed(db, addresses)).map(toPublicSuppression);
}

const REASON_WORDS: Record<SuppressionReason, string> = { bounce: 'bounced', complaint: 'reported it as spam', manual: 'was suppressed by an administrator' };

/** "x@example.com bounced on 2026-12-02 (550 5.1.1 …)" — the sentence the API and UI show. */
export function describeSuppression(s: PublicSuppression): string {
  return `${s.address} ${REASON_WORDS[s.reason]} on ${s.since.slice(0, 10)}${s.detail ? ` (${s.detail})` : ''}`;
}

/**
 * Refuses a send to suppressed addresses unless `force` is set. The error names every address
 * and why, so a script can decide and a person sees what to check before insisting.
 */
export async function refuseSuppressed(db: Executor, addresses: readonly string[], force: boolean | undefined): Promise<void> {
  if (force) return;
  const hits = await suppressedAmong(db, addresses);
  if (hits.length === 0) return;
  throw new AppError(
    'conflict',
    'recipient_suppressed',
    `Not sent: ${hits.map(describeSuppression).join('; ')}. Send with "force": true to mail ${hits.length === 1 ? 'it' : 'them'} anyway, or lift the suppression (Admin → Suppressed addresses).`,
    { suppressed: hits },
  );
}

function recipientsOf(email: Pick<EmailRow, 'to_list' | 'cc_list'>): string[] {
  const parse = (json: string) => {
    try {
      return (JSON.parse(json) as { address?: string }[]).flatMap((p) => (p.address ? [p.address.toLowerCase()] : []));
    } catch {
      return [];
    }
  };
  return [...new Set([...parse(email.to_list), ...parse(email.cc_list)])];
}

/**
 * Which address of `email` a bounce or complaint is about: the one it names, when the email
 * went to it; else the only recipient of a one-recipient email (reports that name no one, or
 * only what an alias turned the address into). An address the email never went to is never
 * suppressed: whoever can send to the VERP address (every recipient sees it in Return-Path)
 * could otherwise silence a stranger.
 */
export function reportedAddress(email: Pick<EmailRow, 'to_list' | 'cc_list'>, named: string | undefined): string | undefined {
  const recipients = recipientsOf(email);
  const wanted = named?.trim().toLowerCase();
  if (wanted && recipients.includes(wanted)) return wanted;
  return recipients.length === 1 ? recipients[0] : undefined;
}

export interface ReportInput {
  original: EmailRow;
  reason: 'bounce' | 'complaint';
  /** The address the report names, if any. */
  recipient: string | undefined;
  detail: string;
  inboundEmailId: string;
}

/** Suppresses the address a trusted bounce or complaint is about; returns it, or undefined. */
export async function suppressFromReport(tx: Executor, input: ReportInput): Promise<string | undefined> {
  const address = reportedAddress(input.original, input.recipient);
  if (!address) return undefined;
  await insertSuppressed(tx, {
    address,
    reason: input.reason,
    detail: input.detail,
    email_id: input.original.id,
    inbound_email_id: input.inboundEmailId,
    created_by: null,
    created_at: nowIso(),
  });
  return address;
}

/**
 * An SMTP reply that says the mailbox does not exist: RFC 3463 5.1.1 (bad mailbox), 5.1.2 (bad
 * destination system), 5.1.10 (null MX), 5.2.1 (disabled), or a 550 in those words without an
 * enhanced code. Policy, relay and spam refusals (5.7.x, 554 relay denied) are not about the
 * address and suppress nothing.
 */
export function saysMailboxIsGone(reply: string): boolean {
  const code = /(?<![\d.])5\.(\d{1,3})\.(\d{1,3})(?![\d.])/.exec(reply);
  if (code) return (code[1] === '1' && ['1', '2', '10'].includes(code[2] ?? '')) || (code[1] === '2' && code[2] === '1');
  return (
    /^\s*550\b/.test(reply) && /user unknown|unknown user|no such (?:user|mailbox)|mailbox (?:unavailable|not found|does not exist)|does not exist/i.test(reply)
  );
}

/**
 * The SMTP server refused some recipients of a send at RCPT TO because their mailbox does not
 * exist (a synchronous hard bounce): those addresses are suppressed like a VERP bounce. The
 * server is the one the admin configured, so its word is trusted as it is.
 */
export async function suppressRejected(
  tx: Executor,
  email: Pick<EmailRow, 'id' | 'to_list' | 'cc_list'>,
  rejected: readonly { recipient?: string; response?: string }[],
): Promise<string[]> {
  const out: string[] = [];
  const recipients = new Set(recipientsOf(email));
  for (const r of rejected) {
    const address = r.recipient?.trim().toLowerCase();
    if (!address || !recipients.has(address) || !r.response || !saysMailboxIsGone(r.response)) continue;
    await insertSuppressed(tx, {
      address,
      reason: 'bounce',
      detail: r.response,
      email_id: email.id,
      inbound_email_id: null,
      created_by: null,
      created_at: nowIso(),
    });
    out.push(address);
  }
  return out;
}

export async function addSuppression(db: Executor, by: string, address: string, detail: string | undefined): Promise<PublicSuppression> {
  const clean = address.trim().toLowerCase();
  if (!isEmailAddress(clean)) throw badRequest('invalid_email', `"${address}" is not a valid email address.`);
  await insertSuppressed(db, {
    address: clean,
    reason: 'manual',
    detail: detail?.trim() ?? '',
    email_id: null,
    inbound_email_id: null,
    created_by: by,
    created_at: nowIso(),
  });
  const [row] = await findSuppressed(db, [clean]);
  return toPublicSuppression(row!);
}

export async function liftSuppression(db: Executor, address: string): Promise<void> {
  if (!(await deleteSuppressed(db, address))) throw notFound('suppression_not_found', `${address} is not suppressed.`);
}

export async function listSuppressions(db: Executor, opts: { q?: string; limit?: number; offset?: number }) {
  const { rows, total } = await listSuppressed(db, { ...(opts.q ? { q: opts.q } : {}), limit: opts.limit ?? 100, offset: opts.offset ?? 0 });
  return { entries: rows.map(toPublicSuppression), total };
}
