import { Type, type Static } from '@sinclair/typebox';
import { nowIso } from '../clock.js';
import { RECORD_TYPES, isRecordType, type RecordType } from '../domain/commands.js';
import { isEmailAddress } from '../domain/validation.js';
import { badRequest, conflict, notFound } from '../errors.js';
import { newId } from '../ids.js';
import type { Executor } from '../store/db.js';
import { memberCommands } from '../store/projects.repository.js';
import { findUserByUsername } from '../store/users.repository.js';
import { PRIORITIES } from '../domain/fields.js';
import { canonicalStatus } from '../domain/workflow.js';
import { workflowFor } from '../tracker/index.js';
import { importDb, type ImportRuleRow, type ProjectEmailImportRow } from './import.table.js';

/** Who may create records by mailing a project's import address. */
export const WHO_MAY_CREATE = ['anyone', 'known_users', 'domains', 'nobody'] as const;
export type WhoMayCreate = (typeof WHO_MAY_CREATE)[number];

const Domain = Type.String({ minLength: 1, maxLength: 253, pattern: '^[A-Za-z0-9.-]+$' });

export const ImportSettingsSchema = Type.Object(
  {
    enabled: Type.Boolean({ description: 'mail without a cookie to the import address becomes a record' }),
    address: Type.String({ maxLength: 254, description: 'the import address, e.g. tracking+demo@example.com; "" for none' }),
    whoMayCreate: Type.Union(WHO_MAY_CREATE.map((w) => Type.Literal(w))),
    allowedDomains: Type.Array(Domain, { maxItems: 100, description: 'sender domains for whoMayCreate "domains"' }),
    maxPerHour: Type.Integer({ minimum: 1, maximum: 10_000, description: 'a sender creating more records than this in an hour is held for review' }),
    forwardToParticipants: Type.Boolean({ description: 'a reply is forwarded to every participant, not only the original sender' }),
    reopenStatus: Type.String({ maxLength: 100, description: 'a reply on a record in a done status moves it here; "" to never reopen' }),
    doneStatuses: Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
      maxItems: 50,
      description: 'statuses that count as done (until workflows say so)',
    }),
  },
  { $id: 'ImportSettings', additionalProperties: false },
);
export type ImportSettings = Static<typeof ImportSettingsSchema>;

export const DEFAULT_DONE_STATUSES = ['Closed', 'Done', 'Resolved'];

export const DEFAULT_IMPORT_SETTINGS: ImportSettings = {
  enabled: false,
  address: '',
  whoMayCreate: 'anyone',
  allowedDomains: [],
  maxPerHour: 10,
  forwardToParticipants: false,
  reopenStatus: '',
  doneStatuses: DEFAULT_DONE_STATUSES,
};

function toSettings(row: ProjectEmailImportRow | undefined): ImportSettings {
  if (!row) return { ...DEFAULT_IMPORT_SETTINGS };
  return {
    enabled: row.enabled === 1,
    address: row.address,
    whoMayCreate: (WHO_MAY_CREATE as readonly string[]).includes(row.who_may_create) ? (row.who_may_create as WhoMayCreate) : 'nobody',
    allowedDomains: JSON.parse(row.allowed_domains) as string[],
    maxPerHour: row.max_per_hour,
    forwardToParticipants: row.forward_to_participants === 1,
    reopenStatus: row.reopen_status,
    doneStatuses: JSON.parse(row.done_statuses) as string[],
  };
}

export async function loadImportSettings(db: Executor, projectId: string): Promise<ImportSettings> {
  return toSettings(await importDb(db).selectFrom('project_email_import').selectAll().where('project_id', '=', projectId).executeTakeFirst());
}

/** Every project with import on, with its settings (a handful of rows; read once per message). */
export async function listImportingProjects(db: Executor): Promise<{ projectId: string; settings: ImportSettings }[]> {
  const rows = await importDb(db).selectFrom('project_email_import').selectAll().where('enabled', '=', 1).execute();
  return rows.map((r) => ({ projectId: r.project_id, settings: toSettings(r) }));
}

/** Every import address of every project, enabled or not: our own addresses, never a sender to import from. */
export async function allImportAddresses(db: Executor): Promise<string[]> {
  const rows = await importDb(db).selectFrom('project_email_import').select('address').where('address', '!=', '').execute();
  return rows.map((r) => r.address);
}

