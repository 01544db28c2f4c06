import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { requireCommand } from '../domain/access.js';
import { badRequest } from '../errors.js';
import { openProject } from '../projects/index.js';
import { getRecord } from '../records/index.js';
import { TEMPLATE_LIMITS } from './render.js';
import * as svc from './templates.service.js';
import { callerOf } from '../http/auth.js';
import { Body, EmailAddress, Id, ProjectKey, ProjectParams, RecordTypeSchema, errorResponses } from '../http/schemas.js';

const TemplateName = Type.String({ minLength: 1, maxLength: svc.TEMPLATE_NAME_MAX, description: 'URL-encoded in paths ("Record%20summary")' });
const Subject = Type.String({ minLength: 1, maxLength: TEMPLATE_LIMITS.subjectChars, description: 'Liquid' });
const Text = Type.String({ minLength: 1, maxLength: TEMPLATE_LIMITS.bodyChars, description: 'Liquid; plain text, not escaped' });
const Html = Type.Union([Type.String({ maxLength: TEMPLATE_LIMITS.bodyChars, description: 'Liquid; every output is HTML-escaped unless it ends in | raw' }), Type.Null()]);
const RecordTypes = Type.Array(RecordTypeSchema, { maxItems: 10, description: 'record types the template is offered for; empty = all' });

const TemplateSchema = Type.Object({
  name: Type.String(),
  subject: Type.String(),
  text: Type.String(),
  html: Type.Union([Type.String(), Type.Null()]),
  recordTypes: Type.Array(RecordTypeSchema),
  isStandard: Type.Boolean(),
  modified: Type.Boolean({ description: 'a standard template that differs from the shipped version' }),
  createdAt: Type.String(),
  updatedAt: Type.String(),
}, { $id: 'EmailTemplate' });

const RenderedSchema = Type.Object({
  subject: Type.String(),
  text: Type.String(),
  html: Type.Union([Type.String(), Type.Null()]),
  template: Type.Union([Type.String(), Type.Null()]),
}, { $id: 'RenderedEmail' });

const ChangeInput = Type.Object(
  {
    field: Type.String({ maxLength: 50 }),
    old: Type.Union([Type.String({ maxLength: 100_000 }), Type.Null()]),
    new: Type.Union([Type.String({ maxLength: 100_000 }), Type.Null()]),
  },
  { additionalProperties: false },
);

