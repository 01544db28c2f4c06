import type { RecordType } from '../domain/commands.js';
import { participantForwardTargets } from '../emailimport/index.js';
import { enqueueOutbox } from '../outbound/index.js';
import type { Executor } from '../store/db.js';
import { findEmail } from '../store/emails.repository.js';
import { findRecordById } from '../store/records.repository.js';
import type { EmailRow } from '../store/schema.js';
import { findUserById } from '../store/users.repository.js';
import { canView, watchersOfRecord } from '../watchers/index.js';
import type { ForwardRequest } from './fileInbound.js';

/**
 * The forward stage, the last: a filed reply is queued for the people who wait for it (outbox,
 * in the transaction that filed it, so a reply is attached and forwarded, or neither).
 */

/** Queues the forwards of a filed reply; returns how many were queued. */
export async function forwardStage(tx: Executor, f: ForwardRequest): Promise<number> {
  // Never forward someone's own mail back to them (the original sender answering our forward),
  // nor to one of our own addresses (a rule email whose project has no notification account).
  const targets = await forwardTargets(tx, f.original, (a) => a.toLowerCase() === f.from || f.own.polled(a));
  for (const target of targets) await queueForward(tx, f.inbound.id, target);
  let queued = targets.length;
  if (f.toParticipants) {
    for (const to of await participantForwardTargets(tx, f.inbound.record_id, [f.inbound.from_address.toLowerCase(), ...targets], f.own)) {
      await queueForward(tx, f.inbound.id, to);
      queued++;
    }
  }
  return queued;
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