export async function saveImportSettings(db: Executor, projectId: string, input: ImportSettings): Promise<ImportSettings> {
  const address = input.address.trim().toLowerCase();
  if (address !== '' && !isEmailAddress(address)) throw badRequest('invalid_import_address', `"${input.address}" is not a valid email address.`);
  if (input.enabled && address === '') throw badRequest('import_address_required', 'Email import needs an import address.');
  if (address !== '') {
    const other = await importDb(db)
      .selectFrom('project_email_import')
      .select('project_id')
      .where('address', '=', address)
      .where('project_id', '!=', projectId)
      .executeTakeFirst();
    if (other) throw conflict('import_address_taken', `Another project imports from ${address} already.`);
  }
  const domains = [...new Set(input.allowedDomains.map((d) => d.trim().toLowerCase().replace(/^@/, '')).filter(Boolean))];
  if (input.whoMayCreate === 'domains' && domains.length === 0)
    throw badRequest('import_domains_required', 'List at least one sender domain, or choose another "who may create".');
  const done = [...new Set(input.doneStatuses.map((s) => s.trim()).filter(Boolean))];
  const reopen = input.reopenStatus.trim();
  if (reopen !== '' && done.includes(reopen))
    throw badRequest('reopen_status_is_done', `"${reopen}" is one of the done statuses; reopening there would change nothing.`);
  const at = nowIso();
  const values = {
    enabled: input.enabled ? 1 : 0,
    address,
    who_may_create: input.whoMayCreate,
    allowed_domains: JSON.stringify(domains),
    max_per_hour: input.maxPerHour,
    forward_to_participants: input.forwardToParticipants ? 1 : 0,
    reopen_status: reopen,
    done_statuses: JSON.stringify(done),
    updated_at: at,
  };
  await importDb(db)
    .insertInto('project_email_import')
    .values({ project_id: projectId, created_at: at, ...values })
    .onConflict((oc) => oc.column('project_id').doUpdateSet(values))
    .execute();
  return loadImportSettings(db, projectId);
}

// ---- import rules ----

export const RuleDefaultsSchema = Type.Object(
  {
    status: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    assignee: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'a username of a project member' })),
    priority: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    fields: Type.Optional(Type.Record(Type.String({ maxLength: 100 }), Type.Union([Type.String({ maxLength: 1000 }), Type.Number(), Type.Boolean()]))),
  },
  { additionalProperties: false },
);
export type RuleDefaults = Static<typeof RuleDefaultsSchema>;

export const ImportRuleInputSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    enabled: Type.Optional(Type.Boolean()),
    position: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
    match: Type.Optional(
      Type.Object(
        {
          recipient: Type.Optional(Type.String({ maxLength: 254, description: 'an address the mail was sent to; "" = the project import address' })),
          senderDomain: Type.Optional(Type.String({ maxLength: 253, description: 'the sender domain (subdomains included); "" = any' })),
          subject: Type.Optional(Type.String({ maxLength: 500, description: 'a case-insensitive regular expression on the subject; "" = any' })),
        },
        { additionalProperties: false },
      ),
    ),
    recordType: Type.Union(RECORD_TYPES.map((t) => Type.Literal(t))),
    defaults: Type.Optional(RuleDefaultsSchema),
    acknowledge: Type.Optional(Type.Boolean({ description: 'send the acknowledgement email (default true)' })),
  },
  { $id: 'ImportRuleInput', additionalProperties: false },
);
export type ImportRuleInput = Static<typeof ImportRuleInputSchema>;

/** A stored import rule, as the API returns it: the type is the schema's, declared once. */
export type ImportRule = Static<typeof ImportRuleSchema>;

export const ImportRuleSchema = Type.Object(
  {
    id: Type.String(),
    projectId: Type.String(),
    name: Type.String(),
    enabled: Type.Boolean(),
    position: Type.Integer(),
    match: Type.Object({ recipient: Type.String(), senderDomain: Type.String(), subject: Type.String() }),
    recordType: Type.Union(RECORD_TYPES.map((t) => Type.Literal(t))),
    defaults: RuleDefaultsSchema,
    acknowledge: Type.Boolean(),
  },
  { $id: 'ImportRule' },
);

export function toImportRule(row: ImportRuleRow): ImportRule {
  return {
    id: row.id,
    projectId: row.project_id,
    name: row.name,
    enabled: row.enabled === 1,
    position: row.position,
    match: { recipient: row.match_recipient, senderDomain: row.match_sender_domain, subject: row.match_subject },
    recordType: (isRecordType(row.record_type) ? row.record_type : 'defect') as RecordType,
    defaults: JSON.parse(row.defaults) as RuleDefaults,
    acknowledge: row.acknowledge === 1,
  };
}

