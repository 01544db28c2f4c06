import { Type, type TSchema } from '@sinclair/typebox';
import { RECORD_TYPES } from '../domain/commands.js';
import { PROJECT_KEY_PATTERN, USERNAME_PATTERN } from '../domain/validation.js';

/** Shared request/response schemas; they validate input and document the API in OpenAPI. */
export const ErrorSchema = Type.Object(
  {
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    }),
  },
  { $id: 'Error' },
);

export const errorResponses = {
  400: ErrorSchema,
  401: ErrorSchema,
  403: ErrorSchema,
  404: ErrorSchema,
  409: ErrorSchema,
};

export const Username = Type.String({ pattern: USERNAME_PATTERN, maxLength: 64 });
export const ProjectKey = Type.String({ pattern: PROJECT_KEY_PATTERN, maxLength: 16 });
export const Id = Type.String({ minLength: 1, maxLength: 64 });
export const EmailAddress = Type.String({ minLength: 3, maxLength: 254 });
export const RecordTypeSchema = Type.Union(RECORD_TYPES.map((t) => Type.Literal(t)));

export const UserSchema = Type.Object(
  {
    id: Type.String(),
    username: Type.String(),
    fullName: Type.String(),
    email: Type.String(),
    isAdmin: Type.Boolean(),
    disabled: Type.Boolean(),
    createdAt: Type.String(),
  },
  { $id: 'User' },
);

export const ProjectSchema = Type.Object(
  {
    id: Type.String(),
    key: Type.String(),
    name: Type.String(),
    createdAt: Type.String(),
  },
  { $id: 'Project' },
);

export const EmailOptionsSchema = Type.Object(
  {
    sendingEnabled: Type.Boolean(),
    trackingEnabled: Type.Boolean(),
    notificationAccount: Type.Object({ name: Type.String({ maxLength: 200 }), address: Type.String({ maxLength: 254 }) }, { additionalProperties: false }),
  },
  { $id: 'EmailOptions', additionalProperties: false },
);

export const GroupSchema = Type.Object({ id: Type.String(), name: Type.String(), commands: Type.Array(Type.String()) }, { $id: 'SecurityGroup' });

export const RecordSchema = Type.Object(
  {
    id: Type.String(),
    number: Type.Integer(),
    tag: Type.String(),
    type: RecordTypeSchema,
    title: Type.String(),
    description: Type.String(),
    status: Type.String(),
    assignee: Type.Union([Type.String(), Type.Null()]),
    creator: Type.String(),
    createdAt: Type.String(),
    updatedAt: Type.String(),
    version: Type.Integer({ description: 'goes up with every change; send it back as If-Match or "version" to edit safely' }),
    statusCategory: Type.Union([Type.Literal('open'), Type.Literal('inProgress'), Type.Literal('done')]),
    priority: Type.Union([Type.String(), Type.Null()]),
    severity: Type.Union([Type.String(), Type.Null()]),
    fields: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Array(Type.String())]), {
      description: 'custom field values by field key',
    }),
  },
  { $id: 'Record' },
);

export const FieldChangeSchema = Type.Object(
  {
    field: Type.String(),
    old: Type.Union([Type.String(), Type.Null()]),
    new: Type.Union([Type.String(), Type.Null()]),
  },
  { $id: 'FieldChange' },
);

export const RecordEventSchema = Type.Object(
  {
    id: Type.String(),
    kind: Type.String(),
    at: Type.String(),
    actor: Type.Union([Type.String(), Type.Null()]),
    changes: Type.Array(FieldChangeSchema),
    version: Type.Optional(Type.Integer()),
    email: Type.Optional(
      Type.Object({
        id: Type.String(),
        subject: Type.String(),
        from: Type.String(),
        to: Type.Array(Type.String()),
        forwardedTo: Type.Optional(Type.String()),
        error: Type.Optional(Type.String()),
      }),
    ),
    emailId: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'the email that caused the change (reopen on reply, a command by email)' })),
  },
  { $id: 'RecordEvent' },
);

export const ProjectParams = Type.Object({ key: ProjectKey });

/** Objects in request bodies reject unknown fields. */
export function Body<T extends Record<string, TSchema>>(props: T) {
  return Type.Object(props, { additionalProperties: false });
}
