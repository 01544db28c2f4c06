import { sanitizeOutboundHtml } from '../mail/sanitizeHtml.js';
import { nowIso } from '../clock.js';
import { canOnRecordType, holds, type ProjectAccess } from '../domain/access.js';
import { RECORD_TYPES, isRecordType, recordTag, type RecordType } from '../domain/commands.js';
import { AppError, badRequest, conflict, forbidden, notFound } from '../errors.js';
import { newId } from '../ids.js';
import type { Executor } from '../store/db.js';
import * as records from '../store/records.repository.js';
import type { EmailTemplateRow, EmailTemplatesTable, ProjectRow, UserRow } from '../store/schema.js';
import * as repo from '../store/templates.repository.js';
import { findUserById, findUserByUsername } from '../store/users.repository.js';
import {
  TemplateError,
  parseTemplate,
  renderTemplate,
  type PersonVars,
  type RenderedEmail,
  type TemplateProblem,
  type TemplateSource,
  type TemplateVars,
} from './render.js';
import { ensureStandardTemplates, standardColumns } from './seed.js';
import { standardTemplate } from './standard.js';
import { displayValue } from '../domain/fields.js';
import { valuesOf } from '../tracker/index.js';
import { RECORD_TYPE_LABEL, changeVars, recordUrl, sampleVars } from './vars.js';

