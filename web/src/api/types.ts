/** Shapes of the Mailtrail API (see CONTRACT.md); the client never invents data. */

export const RECORD_TYPES = ['defect', 'requirement', 'requirementDocument', 'testCase', 'testRun'] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

export const RECORD_COMMANDS = [
  'view',
  'add',
  'edit',
  'sendTrackedEmail',
  'replyTrackedEmail',
  'viewTrackedEmail',
  'deleteTrackedEmail',
] as const;
export type RecordCommand = (typeof RECORD_COMMANDS)[number];

export interface User {
  id: string;
  username: string;
  fullName: string;
  email: string;
  isAdmin: boolean;
  disabled: boolean;
  createdAt: string;
}

export interface Project {
  id: string;
  key: string;
  name: string;
  createdAt: string;
}

export interface ProjectWithCommands extends Project {
  commands: string[];
}

export interface TrackerRecord {
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
  /** Sent back on save: a newer stored version refuses the edit with 409 edit_conflict. */
  version: number;
  statusCategory?: StatusCategory;
  priority?: string | null;
  severity?: string | null;
  /** Custom field values by key. */
  fields?: Record<string, FieldValue>;
}

export type StatusCategory = 'open' | 'inProgress' | 'done';
export type FieldValue = string | number | string[];

export interface Workflow {
  type: RecordType;
  statuses: { name: string; category: StatusCategory }[];
  transitions: Record<string, string[]>;
  initial: string;
}

export const FIELD_KINDS = ['text', 'number', 'date', 'choice', 'multiChoice', 'user'] as const;
export type FieldKind = (typeof FIELD_KINDS)[number];

export interface CustomField {
  id: string;
  recordType: RecordType;
  key: string;
  label: string;
  kind: FieldKind;
  options: string[];
  required: boolean;
  position: number;
}

export interface FieldChange {
  field: string;
  old: string | null;
  new: string | null;
}

export interface RecordEvent {
  id: string;
  /** created, updated, email.sent, email.failed, email.received, email.forwarded, email.deleted, … */
  kind: string;
  at: string;
  actor: string | null;
  changes: FieldChange[];
  version?: number;
  email?: { id: string; subject: string; from: string; to: string[]; forwardedTo?: string; error?: string };
  /** The email that caused the change (reopen on reply, a command by email). */
  emailId?: string | null;
}

/** details of a 409 edit_conflict. */
export interface EditConflict {
  yourVersion: number;
  current: TrackerRecord;
  changes: (FieldChange & { by: string[] })[];
}

export interface Participant {
  address: string;
  name: string;
  source: 'import' | 'reply' | 'manual' | 'command';
  addedAt: string;
}

export const WHO_MAY_CREATE = ['anyone', 'known_users', 'domains', 'nobody'] as const;
export type WhoMayCreate = (typeof WHO_MAY_CREATE)[number];

export interface ImportSettings {
  enabled: boolean;
  address: string;
  whoMayCreate: WhoMayCreate;
  allowedDomains: string[];
  maxPerHour: number;
  forwardToParticipants: boolean;
  reopenStatus: string;
  doneStatuses: string[];
}

export interface ImportRule {
  id: string;
  name: string;
  enabled: boolean;
  position: number;
  match: { recipient: string; senderDomain: string; subject: string };
  recordType: RecordType;
  defaults: { status?: string; assignee?: string; priority?: string };
  acknowledge: boolean;
}

export interface InboundPreview {
  from: { name?: string; address: string } | null;
  to: { name?: string; address: string }[];
  cc: { name?: string; address: string }[];
  subject: string;
  date: string | null;
  text: string;
  attachments: { filename: string; contentType: string; size: number }[];
  suggestedTitle: string;
}

export interface Member {
  username: string;
  fullName: string;
  email: string;
  securityGroup: string;
}

export interface SecurityGroup {
  id: string;
  name: string;
  commands: string[];
}

export interface EmailOptions {
  sendingEnabled: boolean;
  trackingEnabled: boolean;
  notificationAccount: { name: string; address: string };
}

export interface Attachment {
  id: string;
  filename: string;
  contentType: string;
  size: number;
}

export type EmailStatus = 'queued' | 'sent' | 'failed' | 'received' | 'forwarded';

export interface TrackedEmail {
  id: string;
  parentId: string | null;
  recordId?: string;
  direction: 'outbound' | 'inbound';
  /** Who created it: a user, a notification rule, the tracking poller, … */
  source?: string;
  status: EmailStatus | string;
  error?: string | null;
  tracked?: boolean;
  from: string;
  fromName?: string;
  to: string[];
  cc: string[];
  /** Our own emails only: whom the sender Bcc'd. */
  bcc?: string[];
  subject: string;
  text: string;
  html?: string | null;
  /** The new part of an inbound reply (quotes and signature trimmed). */
  replyText: string | null;
  quotedText?: string | null;
  /** Bottom-posted and interleaved replies: the person's lines and the quotes they answer, in order. */
  replySegments?: { kind: 'reply' | 'quote'; text: string }[];
  template?: string;
  date: string;
  depth?: number;
  attachments: Attachment[];
  /** A deleted email kept as a trace (no content) so its replies stay in their thread. */
  deleted?: { at: string; by: string | null };
  flags?: { unexpectedSender?: unknown; autoReply?: unknown; bounce?: unknown; dmarcFailed?: unknown; complaint?: unknown; [flag: string]: unknown };
  /** Inbound only: SPF, DKIM and DMARC as judged when the message was filed. */
  auth?: MailAuth;
}

