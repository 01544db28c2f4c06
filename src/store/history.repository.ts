import type { Executor } from './db.js';

/** An event in a record's history that the emails and the outbox tell by themselves. */
export interface EmailHistoryEvent {
  id: string;
  kind: 'email.sent' | 'email.failed' | 'email.received' | 'email.forwarded';
  at: string;
  actor: string | null;
  changes: never[];
  email: { id: string; subject: string; from: string; to: string[]; forwardedTo?: string; error?: string };
}

function addresses(json: string): string[] {
  return (JSON.parse(json) as { address: string }[]).map((p) => p.address);
}

/** Sends (by whom), failures, receipts (from whom) and forwards (to whom) of a record's email. */
export async function emailEvents(db: Executor, recordId: string): Promise<EmailHistoryEvent[]> {
  const emails = await db
    .selectFrom('emails')
    .leftJoin('users', 'users.id', 'emails.sender_user_id')
    .select(['emails.id', 'emails.direction', 'emails.subject', 'emails.from_address', 'emails.to_list', 'emails.created_at', 'users.username as sender'])
    .where('emails.record_id', '=', recordId)
    .execute();
  if (emails.length === 0) return [];
  const byId = new Map(emails.map((e) => [e.id, e]));
  const out: EmailHistoryEvent[] = [];
  const ref = (e: (typeof emails)[number]) => ({ id: e.id, subject: e.subject, from: e.from_address, to: addresses(e.to_list) });
  for (const e of emails) {
    if (e.direction === 'inbound') out.push({ id: `${e.id}:received`, kind: 'email.received', at: e.created_at, actor: null, changes: [], email: ref(e) });
  }
  const ids = [...byId.keys()];
  for (let i = 0; i < ids.length; i += 1000) {
    const entries = await db
      .selectFrom('outbox')
      .select(['id', 'kind', 'email_id', 'forward_to', 'state', 'done_at', 'last_error'])
      .where('email_id', 'in', ids.slice(i, i + 1000))
      .where('state', 'in', ['done', 'failed'])
      .execute();
    for (const o of entries) {
      const e = byId.get(o.email_id)!;
      const at = o.done_at ?? e.created_at;
      if (o.kind === 'forward') {
        if (o.state === 'done')
          out.push({
            id: `${o.id}:forwarded`,
            kind: 'email.forwarded',
            at,
            actor: null,
            changes: [],
            email: { ...ref(e), ...(o.forward_to ? { forwardedTo: o.forward_to } : {}) },
          });
      } else if (o.state === 'done') {
        out.push({ id: `${o.id}:sent`, kind: 'email.sent', at, actor: e.sender, changes: [], email: ref(e) });
      } else if (o.last_error !== 'deleted before sending') {
        out.push({
          id: `${o.id}:failed`,
          kind: 'email.failed',
          at,
          actor: e.sender,
          changes: [],
          email: { ...ref(e), ...(o.last_error ? { error: o.last_error } : {}) },
        });
      }
    }
  }
  return out;
}
