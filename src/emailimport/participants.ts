import { nowIso } from '../clock.js';
import { isEmailAddress } from '../domain/validation.js';
import { badRequest, notFound } from '../errors.js';
import type { Executor } from '../store/db.js';
import { DEFAULT_ACCOUNT_ID, listTrackingAccountRows } from '../store/trackingAccounts.repository.js';
import { importDb, type ParticipantRow } from './import.table.js';
import { allImportAddresses } from './importSettings.js';

/**
 * The email participants of a record: whoever wrote to it or was written to alongside it
 * (sender, To, Cc of imported mail and of replies), plus anyone added by hand or by
 * `/add-participant`. Our own addresses are never participants: mailing them is a loop.
 */
export type ParticipantSource = 'import' | 'reply' | 'manual' | 'command';

export interface Participant {
  address: string;
  name: string;
  source: ParticipantSource;
  addedAt: string;
}

export function toParticipant(row: ParticipantRow): Participant {
  return { address: row.address, name: row.name, source: row.source as ParticipantSource, addedAt: row.created_at };
}

export async function listParticipants(db: Executor, recordId: string): Promise<Participant[]> {
  const rows = await importDb(db)
    .selectFrom('record_participants')
    .selectAll()
    .where('record_id', '=', recordId)
    .orderBy('created_at')
    .orderBy('address')
    .execute();
  return rows.map(toParticipant);
}

/**
 * Addresses that are Mailtrail itself: the tracking address (and its plus-addresses), every
 * project's notification account and import address. Read once per message.
 */
export async function ownAddresses(db: Executor): Promise<OwnAddresses> {
  // Every tracking account's address is ours; `tracking` stays the default account's.
  const accounts = (await listTrackingAccountRows(db)).map((r) => ({
    id: r.id,
    address: (JSON.parse(r.settings) as { address?: string }).address?.toLowerCase(),
  }));
  const tracking = accounts.find((a) => a.id === DEFAULT_ACCOUNT_ID)?.address || undefined;
  const notification = await db.selectFrom('projects').select('notification_address').where('notification_address', '!=', '').execute();
  const polled = new Set<string>(await allImportAddresses(db));
  for (const a of accounts) if (a.address) polled.add(a.address);
  return new OwnAddresses(polled, new Set(notification.map((r) => r.notification_address.toLowerCase())), tracking);
}

export class OwnAddresses {
  constructor(
    /** Addresses whose mail comes back to the poller: the tracking address, import addresses. */
    readonly polledAddresses: ReadonlySet<string>,
    /** Notification accounts: ours, but read by people (replies to rule email are forwarded there). */
    readonly notificationAddresses: ReadonlySet<string>,
    readonly tracking: string | undefined,
  ) {}

  /** Any address of ours: never a participant, never a sender to create records for. */
  has(address: string): boolean {
    return this.notificationAddresses.has(address.toLowerCase()) || this.polled(address);
  }

  /** Mail sent here comes straight back to the poller: never forward to it. */
  polled(address: string): boolean {
    const a = address.toLowerCase();
    if (this.polledAddresses.has(a)) return true;
    if (!this.tracking) return false;
    // tracking+anything@domain is the tracking mailbox too (cookies, VERP, import plus-addresses).
    const [local, domain] = [this.tracking.slice(0, this.tracking.lastIndexOf('@')), this.tracking.slice(this.tracking.lastIndexOf('@') + 1)];
    const at = a.lastIndexOf('@');
    return a.slice(at + 1) === domain && a.slice(0, at).startsWith(`${local}+`);
  }
}

/** Adds whoever is new; existing participants keep their first source. Returns the addresses added. */
export async function addParticipants(
  tx: Executor,
  recordId: string,
  people: readonly { address: string; name?: string }[],
  source: ParticipantSource,
  own: OwnAddresses,
): Promise<string[]> {
  const seen = new Set<string>();
  const fresh = people
    .map((p) => ({ address: p.address.trim().toLowerCase(), name: (p.name ?? '').trim().slice(0, 200) }))
    .filter((p) => {
      if (!isEmailAddress(p.address) || own.has(p.address) || seen.has(p.address)) return false;
      seen.add(p.address);
      return true;
    });
  if (fresh.length === 0) return [];
  const existing = new Set(
    (
      await importDb(tx)
        .selectFrom('record_participants')
        .select('address')
        .where('record_id', '=', recordId)
        .where(
          'address',
          'in',
          fresh.map((p) => p.address),
        )
        .execute()
    ).map((r) => r.address),
  );
  const rows = fresh
    .filter((p) => !existing.has(p.address))
    .map((p) => ({ record_id: recordId, address: p.address, name: p.name, source, created_at: nowIso() }));
  if (rows.length === 0) return [];
  await importDb(tx)
    .insertInto('record_participants')
    .values(rows)
    .onConflict((oc) => oc.columns(['record_id', 'address']).doNothing())
    .execute();
  return rows.map((r) => r.address);
}

/** Adding one by hand or by command: a bad address is a clear error, one of ours is refused. */
export async function addParticipant(
  tx: Executor,
  recordId: string,
  input: { address: string; name?: string },
  source: ParticipantSource,
): Promise<Participant> {
  const address = input.address.trim().toLowerCase();
  if (!isEmailAddress(address)) throw badRequest('invalid_email', `"${input.address}" is not a valid email address.`);
  const own = await ownAddresses(tx);
  if (own.has(address)) throw badRequest('own_address', `${address} is one of Mailtrail's own addresses; it cannot be a participant.`);
  await addParticipants(tx, recordId, [{ address, ...(input.name !== undefined ? { name: input.name } : {}) }], source, own);
  const row = await importDb(tx)
    .selectFrom('record_participants')
    .selectAll()
    .where('record_id', '=', recordId)
    .where('address', '=', address)
    .executeTakeFirstOrThrow();
  return toParticipant(row);
}

export async function removeParticipant(tx: Executor, recordId: string, address: string): Promise<void> {
  const res = await importDb(tx)
    .deleteFrom('record_participants')
    .where('record_id', '=', recordId)
    .where('address', '=', address.trim().toLowerCase())
    .executeTakeFirst();
  if (Number(res.numDeletedRows) === 0) throw notFound('participant_not_found', `${address} is not a participant of this record.`);
}

/** The participants' addresses of many records, lower case, for rule conditions. */
export async function participantAddresses(db: Executor, recordIds: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (recordIds.length === 0) return out;
  const rows = await importDb(db).selectFrom('record_participants').select(['record_id', 'address']).where('record_id', 'in', recordIds).execute();
  for (const r of rows) out.set(r.record_id, [...(out.get(r.record_id) ?? []), r.address.toLowerCase()]);
  return out;
}