export type AuthVerdict = 'pass' | 'fail' | 'softfail' | 'neutral' | 'none' | 'temperror' | 'permerror' | 'policy';

export interface MailAuth {
  spf: { result: AuthVerdict; domain?: string; clientIp?: string };
  dkim: { result: AuthVerdict; signatures: { domain: string; selector?: string; result: AuthVerdict; aligned: boolean }[] };
  dmarc: { result: AuthVerdict; domain?: string; policy?: string };
  fromDomain?: string;
}

/** An address Mailtrail does not mail (GET /admin/email/suppressions, the Email tab, 409 recipient_suppressed). */
export interface Suppression {
  address: string;
  reason: 'bounce' | 'complaint' | 'manual';
  detail: string;
  since: string;
  emailId: string | null;
  inboundEmailId: string | null;
  createdBy: string | null;
}

export interface DkimSettings {
  enabled: boolean;
  domain: string;
  selector: string;
  keySet: boolean;
  keyBits?: number;
  keyCreatedAt?: string;
  dnsRecord?: { name: string; type: 'TXT'; value: string };
}

export interface EmailTemplate {
  name: string;
  subject: string;
  text: string;
  html?: string | null;
  /** Record types it is offered for; empty: all. */
  recordTypes?: RecordType[];
  /** Shipped with every project: can be edited and reset, not deleted. */
  isStandard?: boolean;
  /** A standard template that differs from the shipped version. */
  modified?: boolean;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html?: string | null;
  template?: string | null;
}

export const RULE_EVENTS = ['record.created', 'record.updated', 'record.assigned', 'record.statusChanged'] as const;
export type RuleEvent = (typeof RULE_EVENTS)[number];

export interface RuleConditions {
  statusEquals?: string;
  assigneeChangedTo?: string;
}

export interface NotificationRule {
  id: string;
  name: string;
  enabled: boolean;
  event: RuleEvent;
  recordTypes: RecordType[];
  conditions?: RuleConditions;
  /** assignee | creator | user:NAME | group:NAME | address:ADDR */
  recipients: string[];
  template: string;
  tracked: boolean;
  /** Also mail the person who made the change. */
  notifyActor?: boolean;
}

export type Security = 'none' | 'starttls' | 'tls';

/** GET /admin/email/sending (the password is write-only: never returned). */
export interface SendingSettings {
  host: string;
  port: number;
  security: Security;
  username?: string | null;
  paused?: boolean;
  onePerConnection?: boolean;
  allowSelfSigned?: boolean;
  maxConnections?: number;
  passwordSet?: boolean;
  configured?: boolean;
}

/** GET /admin/email/tracking (the password is write-only). */
export interface TrackingSettings {
  protocol: 'pop3' | 'imap' | 'graph';
  /** Graph only: well-known folder name or folder id. */
  folder?: string;
  /** Graph only: delete a filed message, or move it to Deleted Items. */
  graphRemoval?: 'delete' | 'move';
  host: string;
  port: number;
  security: Security;
  username: string;
  address: string;
  pollSeconds: number;
  deleteUntracked: boolean;
  allowSelfSigned?: boolean;
  plusAddressing?: boolean;
  passwordSet?: boolean;
  configured?: boolean;
  /** oauth2: signs in with a token of `oauth` (docs/mailboxes.md). */
  auth?: 'password' | 'oauth2';
  oauth?: OAuthClient & { clientSecretSet: boolean };
}

export type OAuthProvider = 'microsoft' | 'google' | 'generic';
export type OAuthGrant = 'delegated' | 'app';
export interface OAuthClient {
  provider: OAuthProvider;
  grant: OAuthGrant;
  authorizationUrl: string;
  tokenUrl: string;
  clientId: string;
  scopes: string[];
  mechanism: 'xoauth2' | 'oauthbearer';
  authorizationParams?: Record<string, string>;
}
/** GET /admin/email/oauth/presets. */
export interface OAuthPreset {
  provider: OAuthProvider;
  label: string;
  servers?: Record<'imap' | 'pop3' | 'smtp', { host: string; port: number; security: Security }>;
  oauth: Record<OAuthGrant, Omit<OAuthClient, 'clientId' | 'grant'> | null>;
}
/** The OAuth2 sign-in of an account (never a token). */
export interface OAuthStatus {
  state: 'connected' | 'reconnect_needed' | 'not_connected';
  tokenExpiresAt: string | null;
  hasRefreshToken: boolean;
  scope: string | null;
  error: string | null;
  connectedAt: string | null;
}

