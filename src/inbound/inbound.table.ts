import type { Selectable } from 'kysely';
import type { Executor } from '../store/db.js';
import type { Database, InboundMessagesTable, InboundState } from '../store/schema.js';

/**
 * Tables and columns added by migration 2026_11_27_0004_inbound, typed here next to the feature
 * that owns them (as the Kysely example app keeps `user.table.ts` beside its repository).
 * `inboundDb(db)` widens a Db or Tx to see them.
 */
export type InboundServerUidsTable = {
  account: string;
  server_uid: string;
  inbound_id: string | null;
  note: string | null;
  seen_at: string;
  removed_at: string | null;
};

export type InboundMessagesTableV2 = InboundMessagesTable & {
  attempts: number;
  target_email_id: string | null;
};

// Type aliases, not interfaces: withTables() wants an index-signature-compatible record.
export type InboundTables = {
  inbound_server_uids: InboundServerUidsTable;
  inbound_messages: InboundMessagesTableV2;
};

export type InboundDatabase = Omit<Database, 'inbound_messages'> & InboundTables;
export type InboundRow = Selectable<InboundMessagesTableV2>;
export type ServerUidRow = Selectable<InboundServerUidsTable>;
export type { InboundState };

export function inboundDb(db: Executor) {
  return db.withTables<InboundTables>();
}
