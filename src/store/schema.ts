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
}

export interface ProjectsTable {
  id: string;
  key: string;
  name: string;
  sending_enabled: Bool;
  tracking_enabled: Bool;
  notification_name: string;
  notification_address: string;
  created_at: string;
  updated_at: string;
}

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
}

export interface RecordEventsTable {
  id: string;
  record_id: string;
  project_id: string;
  actor_id: string | null;
  kind: 'created' | 'updated';
  /** JSON array of {field, old, new}. */
  changes: string;
  at: string;
}

export interface SettingsTable {
  key: string;
  /** JSON. */
  value: string;
  updated_at: string;
}

export interface Database {
  users: UsersTable;
  api_tokens: ApiTokensTable;
  projects: ProjectsTable;
  security_groups: SecurityGroupsTable;
  project_members: ProjectMembersTable;
  record_counters: RecordCountersTable;
  records: RecordsTable;
  record_events: RecordEventsTable;
  settings: SettingsTable;
}

export type UserRow = Selectable<UsersTable>;
export type NewUserRow = Insertable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
export type ProjectRow = Selectable<ProjectsTable>;
export type SecurityGroupRow = Selectable<SecurityGroupsTable>;
export type RecordRow = Selectable<RecordsTable>;
export type RecordEventRow = Selectable<RecordEventsTable>;
export type { ColumnType };