export interface OutboxCounts {
  pending: number;
  failed: number;
}

export interface TestResult {
  ok: boolean;
  message: string;
}

export interface PollResult {
  fetched: number;
  imported: number;
  forwarded: number;
  deletedUntracked: number;
  kept: number;
  rejected: number;
}

export interface EmailStatusReport {
  lastPollAt: string | null;
  lastPollError: string | null;
  lastPollResult: PollResult | null;
  /** Stored inbound messages by state. */
  inbound?: Record<string, number>;
  /** Contributed by the outbound module when it runs. */
  outbox?: OutboxCounts;
}

export const INBOUND_STATES = ['unmatched', 'rejected', 'bounce', 'auto_reply', 'dismissed'] as const;
export type InboundState = (typeof INBOUND_STATES)[number];

export interface InboundMessage {
  id: string;
  from: string | null;
  subject: string | null;
  receivedAt: string;
  state: InboundState | string;
  reason?: string | null;
  detail?: string | null;
  /** The sentence an administrator reads for `reason`. */
  message?: string | null;
  canRetry?: boolean;
  /** The email this message became (attached, bounce, auto-reply). */
  emailId?: string | null;
  /** The tracked email the message named, also when it was not attached there. */
  targetEmailId?: string | null;
  size?: number;
  attempts?: number;
  removedFromServer?: boolean;
}

export interface Mailbox {
  address: string;
  count: number;
  size: number;
}

export interface SandboxSummary {
  id: string;
  from: string;
  to: string[] | string;
  subject: string;
  date: string;
  size: number;
}

export interface SandboxMessage {
  id: string;
  from: string;
  to: string[] | string;
  cc?: string[] | string;
  subject: string;
  date: string;
  messageId?: string | null;
  text: string;
  /** Sanitized by the server; remote images left out unless asked for with ?images=1. */
  html?: string | null;
  blockedImages?: number;
  attachments: { index: number; filename: string; contentType: string; size: number }[];
  headers: [string, string][];
}

export interface PollStatus {
  lastPollAt: string | null;
  lastPollError: string | null;
  lastPollResult: PollResult | null;
  /** host:pid of the server process that ran it. */
  lastPollBy: string | null;
}

export interface TrackingAccount {
  id: string;
  name: string;
  isDefault: boolean;
  /** Keys of the projects whose mail uses this account. */
  projects: string[];
  settings: TrackingSettings;
  status: PollStatus;
  oauth?: OAuthStatus;
}

/** GET /projects/{key}/search (src/search/search.routes.ts). */
export type SearchHitKind = 'record' | 'email' | 'comment' | 'file';
export interface SearchResult {
  record: TrackerRecord;
  matchedBy: 'id' | 'text';
  score: number;
  hit: {
    kind: SearchHitKind;
    id: string;
    title: string;
    snippet: { text: string; hit: boolean }[];
    from?: string;
    direction?: 'outbound' | 'inbound';
    date?: string;
  } | null;
  matches: Partial<Record<SearchHitKind, number>>;
}
export interface SearchResponse {
  query: string;
  total: number;
  capped: boolean;
  results: SearchResult[];
}

/** Links between records (src/links/links.routes.ts). */
export type LinkRequestKind = 'relates' | 'blocks' | 'blockedBy' | 'duplicates' | 'duplicatedBy' | 'tests' | 'testedBy' | 'createdFrom' | 'origin';
export interface RecordLink {
  id: string;
  kind: string;
  direction: 'outgoing' | 'incoming';
  label: string;
  as: LinkRequestKind;
  record: { id: string; tag: string; type: RecordType; title: string; status: string };
  createdBy: string | null;
  createdAt: string;
}

/** Internal notes (src/comments/comments.routes.ts). */
export interface RecordComment {
  id: string;
  author: string | null;
  body: string;
  mentions: string[];
  createdAt: string;
  updatedAt: string;
}

/** Files on a record (src/files/files.routes.ts). */
export interface RecordFile {
  id: string;
  filename: string;
  contentType: string;
  size: number;
  uploadedBy: string | null;
  createdAt: string;
  previewable: boolean;
}

/** A tracked email being written, kept on the server per record and per user until sent or discarded. */
export interface EmailDraft {
  /** Also the id of the email once sent. */
  id: string;
  recordId: string;
  kind: 'new' | 'reply' | 'forward';
  parentId: string | null;
  to: string[];
  cc: string[];
  bcc: string[];
  subject: string;
  text: string;
  template: string | null;
  attachments: Attachment[];
  /** The subject exactly as recipients will see it; null while a template gives it. */
  subjectOnWire: string | null;
  createdAt: string;
  updatedAt: string;
}
