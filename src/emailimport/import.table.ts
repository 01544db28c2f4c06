import type { Selectable } from 'kysely';
import type { Executor } from '../store/db.js';

/**
 * Tables of migration 2026_12_02_i17_email_import, typed next to the feature that owns them.
 * `importDb(db)` widens a Db or Tx to see them.
 */
export type ProjectEmailImportTable = {
  project_id: string;
  enabled: number;
  address: string;
  who_may_create: string;
  allowed_domains: string;
  max_per_hour: number;
  forward_to_participants: number;
  reopen_status: string;
  done_statuses: string;
  created_at: string;
  updated_at: string;
};

export type ImportRulesTable = {
  id: string;
  project_id: string;
  position: number;
  name: string;
  enabled: number;
  match_recipient: string;
  match_sender_domain: string;
  match_subject: string;
  record_type: string;
  defaults: string;
  acknowledge: number;
  created_at: string;
  updated_at: string;
};

export type RecordParticipantsTable = {
  record_id: string;
  address: string;
  name: string;
  source: string;
  created_at: string;
};

export type EmailImportsTable = {
  id: string;
  project_id: string;
  record_id: string;
  inbound_id: string;
  sender: string;
  message_id: string | null;
  acknowledged: number;
  created_at: string;
};

export type ImportTables = {
  project_email_import: ProjectEmailImportTable;
  import_rules: ImportRulesTable;
  record_participants: RecordParticipantsTable;
  email_imports: EmailImportsTable;
};

export type ProjectEmailImportRow = Selectable<ProjectEmailImportTable>;
export type ImportRuleRow = Selectable<ImportRulesTable>;
export type ParticipantRow = Selectable<RecordParticipantsTable>;

export function importDb(db: Executor) {
  return db.withTables<ImportTables>();
}