export async function listImportRules(db: Executor, projectId?: string): Promise<ImportRule[]> {
  let q = importDb(db).selectFrom('import_rules').selectAll().orderBy('position').orderBy('id');
  if (projectId !== undefined) q = q.where('project_id', '=', projectId);
  return (await q.execute()).map(toImportRule);
}

/** A subject pattern is a regular expression; a broken one is a clear 400, never a crash at import time. */
export function compileSubjectPattern(pattern: string): RegExp | undefined {
  if (pattern === '') return undefined;
  try {
    return new RegExp(pattern, 'iu');
  } catch (err) {
    throw badRequest('invalid_subject_pattern', `The subject pattern is not a valid regular expression: ${(err as Error).message}`);
  }
}

async function checkRule(db: Executor, projectId: string, input: ImportRuleInput): Promise<void> {
  const recipient = input.match?.recipient?.trim() ?? '';
  if (recipient !== '' && !isEmailAddress(recipient)) throw badRequest('invalid_rule_recipient', `"${recipient}" is not a valid email address.`);
  const domain = input.match?.senderDomain?.trim() ?? '';
  if (domain !== '' && !/^@?[A-Za-z0-9.-]+$/.test(domain)) throw badRequest('invalid_rule_domain', `"${domain}" is not a domain name.`);
  compileSubjectPattern(input.match?.subject ?? '');
  const status = input.defaults?.status;
  if (status) {
    const wf = await workflowFor(db, projectId, input.recordType);
    if (!canonicalStatus(wf, status)) {
      throw badRequest(
        'unknown_status',
        `"${status}" is not a status of this project's ${input.recordType} workflow (${wf.statuses.map((st) => st.name).join(', ')}).`,
      );
    }
  }
  const priority = input.defaults?.priority;
  if (priority && !(PRIORITIES as readonly string[]).includes(priority.toLowerCase())) {
    throw badRequest('invalid_priority', `Priority must be one of ${PRIORITIES.join(', ')}.`);
  }
  const assignee = input.defaults?.assignee;
  if (assignee) {
    const user = await findUserByUsername(db, assignee);
    if (!user || user.disabled === 1) throw badRequest('unknown_assignee', `There is no active user "${assignee}".`);
    if (user.is_admin !== 1 && !(await memberCommands(db, projectId, user.id)))
      throw badRequest('assignee_not_member', `"${assignee}" is not a member of this project.`);
  }
}

function ruleValues(input: ImportRuleInput) {
  return {
    name: input.name.trim(),
    enabled: input.enabled === false ? 0 : 1,
    match_recipient: input.match?.recipient?.trim().toLowerCase() ?? '',
    match_sender_domain: (input.match?.senderDomain?.trim().toLowerCase() ?? '').replace(/^@/, ''),
    match_subject: input.match?.subject ?? '',
    record_type: input.recordType,
    defaults: JSON.stringify(input.defaults ?? {}),
    acknowledge: input.acknowledge === false ? 0 : 1,
  };
}

export async function createImportRule(db: Executor, projectId: string, input: ImportRuleInput): Promise<ImportRule> {
  await checkRule(db, projectId, input);
  const at = nowIso();
  const last = await importDb(db)
    .selectFrom('import_rules')
    .select((eb) => eb.fn.max<number>('position').as('p'))
    .where('project_id', '=', projectId)
    .executeTakeFirst();
  const row: ImportRuleRow = {
    id: newId(),
    project_id: projectId,
    position: input.position ?? (last?.p === null || last?.p === undefined ? 0 : Number(last.p) + 1),
    ...ruleValues(input),
    created_at: at,
    updated_at: at,
  };
  await importDb(db).insertInto('import_rules').values(row).execute();
  return toImportRule(row);
}

export async function updateImportRule(db: Executor, projectId: string, id: string, input: ImportRuleInput): Promise<ImportRule> {
  const row = await importDb(db).selectFrom('import_rules').selectAll().where('id', '=', id).where('project_id', '=', projectId).executeTakeFirst();
  if (!row) throw notFound('import_rule_not_found', 'There is no such import rule in this project.');
  await checkRule(db, projectId, input);
  const values = { ...ruleValues(input), position: input.position ?? row.position, updated_at: nowIso() };
  await importDb(db).updateTable('import_rules').set(values).where('id', '=', id).execute();
  return toImportRule({ ...row, ...values });
}

export async function deleteImportRule(db: Executor, projectId: string, id: string): Promise<void> {
  const res = await importDb(db).deleteFrom('import_rules').where('id', '=', id).where('project_id', '=', projectId).executeTakeFirst();
  if (Number(res.numDeletedRows) === 0) throw notFound('import_rule_not_found', 'There is no such import rule in this project.');
}
