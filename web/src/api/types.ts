/**
 * Shapes of the Mailtrail API, named for the client. Every response shape comes from
 * `schema.ts`, which `npm run api:types` generates from the server's OpenAPI document (the
 * routes' TypeBox schemas): change a shape on the server, regenerate, and the compiler shows
 * every page it touches. What stays written here is what the document cannot say: the lists
 * the pages iterate over (record types, commands, states) and the details of an error.
 */
import type { components, paths } from './schema';

type Schemas = components['schemas'];
/** The JSON body of a 200 answer to `method path`. */
type Ok<Path extends keyof paths, Method extends keyof paths[Path]> = paths[Path][Method] extends { responses: { 200: infer Body } } ? Body : never;

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
  'manageWatchers',
] as const;
export type RecordCommand = (typeof RECORD_COMMANDS)[number];

export type User = Schemas['User'];
/** One of the signed-in user's web sessions or API tokens. */
export type SessionInfo = Ok<'/api/v1/me/sessions', 'get'>['sessions'][number];
/** A token from POST /me/tokens: the only time its value is seen. */
export type CreatedApiToken = paths['/api/v1/me/tokens']['post'] extends { responses: { 201: infer Body } } ? Body : never;
export type Project = Schemas['Project'];
export type ProjectWithCommands = Ok<'/api/v1/projects/{key}', 'get'>;

export type TrackerRecord = Schemas['Record'];
export type StatusCategory = TrackerRecord['statusCategory'];
export type FieldValue = TrackerRecord['fields'][string];

export type Workflow = Schemas['Workflow'];

export const FIELD_KINDS = ['text', 'number', 'date', 'choice', 'multiChoice', 'user'] as const;
export type FieldKind = (typeof FIELD_KINDS)[number];
export type CustomField = Schemas['CustomField'];

export type FieldChange = Schemas['FieldChange'];
export type RecordEvent = Schemas['RecordEvent'];

/** details of a 409 edit_conflict (error details are not in the document). */
export interface EditConflict {
  yourVersion: number;
  current: TrackerRecord;
  changes: (FieldChange & { by: string[] })[];
}

export type Participant = Schemas['Participant'];

export const WHO_MAY_CREATE = ['anyone', 'known_users', 'domains', 'nobody'] as const;
export type WhoMayCreate = (typeof WHO_MAY_CREATE)[number];
export type ImportSettings = Schemas['ImportSettings'];
export type ImportRule = Schemas['ImportRule'];
export type InboundPreview = Schemas['InboundPreview'];

export type Member = Schemas['Member'];
export type SecurityGroup = Schemas['SecurityGroup'];
export type EmailOptions = Schemas['EmailOptions'];

export type TrackedEmail = Schemas['Email'];
export type Attachment = TrackedEmail['attachments'][number];
/** A tracked email being written, kept on the server per record and per user until sent or discarded. */
export type EmailDraft = Schemas['EmailDraft'];
/** The states the thread shows; the API's `status` is any string. */
export type EmailStatus = 'queued' | 'sent' | 'failed' | 'received' | 'forwarded';

export type MailAuth = Schemas['MailAuth'];
export type AuthVerdict = MailAuth['spf']['result'];

export type Suppression = Schemas['Suppression'];
export type DkimSettings = Schemas['DkimSettings'];
export type EmailTemplate = Schemas['EmailTemplate'];
export type RenderedEmail = Schemas['RenderedEmail'];

export const RULE_EVENTS = [
  'record.created',
  'record.updated',
  'record.assigned',
  'record.statusChanged',
  'comment.added',
  'record.mentioned',
  'email.received',
  'email.bounced',
] as const;
export type RuleEvent = (typeof RULE_EVENTS)[number];
export type NotificationRule = Schemas['NotificationRule'];
export type RuleConditions = NotificationRule['conditions'];
export const REPLY_TO = ['notificationAccount', 'actor', 'assignee', 'watchers'] as const;
export type ReplyTo = (typeof REPLY_TO)[number];

export type SendingSettings = Schemas['SendingSettings'];
export type Security = SendingSettings['security'];
export type TrackingSettings = Schemas['TrackingSettings'];

/** The OAuth2 client of an account as the forms edit it (the stored secret only as a flag). */
export type OAuthClient = Omit<Schemas['OAuthClient'], 'clientSecretSet'>;
export type OAuthProvider = OAuthClient['provider'];
export type OAuthGrant = OAuthClient['grant'];
/** GET /admin/email/oauth/presets (the route does not describe its answer yet). */
export interface OAuthPreset {
  provider: OAuthProvider;
  label: string;
  servers?: Record<'imap' | 'pop3' | 'smtp', { host: string; port: number; security: Security }>;
  oauth: Record<OAuthGrant, Omit<OAuthClient, 'clientId' | 'grant'> | null>;
}
export type OAuthStatus = Schemas['OAuthStatus'];

export type OutboxCounts = Ok<'/api/v1/admin/email/outbox', 'get'>;
export type TestResult = Schemas['TestResult'];
export type PollResult = Schemas['PollResult'];
/** The outbound module adds its outbox counts when it runs. */
export type EmailStatusReport = Schemas['EmailStatusReport'] & { outbox?: OutboxCounts };

export const INBOUND_STATES = ['unmatched', 'rejected', 'bounce', 'auto_reply', 'dismissed'] as const;
export type InboundState = (typeof INBOUND_STATES)[number];
export type InboundMessage = Schemas['InboundMessage'];

export type Mailbox = Schemas['Mailbox'];
export type SandboxSummary = Schemas['SandboxSummary'];
export type SandboxMessage = Schemas['SandboxMessage'];

export type PollStatus = Schemas['PollStatus'];
export type TrackingAccount = Schemas['TrackingAccount'];

export type SearchResult = Schemas['SearchResult'];
export type SearchHitKind = NonNullable<SearchResult['hit']>['kind'];
export type SearchResponse = Ok<'/api/v1/projects/{key}/search', 'get'>;

export type RecordLink = Schemas['RecordLink'];
export type LinkRequestKind = RecordLink['as'];
export type RecordComment = Schemas['RecordComment'];
export type RecordFile = Schemas['RecordFile'];
export type WatcherList = Schemas['WatcherList'];
export type AppNotification = Schemas['Notification'];
export type NotificationSettings = Schemas['NotificationSettings'];
export type NotifyEvent = keyof NotificationSettings['events'];
export type Delivery = NotificationSettings['events']['mentioned'];
export const NOTIFY_EVENTS = ['mentioned', 'assigned', 'changed', 'commented'] as const satisfies readonly NotifyEvent[];
export const DELIVERIES = ['immediate', 'batch', 'digest', 'app', 'never'] as const satisfies readonly Delivery[];
export type MyWork = Schemas['MyWork'];

export type TestStep = Schemas['TestStep'];
export type TestRun = Schemas['TestRun'];
export type TestRunStep = TestRun['steps'][number];
export type StepResult = TestRunStep['result'];
export type OverallResult = TestRun['result']['value'];
export type TestRunSummary = Schemas['TestRunSummary'];
export type RequirementDocItem = Schemas['RequirementDocItem'];
export type RequirementDocumentRef = Schemas['RequirementDocumentRef'];
