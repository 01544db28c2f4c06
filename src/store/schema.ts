import type { ColumnType, Insertable, Selectable, Updateable } from 'kysely';

/**
 * Table types shared by SQLite and PostgreSQL. Portable column choices (see migrations):
 * timestamps are UTC ISO-8601 text, booleans are 0/1 integers, JSON is text.
 */
type Bool = number;

export interface UsersTable {
  id: string;
  username: string;
  full_name: string;
  email: string;
  password_hash: string;
  is_admin: Bool;
  disabled: Bool;
  created_at: string;
  updated_at: string;
}

export interface ApiTokensTable {
  token_hash: string;
  user_id: string;
  kind: 'api' | 'session';
  csrf_token: string | null;
  created_at: string;
  expires_at: string;
  last_used_at: string;
  /** The client that signed in (User-Agent, clipped), to tell sessions apart in the list. */
  user_agent: string | null;
  /** What the user called a token they created by hand; null for sign-ins. */
  name: string | null;
}

export interface ProjectsTable {
  id: string;
  key: string;
  name: string;
  sending_enabled: Bool;
  tracking_enabled: Bool;
  notification_name: string;
  notification_address: string;
  /** The tracking account of the project's mail; null = the default account. */
  tracking_account_id: string | null;
  created_at: string;
  updated_at: string;
}

/** A tracking mailbox. The row with id 'default' always exists (migration 2026_12_02_zz_tracking_accounts). */
export interface TrackingAccountsTable {
  id: string;
  name: string;
  /** JSON: the account's settings, secrets sealed with MAILTRAIL_SECRET (inbound/trackingSettings.ts). */
  settings: string;
  /** JSON: the last poll (inbound/poller.ts PollStatus); null before the first. */
  status: string | null;
  created_at: string;
  updated_at: string;
}

export type TrackingAccountRow = Selectable<TrackingAccountsTable>;

export interface SecurityGroupsTable {
  id: string;
  project_id: string;
  name: string;
  /** JSON array of command names. */
  commands: string;
  created_at: string;
  updated_at: string;
}

export interface ProjectMembersTable {
  project_id: string;
  user_id: string;
  group_id: string;
  created_at: string;
}

export interface RecordCountersTable {
  project_id: string;
  type: string;
  next_number: number;
}

export interface RecordsTable {
  id: string;
  project_id: string;
  type: string;
  number: number;
  title: string;
  description: string;
  status: string;
  assignee_id: string | null;
  creator_id: string;
  created_at: string;
  updated_at: string;
  /** Goes up by one with every change; a stale edit (older version) is refused. */
  version: number;
  /** urgent | high | normal | low, or null. */
  priority: string | null;
  /** critical | major | minor | trivial, or null. */
  severity: string | null;
}

/** Field changes (created, updated) and things done on the record: email deleted, links, comments, files. */
export type RecordEventKind =
  | 'created'
  | 'updated'
  | 'email.deleted'
  | 'link.added'
  | 'link.removed'
  | 'comment.added'
  | 'comment.deleted'
  | 'file.added'
  | 'file.removed'
  | 'watcher.added'
  | 'watcher.removed'
  // Test case steps, test run results, requirement documents (src/testing/, src/reqdocs/).
  | 'step.added'
  | 'step.edited'
  | 'step.removed'
  | 'steps.reordered'
  | 'testRun.step'
  | 'testRun.result'
  | 'requirement.added'
  | 'requirement.removed'
  | 'requirements.reordered'
  | 'document.added'
  | 'document.removed';

export interface RecordEventsTable {
  id: string;
  record_id: string;
  project_id: string;
  actor_id: string | null;
  /** created, updated, or an event about something on the record (email.deleted, …). */
  kind: RecordEventKind;
  /** JSON array of {field, old, new}; for email.* kinds, {emailId, subject}. */
  changes: string;
  at: string;
  /** The record version this event produced (null for events older than versions). */
  version?: number | null;
  /** The email that caused the change (migration 2026_12_02_i17_email_import). */
  email_id?: string | null;
}

export interface SettingsTable {
  key: string;
  /** JSON. */
  value: string;
  updated_at: string;
}

export interface EmailsTable {
  id: string;
  project_id: string;
  record_id: string;
  parent_id: string | null;
  direction: 'outbound' | 'inbound';
  source: 'user' | 'rule' | 'reply';
  status: 'queued' | 'sent' | 'failed' | 'received' | 'forwarded';
  error: string | null;
  tracked: Bool;
  cookie: string | null;
  message_id: string | null;
  in_reply_to: string | null;
  references: string | null;
  from_name: string;
  from_address: string;
  /** JSON array of {name?, address}. */
  to_list: string;
  cc_list: string;
  /** JSON array of {name?, address}: envelope recipients never written into the headers. */
  bcc_list: string;
  subject: string;
  text_body: string;
  html_body: string | null;
  reply_text: string | null;
  quoted_text: string | null;
  /** JSON array of {kind: 'reply' | 'quote', text} for bottom-posted and interleaved replies. */
  reply_segments: string | null;
  sender_user_id: string | null;
  forward_to: string | null;
  /**
   * Replies are forwarded to the record's assignee or watchers as they are when the reply comes;
   * null: to forward_to (migration 2026_12_04_zz_i18_reply_routes).
   */
  reply_route: 'assignee' | 'watchers' | null;
  template: string | null;
  rule_id: string | null;
  raw_blob: string | null;
  /** JSON object: unexpectedSender, autoReply, bounce, … */
  flags: string;
  /** JSON of the inbound SPF/DKIM/DMARC verdict (src/inbound/mailAuth.ts); null for outbound mail. */
  auth_results: string | null;
  date: string;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
}

