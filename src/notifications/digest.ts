import { clock } from '../clock.js';
import type { AppContext } from '../core/context.js';
import { fileUnsentSection, notificationSender, queueEmail } from '../outbound/index.js';
import { toPublicRecords } from '../records/index.js';
import { insertDigestSections } from '../store/digestSections.repository.js';
import type { Executor } from '../store/db.js';
import { findProjectById } from '../store/projects.repository.js';
import { findRecordById } from '../store/records.repository.js';
import { findUserById } from '../store/users.repository.js';
import { suppressedAmong } from '../suppression/index.js';
import { bodyLine } from '../tracking/cookie.js';
import * as repo from './notifications.repository.js';
import { notificationsDb, type NotificationRow } from './notifications.repository.js';
import { latestDigestMoment, serverTimeZone, settingsFrom } from './prefs.js';

const byTime = (a: NotificationRow, b: NotificationRow) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : 1);

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** `mailto:` as RFC 6068 writes it: each part percent-encoded, line breaks as CRLF. */
export function mailtoLink(address: string, subject: string, body: string): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `mailto:${address}?subject=${enc(subject)}&body=${enc(body.replace(/\r?\n/g, '\r\n'))}`;
}

/**
 * Sends the daily digests that are due at `now` (the project clock): each person whose digest
 * hour (in their time zone) has come gets one email per project with one section per record,
 * holding every notification they chose "digest" for that came before that hour. Returns
 * the number of digests queued.
 *
 * Exactly once across processes, as the batches: one UPDATE … RETURNING takes the pending rows
 * inside the transaction that queues the digest; a second process's UPDATE waits for it and
 * finds them taken.
 */
export async function deliverDueDigests(ctx: AppContext, now: Date = clock().now()): Promise<number> {
  const db = notificationsDb(ctx.store.db);
  const people = await db
    .selectFrom('notifications')
    .select(['user_id', 'project_id'])
    .distinct()
    .where('email_state', '=', 'pending')
    .where('delivery', '=', 'digest')
    .execute();
  let sent = 0;
  for (const p of people) {
    const settings = settingsFrom(await repo.findSettings(ctx.store.db, p.user_id, p.project_id));
    const moment = latestDigestMoment(now, settings.digestHour, settings.timeZone ?? serverTimeZone()).toISOString();
    await ctx.store.db.transaction().execute(async (tx) => {
      const rows = await notificationsDb(tx)
        .updateTable('notifications')
        .set({ email_state: 'sending' })
        .where('user_id', '=', p.user_id)
        .where('project_id', '=', p.project_id)
        .where('delivery', '=', 'digest')
        .where('email_state', '=', 'pending')
        .where('created_at', '<', moment)
        .returningAll()
        .execute();
      if (rows.length === 0) return;
      await notificationsDb(tx)
        .updateTable('notification_settings')
        .set({ last_digest_at: moment })
        .where('user_id', '=', p.user_id)
        .where('project_id', '=', p.project_id)
        .execute();
      if (await emailDigest(ctx, tx, rows.sort(byTime))) sent++;
    });
  }
  return sent;
}

/**
 * One digest email to one person of one project: a section per record, in the order their
 * first notification came, each a tracked email of its own on its record (`fileUnsentSection`)
 * whose "Reply about" link carries that record's cookie. The message that goes out is a tracked
 * email on the first section's record; `digest_sections` lets the inbound side file a reply to
 * the whole digest on the one record it quotes or names (docs/notifications.md, Digests).
 */
