import type { RecordType } from './commands.js';
import type { FieldValue } from './fields.js';
import type { StatusCategory } from './workflow.js';

export interface PublicRecord {
  id: string;
  number: number;
  tag: string;
  type: RecordType;
  title: string;
  description: string;
  status: string;
  assignee: string | null;
  creator: string;
  createdAt: string;
  updatedAt: string;
  /** Goes up with every change; send it back (`If-Match` or `version`) to edit safely. */
  version: number;
  /** What the status means in the type's workflow: open, inProgress or done. */
  statusCategory: StatusCategory;
  priority: string | null;
  severity: string | null;
  /** Custom field values by field key (fields without a value are left out). */
  fields: Record<string, FieldValue>;
}

export interface FieldChange {
  field: string;
  old: string | null;
  new: string | null;
}

/**
 * Something done on a record that is not a field change — a comment added or edited — as the
 * hooks that follow records read it (personal notifications: mentions, watchers).
 */
export interface RecordNote {
  kind: 'comment.added' | 'comment.edited';
  projectId: string;
  recordId: string;
  actorId: string | null;
  at: string;
  comment: { id: string; body: string; mentions: string[] };
}

/**
 * An email filed on a record (a reply, an imported message) or a bounce of one of its emails, as
 * the hooks that follow records read it (notification rules' `email.received` / `email.bounced`).
 */
export interface RecordMail {
  kind: 'email.received' | 'email.bounced';
  projectId: string;
  recordId: string;
  emailId: string;
  at: string;
  /** The sender's address, lower case ('' when the message had none). */
  from: string;
}

/** What happened to a record, as notification rules and history read it. */
export interface RecordEvent {
  id: string;
  kind: 'created' | 'updated';
  at: string;
  actorId: string | null;
  projectId: string;
  record: PublicRecord;
  changes: FieldChange[];
  /** The email that caused the change (reopen on reply, a command by email); history shows it. */
  emailId?: string | null;
}
