import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { notFound } from '../errors.js';
import { createUser, toPublicUser, updateUserProfile } from './users.service.js';
import { findUserByUsername, listUsers } from '../store/users.repository.js';
import { Body, EmailAddress, UserSchema, Username, errorResponses } from '../http/schemas.js';

export const userRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const db = () => app.ctx.store.db;
  const UserParams = Type.Object({ username: Username });

  app.post(
    '/users',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        summary: 'Add a user',
        body: Body({
          username: Username,
          fullName: Type.String({ minLength: 1, maxLength: 200 }),
          email: EmailAddress,
          password: Type.String({ minLength: 1, maxLength: 1024 }),
          isAdmin: Type.Optional(Type.Boolean()),
        }),
        response: { 201: UserSchema, ...errorResponses },
      },
    },
    async (request, reply) => reply.status(201).send(await createUser(db(), request.body)),
  );

  app.get(
    '/users',
    {
      config: { access: 'admin' },
      schema: { tags: ['admin'], summary: 'List users', response: { 200: Type.Object({ users: Type.Array(UserSchema) }), ...errorResponses } },
    },
    async () => ({ users: (await listUsers(db())).map(toPublicUser) }),
  );

  app.get(
    '/users/:username',
    {
      config: { access: 'admin' },
      schema: { tags: ['admin'], summary: 'One user', params: UserParams, response: { 200: UserSchema, ...errorResponses } },
    },
    async (request) => {
      const row = await findUserByUsername(db(), request.params.username);
      if (!row) throw notFound('user_not_found', `There is no user "${request.params.username}".`);
      return toPublicUser(row);
    },
  );

  app.patch(
    '/users/:username',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        summary: 'Change a user (name, email, password, disabled)',
        params: UserParams,
        body: Body({
          fullName: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
          email: Type.Optional(EmailAddress),
          password: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
          disabled: Type.Optional(Type.Boolean()),
        }),
        response: { 200: UserSchema, ...errorResponses },
      },
    },
    async (request) => updateUserProfile(db(), request.params.username, request.body),
  );
};