async function emailDigest(ctx: AppContext, tx: Executor, rows: NotificationRow[]): Promise<string | null> {
  const first = rows[0]!;
  const ids = rows.map((r) => r.id);
  const none = async (why: string) => {
    ctx.log.info({ user: first.user_id, project: first.project_id, why }, 'digest kept in the app only');
    await repo.markEmailed(tx, ids, null);
    return null;
  };
  const project = await findProjectById(tx, first.project_id);
  const user = await findUserById(tx, first.user_id);
  if (!project || !user) return none('gone');
  if (project.sending_enabled !== 1) return none('sending is off for the project');
  if (user.disabled === 1) return none('user disabled');
  const from = await notificationSender(tx, project);
  if (!from) return none('no notification account address');
  if ((await suppressedAmong(tx, [user.email])).length > 0) return none('address suppressed');

  const groups = new Map<string, NotificationRow[]>();
  for (const r of rows) groups.set(r.record_id, [...(groups.get(r.record_id) ?? []), r]);
  const to = [{ name: user.full_name, address: user.email }];
  const textParts: string[] = [];
  const htmlParts: string[] = [];
  const sections: { recordId: string; tag: string; emailId: string | null; rows: NotificationRow[] }[] = [];
  let carrierRecord: Awaited<ReturnType<typeof toPublicRecords>>[number] | undefined;
  for (const [recordId, group] of groups) {
    const row = await findRecordById(tx, recordId);
    if (!row) continue;
    const [record] = await toPublicRecords(tx, project, [{ ...row }]);
    if (!record) continue;
    carrierRecord ??= record;
    const latestActor = [...group].reverse().find((r) => r.actor_id && r.actor_id !== user.id)?.actor_id;
    const actor = latestActor ? await findUserById(tx, latestActor) : undefined;
    const forwardTo = actor && actor.disabled === 0 ? actor.email : from.address;
    const heading = `${record.tag}: ${record.title} (${record.status}${record.assignee ? `, assigned to ${record.assignee}` : ''})`;
    const bullets = group.map((r) => `• ${r.summary}`);
    const sectionText = [heading, '', ...bullets].join('\n');
    const filed = await fileUnsentSection(ctx, tx, { project, record, from, forwardTo, to, subject: record.title, text: sectionText });
    sections.push({ recordId, tag: record.tag, emailId: filed?.row.id ?? null, rows: group });
    const who = actor && actor.disabled === 0 ? ` and sent to ${actor.full_name || actor.username}` : '';
    if (filed) {
      const ref = bodyLine(filed.row.cookie!);
      const link = mailtoLink(filed.replyAddress, `Re: ${filed.wireSubject}`, `\n\n\n${ref.text}`);
      textParts.push(`== ${heading}\n\n${bullets.join('\n')}\n\nReply about ${record.tag} (filed there${who}): ${link}\n${ref.text}`);
      htmlParts.push(
        `<h3 style="margin:20px 0 6px">${escapeHtml(heading)}</h3><ul>${group.map((r) => `<li>${escapeHtml(r.summary)}</li>`).join('')}</ul>` +
          `<p><a href="${escapeHtml(link)}">Reply about ${escapeHtml(record.tag)}</a> (filed there${escapeHtml(who)})<br>${ref.html}</p>`,
      );
    } else {
      textParts.push(`== ${heading}\n\n${bullets.join('\n')}`);
      htmlParts.push(`<h3>${escapeHtml(heading)}</h3><ul>${group.map((r) => `<li>${escapeHtml(r.summary)}</li>`).join('')}</ul>`);
    }
  }
  if (!carrierRecord) return none('records gone');
  const n = sections.length;
  const intro = `Hello ${user.full_name || user.username},\n\nWhat happened in ${project.name} since your last digest: ${n} record${n === 1 ? '' : 's'}.`;
  const outro = [
    'Use the "Reply about" link of a section to answer about that record. A reply to this whole email is filed on the record it names or the one section it keeps quoted;',
    `otherwise on ${carrierRecord.tag}, the first section.`,
    'You choose what mails you, and when, under My work → Notification settings in Mailtrail.',
  ].join('\n');
  const email = await queueEmail(ctx, tx, {
    project,
    record: carrierRecord,
    from,
    senderUserId: null,
    forwardTo: from.address,
    source: 'rule',
    to,
    cc: [],
    subject: `Daily digest: ${n} record${n === 1 ? '' : 's'} in ${project.name}`,
    text: [intro, ...textParts, outro].join('\n\n'),
    html: `<p>${escapeHtml(intro).replace(/\n/g, '<br>')}</p>${htmlParts.join('\n')}<p style="color:#6b7280">${escapeHtml(outro).replace(/\n/g, ' ')}</p>`,
    tracked: true,
    template: 'digest',
  });
  await insertDigestSections(
    tx,
    sections
      .filter((s) => s.emailId)
      .map((s, position) => ({ digest_email_id: email.id, section_email_id: s.emailId!, record_id: s.recordId, record_tag: s.tag, position })),
  );
  await repo.markEmailed(tx, ids, email.id);
  return email.id;
}