export const templateRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const db = () => app.ctx.store.db;
  const NamedParams = Type.Object({ key: ProjectKey, name: TemplateName });
  const tags = ['email templates'];

  app.get(
    '/projects/:key/email-templates',
    {
      config: { access: 'project' },
      schema: {
        tags,
        summary: 'Email templates of the project (needs a send/reply tracked email command or project.administer)',
        params: ProjectParams,
        querystring: Type.Object({ recordType: Type.Optional(RecordTypeSchema) }),
        response: { 200: Type.Object({ templates: Type.Array(TemplateSchema) }), ...errorResponses },
      },
    },
    async (request) => {
      const { project, access } = await openProject(db(), callerOf(request), request.params.key);
      svc.requireTemplateReader(access);
      const { recordType } = request.query;
      return { templates: await svc.listTemplates(db(), project.id, recordType ? { recordType } : {}) };
    },
  );

  app.get(
    '/projects/:key/email-templates/:name',
    {
      config: { access: 'project' },
      schema: { tags, summary: 'One email template', params: NamedParams, response: { 200: TemplateSchema, ...errorResponses } },
    },
    async (request) => {
      const { project, access } = await openProject(db(), callerOf(request), request.params.key);
      svc.requireTemplateReader(access);
      return svc.getTemplate(db(), project.id, request.params.name);
    },
  );

  app.post(
    '/projects/:key/email-templates',
    {
      config: { access: 'project' },
      schema: {
        tags,
        summary: 'Add an email template (project.administer); 400 template_invalid names the part and line of a Liquid error',
        params: ProjectParams,
        body: Body({ name: TemplateName, subject: Subject, text: Text, html: Type.Optional(Html), recordTypes: Type.Optional(RecordTypes) }),
        response: { 201: TemplateSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { project, access } = await openProject(db(), callerOf(request), request.params.key);
      requireCommand(access, 'project.administer');
      return reply.status(201).send(await svc.createTemplate(db(), project.id, request.body));
    },
  );

  app.put(
    '/projects/:key/email-templates/:name',
    {
      config: { access: 'project' },
      schema: {
        tags,
        summary: 'Replace an email template (project.administer); a different name renames it (not for standard templates)',
        params: NamedParams,
        body: Body({ name: Type.Optional(TemplateName), subject: Subject, text: Text, html: Type.Optional(Html), recordTypes: Type.Optional(RecordTypes) }),
        response: { 200: TemplateSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { project, access } = await openProject(db(), callerOf(request), request.params.key);
      requireCommand(access, 'project.administer');
      return svc.updateTemplate(db(), project.id, request.params.name, request.body);
    },
  );

  app.delete(
    '/projects/:key/email-templates/:name',
    {
      config: { access: 'project' },
      schema: {
        tags,
        summary: 'Delete an email template (project.administer); standard templates cannot be deleted (409)',
        params: NamedParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { project, access } = await openProject(db(), callerOf(request), request.params.key);
      requireCommand(access, 'project.administer');
      await svc.deleteTemplate(db(), project.id, request.params.name);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/projects/:key/email-templates/:name/reset',
    {
      config: { access: 'project' },
      schema: {
        tags,
        summary: 'Restore a standard template to the shipped version (project.administer)',
        params: NamedParams,
        response: { 200: TemplateSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { project, access } = await openProject(db(), callerOf(request), request.params.key);
      requireCommand(access, 'project.administer');
      return svc.resetTemplate(db(), project.id, request.params.name);
    },
  );

  app.post(
    '/projects/:key/email-templates/preview',
    {
      config: { access: 'project' },
      schema: {
        tags,
        summary: 'Render a stored template (template) or an unsaved one (subject, text, html) for a record the caller may view',
        params: ProjectParams,
        body: Body({
          template: Type.Optional(TemplateName),
          subject: Type.Optional(Type.String({ maxLength: TEMPLATE_LIMITS.subjectChars })),
          text: Type.Optional(Type.String({ maxLength: TEMPLATE_LIMITS.bodyChars })),
          html: Type.Optional(Html),
          recordId: Id,
          emailText: Type.Optional(Type.String({ maxLength: 100_000 })),
          emailSubject: Type.Optional(Type.String({ maxLength: 998 })),
          recipient: Type.Optional(
            Type.Object({ name: Type.Optional(Type.String({ maxLength: 200 })), email: EmailAddress }, { additionalProperties: false }),
          ),
          changes: Type.Optional(Type.Array(ChangeInput, { maxItems: 20 })),
        }),
        response: { 200: RenderedSchema, ...errorResponses },
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const ctx = await openProject(db(), caller, request.params.key);
      svc.requireTemplateReader(ctx.access);
      const body = request.body;
      if (body.template !== undefined && (body.subject !== undefined || body.text !== undefined || body.html !== undefined)) {
        throw badRequest('invalid_request', 'Preview either a stored template ("template") or an unsaved one ("subject", "text", "html"), not both.');
      }
      const record = await getRecord(db(), ctx, body.recordId);
      const choice: svc.TemplateChoice =
        body.template !== undefined
          ? { templateName: body.template }
          : { inline: { subject: body.subject ?? '', text: body.text ?? '', html: body.html ?? null } };
      const rendered = await svc.renderForRecord(db(), {
        projectRow: ctx.project,
        recordId: record.id,
        senderUserId: caller.userId,
        recipient: body.recipient ?? { name: '', email: '' },
        ...(body.emailText !== undefined ? { emailText: body.emailText } : {}),
        ...(body.emailSubject !== undefined ? { emailSubject: body.emailSubject } : {}),
        ...(body.changes !== undefined ? { changes: body.changes } : {}),
        ...choice,
      });
      return { subject: rendered.subject, text: rendered.text, html: rendered.html ?? null, template: rendered.template };
    },
  );
};
