import type { Selectable } from 'kysely';
import type { Executor } from '../store/db.js';

/**
 * The table of migration 2026_12_02_zzzz_i19deliv_deliverability, typed next to the feature
 * that owns it. `suppressionDb(db)` widens a Db or Tx to see it.
 */
export type SuppressedAddressesTable = {
  /** Lower-cased. */
  address: string;
  reason: SuppressionReason;
  /** The remote server's words (bounce), the feedback type (complaint), or the admin's note. */
  detail: string;
  /** The outbound email that bounced or was complained about. */
  email_id: string | null;
  /** The bounce or complaint as filed under it. */
  inbound_email_id: string | null;
  /** The admin who added it by hand. */
  created_by: string | null;
  created_at: string;
};

export type SuppressionReason = 'bounce' | 'complaint' | 'manual';

export type SuppressionTables = { suppressed_addresses: SuppressedAddressesTable };
export type SuppressionRow = Selectable<SuppressedAddressesTable>;

export function suppressionDb(db: Executor) {
  return db.withTables<SuppressionTables>();
}
