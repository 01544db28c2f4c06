import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { requireCommand } from '../domain/access.js';
import { REPLY_TO, RULE_EVENTS } from './rule.js';
import * as svc from './rules.service.js';
import { ConditionSchema } from './conditions.schema.js';
import { openProject } from '../projects/index.js';
import { callerOf } from '../http/auth.js';
import { Id, ProjectKey, ProjectParams, RecordTypeSchema, errorResponses } from '../http/schemas.js';

const RuleEventSchema = Type.Union(RULE_EVENTS.map((e) => Type.Literal(e)));
const ReplyToSchema = Type.Union(
  REPLY_TO.map((r) => Type.Literal(r)),
  {
    description:
      'Where replies to the emails of this rule are forwarded (they are filed on the record in every case): notificationAccount (default), actor (whoever made the change), assignee or watchers (as they are when the reply arrives; the notification account when there is nobody)',
  },
);
const Conditions = Type.Object(
  {
    statusEquals: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    assigneeChangedTo: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);
const RuleSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    enabled: Type.Boolean(),
    event: RuleEventSchema,
    recordTypes: Type.Array(RecordTypeSchema),
    conditions: Conditions,
    condition: ConditionSchema,
    recipients: Type.Array(Type.String()),
    template: Type.String(),
    tracked: Type.Boolean(),
    notifyActor: Type.Boolean(),
    replyTo: ReplyToSchema,
  },
  { $id: 'NotificationRule' },
);
const RuleIn = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    enabled: Type.Boolean(),
    event: RuleEventSchema,
    recordTypes: Type.Array(RecordTypeSchema, { maxItems: 5 }),
    conditions: Type.Optional(Conditions),
    condition: Type.Optional(ConditionSchema),
    recipients: Type.Array(
      Type.String({ minLength: 1, maxLength: 300, description: 'assignee | creator | watchers | participants | user:NAME | group:NAME | address:ADDR' }),
      {
        minItems: 1,
        maxItems: 50,
      },
    ),
    template: Type.String({ minLength: 1, maxLength: 200 }),
    tracked: Type.Boolean(),
    notifyActor: Type.Optional(Type.Boolean()),
    replyTo: Type.Optional(ReplyToSchema),
  },
  { $id: 'NotificationRuleInput', additionalProperties: false },
);

export const rulesRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const db = () => app.ctx.store.db;
  const RuleParams = Type.Object({ key: ProjectKey, id: Id });
  const open = async (caller: Parameters<typeof openProject>[1], key: string) => {
    const ctx = await openProject(db(), caller, key);
    requireCommand(ctx.access, 'project.administer');
    return ctx.project;
  };

  app.get(
    '/projects/:key/notification-rules',
    {
      config: { access: 'project' },
      schema: {
        tags: ['rules'],
        summary: 'Notification rules (needs project.administer)',
        params: ProjectParams,
        response: { 200: Type.Object({ rules: Type.Array(RuleSchema) }), ...errorResponses },
      },
    },
    async (request) => ({ rules: await svc.listRules(db(), (await open(callerOf(request), request.params.key)).id) }),
  );
  app.get(
    '/projects/:key/notification-rules/:id',
    {
      config: { access: 'project' },
      schema: { tags: ['rules'], summary: 'One notification rule', params: RuleParams, response: { 200: RuleSchema, ...errorResponses } },
    },
    async (request) => svc.getRule(db(), (await open(callerOf(request), request.params.key)).id, request.params.id),
  );
  app.post(
    '/projects/:key/notification-rules',
    {
      config: { access: 'project' },
      schema: { tags: ['rules'], summary: 'Add a notification rule', params: ProjectParams, body: RuleIn, response: { 201: RuleSchema, ...errorResponses } },
    },
    async (request, reply) => reply.status(201).send(await svc.createRule(db(), (await open(callerOf(request), request.params.key)).id, request.body)),
  );
  app.put(
    '/projects/:key/notification-rules/:id',
    {
      config: { access: 'project' },
      schema: { tags: ['rules'], summary: 'Change a notification rule', params: RuleParams, body: RuleIn, response: { 200: RuleSchema, ...errorResponses } },
    },
    async (request) => svc.updateRule(db(), (await open(callerOf(request), request.params.key)).id, request.params.id, request.body),
  );
  app.delete(
    '/projects/:key/notification-rules/:id',
    {
      config: { access: 'project' },
      schema: { tags: ['rules'], summary: 'Delete a notification rule', params: RuleParams, response: { 204: Type.Null(), ...errorResponses } },
    },
    async (request, reply) => {
      await svc.deleteRule(db(), (await open(callerOf(request), request.params.key)).id, request.params.id);
      return reply.status(204).send(null);
    },
  );
};
