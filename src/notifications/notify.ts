import { nowIso } from '../clock.js';
import { newId } from '../ids.js';
import { queueEmail, notificationSender } from '../outbound/index.js';
import type { AppContext } from '../core/context.js';
import { toPublicRecords } from '../records/index.js';
import type { Executor } from '../store/db.js';
import { findProjectById } from '../store/projects.repository.js';
import { findRecordById } from '../store/records.repository.js';
import { findUserById } from '../store/users.repository.js';
import { suppressedAmong } from '../suppression/index.js';
import * as repo from './notifications.repository.js';
import type { NotificationRow } from './notifications.repository.js';
import { settingsFrom, type NotifyEvent } from './prefs.js';

export interface NotifyInput {
  userId: string;
  projectId: string;
  recordId: string;
  kind: NotifyEvent;
  /** What it is about, unique per person: the same source never notifies anyone twice. */
  sourceKey: string;
  actorId: string | null;
  summary: string;
  detail: string;
}

/**
 * Tells one person of one thing, inside the caller's transaction: the in-app row always (unless
 * they chose "never"), and the email their settings ask for — now, or left pending for the
 * batch. Returns false when this person had already been told of this source.
 */
export async function notify(ctx: AppContext, tx: Executor, input: NotifyInput): Promise<boolean> {
  const settings = settingsFrom(await repo.findSettings(tx, input.userId, input.projectId));
  const delivery = settings.events[input.kind];
  if (delivery === 'never') return false;
  const row: NotificationRow = {
    id: newId(),
    user_id: input.userId,
    project_id: input.projectId,
    record_id: input.recordId,
    kind: input.kind,
    source_key: input.sourceKey,
    actor_id: input.actorId,
    summary: input.summary,
    detail: input.detail,
    delivery,
    email_state: delivery === 'app' ? 'none' : 'pending',
    email_id: null,
    created_at: nowIso(),
    read_at: null,
  };
  if (!(await repo.insertOnce(tx, row))) return false;
  if (delivery === 'immediate') await emailNotifications(ctx, tx, [row]);
  return true;
}

const indent = (text: string) =>
  text
    .trim()
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');

/**
 * One tracked email to one person about one record, telling of `rows` (theirs, that record's),
 * from the project's notification account. A reply is filed on the record and forwarded to the
 * person whose doing the latest row tells of (the one who mentioned you, who changed it), or the
 * notification account when that is nobody. Rows that cannot be mailed (sending off, no sender
 * address, the person disabled or suppressed) stay in the app only.
 */
export async function emailNotifications(ctx: AppContext, tx: Executor, rows: NotificationRow[]): Promise<string | null> {
  const first = rows[0];
  if (!first) return null;
  const ids = rows.map((r) => r.id);
  const none = async (why: string) => {
    ctx.log.info({ user: first.user_id, record: first.record_id, why }, 'notification kept in the app only');
    await repo.markEmailed(tx, ids, null);
    return null;
  };
  const project = await findProjectById(tx, first.project_id);
  const user = await findUserById(tx, first.user_id);
  const recordRow = await findRecordById(tx, first.record_id);
  if (!project || !user || !recordRow) return none('gone');
  if (project.sending_enabled !== 1) return none('sending is off for the project');
  if (user.disabled === 1) return none('user disabled');
  const from = await notificationSender(tx, project);
  if (!from) return none('no notification account address');
  if ((await suppressedAmong(tx, [user.email])).length > 0) return none('address suppressed');
  const [record] = await toPublicRecords(tx, project, [{ ...recordRow }]);
  const latestActor = [...rows].reverse().find((r) => r.actor_id && r.actor_id !== user.id)?.actor_id;
  const actor = latestActor ? await findUserById(tx, latestActor) : undefined;
  const subject = rows.length === 1 ? first.summary : `${rows.length} updates: ${record!.title}`;
  const lines = rows.map((r) => `• ${r.summary}${r.detail.trim() ? `\n\n${indent(r.detail)}\n` : ''}`);
  const text = [
    `Hello ${user.full_name || user.username},`,
    '',
    ...lines,
    '',
    `${record!.tag}: ${record!.title} (${record!.status}${record!.assignee ? `, assigned to ${record!.assignee}` : ''})`,
    '',
    `Reply to this email and your answer is filed on ${record!.tag}${actor && actor.disabled === 0 ? ` and sent to ${actor.full_name || actor.username}` : ''}.`,
    'You choose what mails you, and when, under My work → Notification settings in Mailtrail.',
  ].join('\n');
  const email = await queueEmail(ctx, tx, {
    project,
    record: record!,
    from,
    senderUserId: null,
    forwardTo: actor && actor.disabled === 0 ? actor.email : from.address,
    source: 'rule',
    to: [{ name: user.full_name, address: user.email }],
    cc: [],
    subject,
    text,
    tracked: true,
  });
  await repo.markEmailed(tx, ids, email.id);
  return email.id;
}
