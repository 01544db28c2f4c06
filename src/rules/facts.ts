import type { PublicRecord } from '../domain/record.js';
import type { Executor } from '../store/db.js';
import { participantAddresses } from '../emailimport/index.js';
import type { Facts } from './conditions.js';

/**
 * The facts a condition tree reads beyond the record itself, for many records in two queries
 * (escalation runs evaluate a page of records at a time; a rule evaluates one).
 */
export async function factsOf(db: Executor, records: PublicRecord[], now: Date, changedFields: readonly string[] = []): Promise<Facts[]> {
  if (records.length === 0) return [];
  const ids = records.map((r) => r.id);
  const inbound = await db
    .selectFrom('emails')
    .select(['record_id', (eb) => eb.fn.max('created_at').as('last')])
    .where('record_id', 'in', ids)
    .where('direction', '=', 'inbound')
    .where('deleted_at', 'is', null)
    .groupBy('record_id')
    .execute();
  const last = new Map(inbound.map((r) => [r.record_id, r.last as string | null]));
  const parts = await participantAddresses(db, ids);
  return records.map((record) => ({
    record,
    participants: parts.get(record.id) ?? [],
    lastInboundAt: last.get(record.id) ?? null,
    changedFields,
    now,
  }));
}
