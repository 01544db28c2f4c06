import { sql } from 'kysely';
import { trackingIdentity } from '../outbound/index.js';
import type { Executor } from '../store/db.js';
import { findProjectById } from '../store/projects.repository.js';
import type { EmailRow } from '../store/schema.js';

/**
 * Who a record's mail went to and came from: the unexpected-sender check of the file stage and
 * of the subject-token match (the original's own parties first, then one query; never a scan
 * of the record in JS).
 */

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
  return (
    addressesOf(e.to_list).includes(sender) || addressesOf(e.cc_list).includes(sender) || (e.bcc_list !== undefined && addressesOf(e.bcc_list).includes(sender))
  );
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
  const skeleton = (text: string) =>
    text
      .split(/[^\x00-\x7f]+/)
      .map(likeEscape)
      .join('%');
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
  const lowerLike = (column: 'from_address' | 'forward_to' | 'to_list' | 'cc_list' | 'bcc_list', pattern: string) =>
    sql<boolean>`lower(${sql.ref(column)}) like ${pattern} escape '\\'`;
  const candidates = await tx
    .selectFrom('emails')
    .select(['from_address', 'to_list', 'cc_list', 'bcc_list', 'forward_to'])
    .where('record_id', '=', original.record_id)
    .where((eb) =>
      eb.or([
        lowerLike('from_address', p.plain),
        lowerLike('forward_to', p.plain),
        lowerLike('to_list', p.json),
        lowerLike('cc_list', p.json),
        lowerLike('bcc_list', p.json),
      ]),
    )
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