export interface EmailAttachmentsTable {
  id: string;
  email_id: string;
  filename: string;
  content_type: string;
  size: number;
  blob: string;
  content_id: string | null;
  inline: Bool;
  position: number;
}

export interface OutboxTable {
  id: string;
  kind: 'send' | 'forward';
  email_id: string;
  forward_to: string | null;
  state: 'pending' | 'done' | 'failed';
  attempts: number;
  next_attempt_at: string;
  lease_owner: string | null;
  lease_until: string | null;
  last_error: string | null;
  created_at: string;
  done_at: string | null;
}

export type InboundState = 'stored' | 'attached' | 'bounce' | 'auto_reply' | 'unmatched' | 'rejected' | 'dismissed';

export interface InboundMessagesTable {
  id: string;
  account: string;
  server_uid: string | null;
  dedupe_key: string;
  message_id: string | null;
  raw_blob: string;
  size: number;
  from_address: string | null;
  subject: string | null;
  state: InboundState;
  reason: string | null;
  detail: string | null;
  email_id: string | null;
  project_id: string | null;
  received_at: string;
  processed_at: string | null;
  removed_from_server: Bool;
}

export interface WorkflowsTable {
  project_id: string;
  record_type: string;
  /** JSON: {statuses:[{name, category}], transitions:{from:[to…]}, initial}. */
  definition: string;
  updated_at: string;
}

export interface CustomFieldsTable {
  id: string;
  project_id: string;
  record_type: string;
  key: string;
  label: string;
  kind: string;
  /** JSON array of option texts (choice fields). */
  options: string;
  required: Bool;
  position: number;
  created_at: string;
  updated_at: string;
}

export interface RecordFieldValuesTable {
  record_id: string;
  field_id: string;
  /** 0 for single values; one row per choice of a multi-choice field. */
  position: number;
  value_text: string;
  value_number: number | null;
}

export interface Database {
  workflows: WorkflowsTable;
  custom_fields: CustomFieldsTable;
  record_field_values: RecordFieldValuesTable;
  users: UsersTable;
  api_tokens: ApiTokensTable;
  projects: ProjectsTable;
  security_groups: SecurityGroupsTable;
  project_members: ProjectMembersTable;
  record_counters: RecordCountersTable;
  records: RecordsTable;
  record_events: RecordEventsTable;
  settings: SettingsTable;
  emails: EmailsTable;
  email_attachments: EmailAttachmentsTable;
  outbox: OutboxTable;
  inbound_messages: InboundMessagesTable;
  email_templates: EmailTemplatesTable;
  notification_rules: NotificationRulesTable;
  tracking_accounts: TrackingAccountsTable;
  blobs: BlobsTable;
  blob_chunks: BlobChunksTable;
}

/** The database blob backend (migration 2026_12_02_ops_blobs, store/blobs.database.ts). */
export interface BlobsTable {
  key: string;
  size: number;
  chunk_bytes: number;
  created_at: string;
}

export interface BlobChunksTable {
  blob_key: string;
  idx: number;
  data: Buffer;
}

export interface NotificationRulesTable {
  id: string;
  project_id: string;
  name: string;
  enabled: Bool;
  event: string;
  /** JSON array of record types; empty means every type. */
  record_types: string;
  /** JSON object of optional conditions. */
  conditions: string;
  /** JSON array of recipient specs: assignee, creator, user:NAME, group:NAME, address:ADDR. */
  recipients: string;
  template: string;
  tracked: Bool;
  notify_actor: Bool;
  /** Where replies to the rule's emails go: notificationAccount | actor | assignee | watchers (migration 2026_12_04_zz_i18_reply_routes). */
  reply_to: string;
  created_at: string;
  updated_at: string;
}
export type NotificationRuleRow = Selectable<NotificationRulesTable>;

export type UserRow = Selectable<UsersTable>;
export type NewUserRow = Insertable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
export type ProjectRow = Selectable<ProjectsTable>;
export type SecurityGroupRow = Selectable<SecurityGroupsTable>;
export type RecordRow = Selectable<RecordsTable>;
export type RecordEventRow = Selectable<RecordEventsTable>;
export type EmailRow = Selectable<EmailsTable>;
export type EmailAttachmentRow = Selectable<EmailAttachmentsTable>;
export type OutboxRow = Selectable<OutboxTable>;
export type InboundMessageRow = Selectable<InboundMessagesTable>;
export type { ColumnType };

export interface EmailTemplatesTable {
  id: string;
  project_id: string;
  name: string;
  subject: string;
  text_body: string;
  html_body: string | null;
  /** JSON array of record types; empty = all. */
  record_types: string;
  is_standard: Bool;
  created_at: string;
  updated_at: string;
}
export type EmailTemplateRow = Selectable<EmailTemplatesTable>;