export interface PublicTemplate {
  name: string;
  subject: string;
  text: string;
  html: string | null;
  /** Record types the template is offered for; empty = all. */
  recordTypes: RecordType[];
  isStandard: boolean;
  /** A standard template that differs from the version Mailtrail ships (reset restores it). */
  modified: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface TemplateInput {
  name: string;
  subject: string;
  text: string;
  html?: string | null;
  recordTypes?: string[];
}

export type TemplateUpdate = Omit<TemplateInput, 'name'> & { name?: string };

export const TEMPLATE_NAME_MAX = 100;

function parseRecordTypes(json: string): RecordType[] {
  const parsed = JSON.parse(json) as unknown;
  return Array.isArray(parsed) ? parsed.filter((t): t is RecordType => typeof t === 'string' && isRecordType(t)) : [];
}

function isModified(row: EmailTemplateRow): boolean {
  const shipped = row.is_standard === 1 ? standardTemplate(row.name) : undefined;
  if (!shipped) return false;
  const c = standardColumns(shipped);
  return (
    row.subject !== c.subject ||
    row.text_body !== c.text_body ||
    row.html_body !== c.html_body ||
    JSON.stringify(parseRecordTypes(row.record_types)) !== c.record_types
  );
}

export function toPublicTemplate(row: EmailTemplateRow): PublicTemplate {
  return {
    name: row.name,
    subject: row.subject,
    text: row.text_body,
    html: row.html_body,
    recordTypes: parseRecordTypes(row.record_types),
    isStandard: row.is_standard === 1,
    modified: isModified(row),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function fitsRecordType(t: { recordTypes: readonly RecordType[] }, type: RecordType): boolean {
  return t.recordTypes.length === 0 || t.recordTypes.includes(type);
}

// ---- Who may do what ----

/**
 * Reading templates is needed to compose: anyone who may send or reply with tracked email on
 * some record type, and project administrators. Changing them needs project.administer.
 */
export function canReadTemplates(access: ProjectAccess): boolean {
  return (
    holds(access, 'project.administer') ||
    RECORD_TYPES.some((t) => canOnRecordType(access, t, 'sendTrackedEmail') || canOnRecordType(access, t, 'replyTrackedEmail'))
  );
}

export function requireTemplateReader(access: ProjectAccess): void {
  if (!canReadTemplates(access)) {
    throw forbidden('missing_command', 'You are not allowed to read the email templates of this project: that needs the right to send or reply to tracked email, or to administer the project. A project administrator can give it to your group.');
  }
}

// ---- Validation ----

/** The HTTP form of a template problem: 400 template_invalid with the part and line in details. */
export function templateInvalid(problem: TemplateProblem): AppError {
  const where = { subject: 'subject', text: 'text', html: 'HTML' }[problem.part];
  return badRequest('template_invalid', `The ${where} part has an error on line ${problem.line}: ${problem.message}.`, {
    part: problem.part,
    line: problem.line,
    column: problem.column,
  });
}

function rethrowTemplateError(err: unknown): never {
  if (err instanceof TemplateError) throw templateInvalid(err.problem);
  throw err;
}

function checkName(raw: string): string {
  const name = raw.trim();
  if (name === '') throw badRequest('invalid_template_name', 'A template needs a name.');
  if (name.length > TEMPLATE_NAME_MAX) throw badRequest('invalid_template_name', `Template names are at most ${TEMPLATE_NAME_MAX} characters.`);
  if (/[\u0000-\u001f\u007f/\\]/.test(name)) {
    throw badRequest('invalid_template_name', 'Template names cannot contain slashes or control characters.');
  }
  return name;
}

function checkRecordTypes(types: readonly string[] | undefined): RecordType[] {
  const unknown = (types ?? []).filter((t) => !isRecordType(t));
  if (unknown.length > 0) throw badRequest('invalid_record_type', `Record types must be among ${RECORD_TYPES.join(', ')}; got ${unknown.join(', ')}.`);
  // Stored in the canonical order, so "modified" compares like with like.
  return RECORD_TYPES.filter((t) => types?.includes(t));
}

/**
 * A template is accepted only if every part parses and it renders with realistic data within
 * the limits, so a runaway loop is a 400 when it is saved, not a failure when mail goes out.
 */
export function validateTemplate(source: TemplateSource, recordTypes: readonly RecordType[] = []): void {
  try {
    const parsed = parseTemplate(source);
    renderTemplate(parsed, sampleVars(recordTypes[0] ?? 'defect'));
  } catch (err) {
    rethrowTemplateError(err);
  }
}

function bodyColumns(input: Omit<TemplateInput, 'name'>): Pick<EmailTemplatesTable, 'subject' | 'text_body' | 'html_body' | 'record_types'> {
  if (input.subject.trim() === '') throw badRequest('empty_subject', 'A template needs a subject.');
  if (input.text.trim() === '') throw badRequest('empty_text', 'A template needs a text part.');
  const recordTypes = checkRecordTypes(input.recordTypes);
  const html = input.html === undefined || input.html === null || input.html.trim() === '' ? null : input.html;
  validateTemplate({ subject: input.subject, text: input.text, html }, recordTypes);
  return { subject: input.subject, text_body: input.text, html_body: html, record_types: JSON.stringify(recordTypes) };
}

// ---- CRUD ----

async function findOrThrow(db: Executor, projectId: string, name: string): Promise<EmailTemplateRow> {
  await ensureStandardTemplates(db, projectId);
  const row = await repo.findTemplate(db, projectId, name);
  if (!row) throw notFound('template_not_found', `There is no email template "${name}" in this project.`);
  return row;
}

/** The project's templates by name; with `recordType`, only those offered for that type. */
export async function listTemplates(db: Executor, projectId: string, filter: { recordType?: RecordType } = {}): Promise<PublicTemplate[]> {
  await ensureStandardTemplates(db, projectId);
  const all = (await repo.listTemplates(db, projectId)).map(toPublicTemplate);
  const type = filter.recordType;
  return type === undefined ? all : all.filter((t) => fitsRecordType(t, type));
}

export async function getTemplate(db: Executor, projectId: string, name: string): Promise<PublicTemplate> {
  return toPublicTemplate(await findOrThrow(db, projectId, name));
}

const nameTaken = (name: string) => conflict('template_name_taken', `The project has an email template named "${name}" already.`);

export async function createTemplate(db: Executor, projectId: string, input: TemplateInput): Promise<PublicTemplate> {
  const name = checkName(input.name);
  await ensureStandardTemplates(db, projectId);
  const at = nowIso();
  const row: EmailTemplateRow = { id: newId(), project_id: projectId, name, ...bodyColumns(input), is_standard: 0, created_at: at, updated_at: at };
  if (!(await repo.insertTemplate(db, row))) throw nameTaken(name);
  return toPublicTemplate(row);
}

/** Replaces the template's parts (an omitted html removes the HTML part); `name` renames it. */
export async function updateTemplate(db: Executor, projectId: string, name: string, input: TemplateUpdate): Promise<PublicTemplate> {
  const row = await findOrThrow(db, projectId, name);
  const update: Partial<EmailTemplatesTable> = { ...bodyColumns(input), updated_at: nowIso() };
  if (input.name !== undefined && input.name.trim() !== row.name) {
    if (row.is_standard === 1) throw conflict('standard_template', `"${row.name}" is a standard template; it can be edited but not renamed.`);
    const newName = checkName(input.name);
    if (await repo.findTemplate(db, projectId, newName)) throw nameTaken(newName);
    update.name = newName;
  }
  try {
    await repo.updateTemplate(db, row.id, update);
  } catch (err) {
    // A rename that lost a race against another writer of the same name.
    if (update.name !== undefined && (await repo.findTemplate(db, projectId, update.name))) throw nameTaken(update.name);
    throw err;
  }
  return toPublicTemplate({ ...row, ...update });
}

export async function deleteTemplate(db: Executor, projectId: string, name: string): Promise<void> {
  const row = await findOrThrow(db, projectId, name);
  if (row.is_standard === 1) {
    throw conflict('standard_template', `"${row.name}" is a standard template; it cannot be deleted, but it can be edited or reset.`);
  }
  await repo.deleteTemplate(db, row.id);
}

/** Restores a standard template to the version Mailtrail ships. */
export async function resetTemplate(db: Executor, projectId: string, name: string): Promise<PublicTemplate> {
  const row = await findOrThrow(db, projectId, name);
  const shipped = row.is_standard === 1 ? standardTemplate(row.name) : undefined;
  if (!shipped) throw conflict('not_standard_template', `"${row.name}" is not a standard template, so there is nothing to reset it to.`);
  const update = { ...standardColumns(shipped), updated_at: nowIso() };
  await repo.updateTemplate(db, row.id, update);
  return toPublicTemplate({ ...row, ...update });
}

// ---- Rendering for a record ----

export type TemplateChoice = { templateName: string; inline?: undefined } | { inline: TemplateSource; templateName?: undefined };

export type RenderForRecordInput = {
  projectRow: ProjectRow;
  recordId: string;
  /** The user who sends; null for emails of notification rules (then the project's notification account). */
  senderUserId: string | null;
  recipient: { name?: string; email: string };
  /** What the sender typed, if anything. */
  emailText?: string;
  emailSubject?: string;
  /** For notification rules: what changed, and who changed it. */
  changes?: readonly { field: string; old: string | null; new: string | null }[];
  actorUserId?: string | null;
} & TemplateChoice;

export interface RenderedForRecord extends RenderedEmail {
  /** The template's name, or null for an inline template. */
  template: string | null;
}

function person(user: UserRow): PersonVars {
  return { username: user.username, fullName: user.full_name, email: user.email };
}

async function personById(db: Executor, id: string | null | undefined): Promise<PersonVars | null> {
  if (!id) return null;
  const user = await findUserById(db, id);
  return user ? person(user) : null;
}

/** Assignee changes carry usernames; emails read better with full names. */
async function readableChanges(db: Executor, changes: RenderForRecordInput['changes']): Promise<TemplateVars['changes']> {
  const names = new Map<string, string>();
  for (const c of changes ?? []) {
    if (c.field !== 'assignee') continue;
    for (const username of [c.old, c.new]) {
      if (username && !names.has(username)) names.set(username, (await findUserByUsername(db, username))?.full_name ?? username);
    }
  }
  const readable = (v: string | null) => (v === null ? null : (names.get(v) ?? v));
  return changeVars((changes ?? []).map((c) => (c.field === 'assignee' ? { ...c, old: readable(c.old), new: readable(c.new) } : c)));
}

/** Collects the template variables for one record and one recipient. */
export async function templateVarsForRecord(db: Executor, input: Omit<RenderForRecordInput, 'templateName' | 'inline'>): Promise<TemplateVars> {
  const { projectRow: project } = input;
  const row = await records.findRecord(db, project.id, input.recordId);
  if (!row) throw notFound('record_not_found', 'There is no such record in this project.');
  const type = row.type as RecordType;
  const creator = await personById(db, row.creator_id);
  const sender = (await personById(db, input.senderUserId)) ?? {
    username: '',
    fullName: project.notification_name || project.name,
    email: project.notification_address,
  };
  return {
    record: {
      id: row.id,
      tag: recordTag(project.key, type, row.number),
      number: row.number,
      type,
      typeLabel: RECORD_TYPE_LABEL[type] ?? type,
      title: row.title,
      description: row.description,
      status: row.status,
      assignee: await personById(db, row.assignee_id),
      creator: creator ?? { username: row.creator_username, fullName: row.creator_username, email: '' },
      url: recordUrl(project.key, recordTag(project.key, type, row.number)),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      priority: row.priority ?? '',
      severity: row.severity ?? '',
      fields: Object.fromEntries(Object.entries((await valuesOf(db, project.id, [row.id])).get(row.id) ?? {}).map(([k, v]) => [k, displayValue(v) ?? ''])),
    },
    project: { key: project.key, name: project.name },
    sender,
    actor: await personById(db, input.actorUserId),
    recipient: { name: input.recipient.name ?? '', email: input.recipient.email },
    email: { subject: input.emailSubject ?? '', text: input.emailText ?? '' },
    changes: await readableChanges(db, input.changes),
  };
}

/**
 * Renders a stored template (by name) or an inline one for a record. Throws 400 unknown_template,
 * 400 template_not_for_record_type or 400 template_invalid (with part and line).
 */
export async function renderForRecord(db: Executor, input: RenderForRecordInput): Promise<RenderedForRecord> {
  const vars = await templateVarsForRecord(db, input);
  let source: TemplateSource;
  let template: string | null = null;
  if (input.templateName !== undefined) {
    await ensureStandardTemplates(db, input.projectRow.id);
    const row = await repo.findTemplate(db, input.projectRow.id, input.templateName);
    if (!row) throw badRequest('unknown_template', `There is no email template "${input.templateName}" in this project.`);
    const t = toPublicTemplate(row);
    if (!fitsRecordType(t, vars.record.type as RecordType)) {
      throw badRequest('template_not_for_record_type', `The template "${t.name}" is not meant for ${vars.record.typeLabel.toLowerCase()}s.`);
    }
    source = t;
    template = t.name;
  } else {
    source = input.inline;
  }
  try {
    const rendered = renderTemplate(source, vars);
    // A preview shows what will be sent, and only sanitised HTML is sent (outbound/queue.ts).
    if (rendered.html !== undefined) rendered.html = sanitizeOutboundHtml(rendered.html);
    return { ...rendered, template };
  } catch (err) {
    rethrowTemplateError(err);
  }
}
