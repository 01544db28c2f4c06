import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { callerOf } from '../http/auth.js';
import { Body, Id, ProjectKey, ProjectParams, RecordTypeSchema, errorResponses } from '../http/schemas.js';
import { openProject } from '../projects/index.js';
import * as svc from './notifications.service.js';
import { AUTO_WATCH, DELIVERIES, NOTIFY_EVENTS } from './prefs.js';

const NotificationSchema = Type.Object(
  {
    id: Type.String(),
    kind: Type.String({ description: 'mentioned | assigned | changed | commented' }),
    summary: Type.String(),
    detail: Type.String(),
    projectKey: Type.String(),
    record: Type.Object({ id: Type.String(), tag: Type.String(), title: Type.String() }),
    actor: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.String(),
    readAt: Type.Union([Type.String(), Type.Null()]),
  },
  { $id: 'Notification' },
);
/** A record as My work lists it (unnamed: the answer holds two lists of them). */
const RecordBrief = Type.Object({
  id: Type.String(),
  tag: Type.String(),
  type: RecordTypeSchema,
  title: Type.String(),
  status: Type.String(),
  statusCategory: Type.Union([Type.Literal('open'), Type.Literal('inProgress'), Type.Literal('done')]),
  priority: Type.Union([Type.String(), Type.Null()]),
  assignee: Type.Union([Type.String(), Type.Null()]),
  updatedAt: Type.String(),
});
const DeliverySchema = Type.Union(
  DELIVERIES.map((d) => Type.Literal(d)),
  {
    description:
      'immediate: an email now; batch: one email per record for a burst; digest: in the daily digest at your hour; app: the bell and My work only; never',
  },
);
const EventsSchema = Type.Object(
  Object.fromEntries(NOTIFY_EVENTS.map((e) => [e, DeliverySchema])) as Record<(typeof NOTIFY_EVENTS)[number], typeof DeliverySchema>,
  { additionalProperties: false },
);
const AutoWatchSchema = Type.Object(
  Object.fromEntries(AUTO_WATCH.map((r) => [r, Type.Boolean()])) as Record<(typeof AUTO_WATCH)[number], ReturnType<typeof Type.Boolean>>,
  {
    additionalProperties: false,
    description: 'Which of your own doings make you watch the record: creating it, being assigned it, commenting, being mentioned',
  },
);
const DigestHour = Type.Integer({ minimum: 0, maximum: 23, description: 'The hour of your daily digest, in timeZone' });
const TimeZone = Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()], {
  description: "IANA time zone of the digest hour (Europe/Berlin); null: the server's",
});
const SettingsSchema = Type.Object(
  {
    events: EventsSchema,
    digestHour: DigestHour,
    timeZone: TimeZone,
    serverTimeZone: Type.String({ description: 'The zone the digest hour counts in when timeZone is null' }),
    autoWatch: AutoWatchSchema,
  },
  { $id: 'NotificationSettings' },
);
const SettingsIn = Body({
  events: Type.Optional(Type.Partial(EventsSchema, { additionalProperties: false })),
  digestHour: Type.Optional(DigestHour),
  timeZone: Type.Optional(TimeZone),
  autoWatch: Type.Optional(Type.Partial(AutoWatchSchema, { additionalProperties: false })),
});
const InboxQuery = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })), unread: Type.Optional(Type.Boolean()) });

export const notificationRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const db = () => app.ctx.store.db;
  app.get(
    '/me/notifications',
    {
      config: { access: 'user' },
      schema: {
        tags: ['notifications'],
        summary: 'Your notifications across your projects, newest first, with the unread count',
        querystring: InboxQuery,
        response: { 200: Type.Object({ unread: Type.Integer(), notifications: Type.Array(NotificationSchema) }), ...errorResponses },
      },
    },
    async (request) =>
      svc.inbox(db(), callerOf(request), {
        ...(request.query.limit ? { limit: request.query.limit } : {}),
        ...(request.query.unread ? { unreadOnly: true } : {}),
      }),
  );
  app.get(
    '/me/notifications/count',
    {
      config: { access: 'user' },
      schema: {
        tags: ['notifications'],
        summary: 'How many of your notifications are unread (the bell)',
        response: { 200: Type.Object({ unread: Type.Integer() }), ...errorResponses },
      },
    },
    async (request) => ({ unread: await svc.unreadCount(db(), callerOf(request)) }),
  );
  app.post(
    '/me/notifications/read',
    {
      config: { access: 'user' },
      schema: {
        tags: ['notifications'],
        summary: 'Mark notifications read (no ids: all of them)',
        body: Body({ ids: Type.Optional(Type.Array(Id, { maxItems: 500 })) }),
        response: { 200: Type.Object({ unread: Type.Integer() }), ...errorResponses },
      },
    },
    async (request) => ({ unread: await svc.markRead(db(), callerOf(request), request.body.ids) }),
  );
  app.get(
    '/projects/:key/notification-settings',
    {
      config: { access: 'project' },
      schema: {
        tags: ['notifications'],
        summary: 'What mails you in this project, and when (any member)',
        params: ProjectParams,
        response: { 200: SettingsSchema, ...errorResponses },
      },
    },
    async (request) => svc.getSettings(db(), await openProject(db(), callerOf(request), request.params.key)),
  );
  app.put(
    '/projects/:key/notification-settings',
    {
      config: { access: 'project' },
      schema: {
        tags: ['notifications'],
        summary: 'Choose what mails you in this project: per event immediate, batch, digest, app or never; the digest hour; what makes you watch',
        params: ProjectParams,
        body: SettingsIn,
        response: { 200: SettingsSchema, ...errorResponses },
      },
    },
    async (request) => svc.putSettings(db(), await openProject(db(), callerOf(request), request.params.key), request.body),
  );
  app.get(
    '/projects/:key/my-work',
    {
      config: { access: 'project' },
      schema: {
        tags: ['notifications'],
        summary: 'My work: open records assigned to you, records you watch, where you were mentioned, your unread count here',
        params: Type.Object({ key: ProjectKey }),
        response: {
          200: Type.Object(
            { assigned: Type.Array(RecordBrief), watching: Type.Array(RecordBrief), mentioned: Type.Array(NotificationSchema), unread: Type.Integer() },
            { $id: 'MyWork' },
          ),
          ...errorResponses,
        },
      },
    },
    async (request) => svc.myWork(db(), await openProject(db(), callerOf(request), request.params.key), callerOf(request)),
  );
};
