import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { requireCommand, requireOnRecordType } from '../domain/access.js';
import type { RecordType } from '../domain/commands.js';
import { callerOf } from '../http/auth.js';
import { Body, EmailAddress, Id, ProjectKey, ProjectParams, errorResponses } from '../http/schemas.js';
import { openProject } from '../projects/index.js';
import { getRecord } from '../records/index.js';
import {
  ImportRuleInputSchema,
  ImportRuleSchema,
  ImportSettingsSchema,
  createImportRule,
  deleteImportRule,
  listImportRules,
  loadImportSettings,
  saveImportSettings,
  updateImportRule,
} from './importSettings.js';
import { addParticipant, listParticipants, removeParticipant } from './participants.js';

const ParticipantSchema = Type.Object({
  address: Type.String(),
  name: Type.String(),
  source: Type.Union(['import', 'reply', 'manual', 'command'].map((s) => Type.Literal(s))),
  addedAt: Type.String(),
}, { $id: 'Participant' });

/** Email import options and rules of a project, and the email participants of its records. */
export const importRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const db = () => app.ctx.store.db;
  const RuleParams = Type.Object({ key: ProjectKey, id: Id });
  const RecordParams = Type.Object({ key: ProjectKey, id: Id });

  app.get(
    '/projects/:key/options/email-import',
    {
      config: { access: 'project' },
      schema: { tags: ['email import'], summary: 'Email import options (needs project.administer)', params: ProjectParams, response: { 200: ImportSettingsSchema, ...errorResponses } },
    },
    async (request) => {
      const { project, access } = await openProject(db(), callerOf(request), request.params.key);
      requireCommand(access, 'project.administer');
      return loadImportSettings(db(), project.id);
    },
  );

  app.put(
    '/projects/:key/options/email-import',
    {
      config: { access: 'project' },
      schema: {
        tags: ['email import'],
        summary: 'Set the import address, who may create records by email, the rate limit, forward-to-participants and reopen on reply (needs project.administer)',
        params: ProjectParams,
        body: ImportSettingsSchema,
        response: { 200: ImportSettingsSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { project, access } = await openProject(db(), callerOf(request), request.params.key);
      requireCommand(access, 'project.administer');
      return saveImportSettings(db(), project.id, request.body);
    },
  );

  app.get(
    '/projects/:key/import-rules',
    {
      config: { access: 'project' },
      schema: { tags: ['email import'], summary: 'Import rules, in the order they are tried (needs project.administer)', params: ProjectParams, response: { 200: Type.Object({ rules: Type.Array(ImportRuleSchema) }), ...errorResponses } },
    },
    async (request) => {
      const { project, access } = await openProject(db(), callerOf(request), request.params.key);
      requireCommand(access, 'project.administer');
      return { rules: await listImportRules(db(), project.id) };
    },
  );

  app.post(
    '/projects/:key/import-rules',
    {
      config: { access: 'project' },
      schema: { tags: ['email import'], summary: 'Add an import rule (needs project.administer)', params: ProjectParams, body: ImportRuleInputSchema, response: { 201: ImportRuleSchema, ...errorResponses } },
    },
    async (request, reply) => {
      const { project, access } = await openProject(db(), callerOf(request), request.params.key);
      requireCommand(access, 'project.administer');
      return reply.status(201).send(await createImportRule(db(), project.id, request.body));
    },
  );

  app.put(
    '/projects/:key/import-rules/:id',
    {
      config: { access: 'project' },
      schema: { tags: ['email import'], summary: 'Replace an import rule (needs project.administer)', params: RuleParams, body: ImportRuleInputSchema, response: { 200: ImportRuleSchema, ...errorResponses } },
    },
    async (request) => {
      const { project, access } = await openProject(db(), callerOf(request), request.params.key);
      requireCommand(access, 'project.administer');
      return updateImportRule(db(), project.id, request.params.id, request.body);
    },
  );

  app.delete(
    '/projects/:key/import-rules/:id',
    {
      config: { access: 'project' },
      schema: { tags: ['email import'], summary: 'Delete an import rule (needs project.administer)', params: RuleParams, response: { 204: Type.Null(), ...errorResponses } },
    },
    async (request, reply) => {
      const { project, access } = await openProject(db(), callerOf(request), request.params.key);
      requireCommand(access, 'project.administer');
      await deleteImportRule(db(), project.id, request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/projects/:key/records/:id/participants',
    {
      config: { access: 'project' },
      schema: { tags: ['email import'], summary: 'Email participants of the record (needs <category>.viewTrackedEmail)', params: RecordParams, response: { 200: Type.Object({ participants: Type.Array(ParticipantSchema) }), ...errorResponses } },
    },
    async (request) => {
      const pctx = await openProject(db(), callerOf(request), request.params.key);
      const record = await getRecord(db(), pctx, request.params.id);
      requireOnRecordType(pctx.access, record.type as RecordType, 'viewTrackedEmail');
      return { participants: await listParticipants(db(), record.id) };
    },
  );

  app.post(
    '/projects/:key/records/:id/participants',
    {
      config: { access: 'project' },
      schema: {
        tags: ['email import'],
        summary: 'Add an email participant (needs <category>.edit)',
        params: RecordParams,
        body: Body({ address: EmailAddress, name: Type.Optional(Type.String({ maxLength: 200 })) }),
        response: { 201: ParticipantSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const pctx = await openProject(db(), callerOf(request), request.params.key);
      const record = await getRecord(db(), pctx, request.params.id);
      requireOnRecordType(pctx.access, record.type as RecordType, 'edit');
      return reply.status(201).send(await addParticipant(db(), record.id, request.body, 'manual'));
    },
  );

  app.delete(
    '/projects/:key/records/:id/participants/:address',
    {
      config: { access: 'project' },
      schema: {
        tags: ['email import'],
        summary: 'Remove an email participant (needs <category>.edit)',
        params: Type.Object({ key: ProjectKey, id: Id, address: EmailAddress }),
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      const pctx = await openProject(db(), callerOf(request), request.params.key);
      const record = await getRecord(db(), pctx, request.params.id);
      requireOnRecordType(pctx.access, record.type as RecordType, 'edit');
      await removeParticipant(db(), record.id, request.params.address);
      return reply.status(204).send(null);
    },
  );
};
