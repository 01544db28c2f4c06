import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { requireCommand } from '../domain/access.js';
import { forbidden } from '../errors.js';
import * as svc from './projects.service.js';
import { listMembers, listGroups } from '../store/projects.repository.js';
import { callerOf } from '../http/auth.js';
import { Body, EmailOptionsSchema, GroupSchema, Id, ProjectKey, ProjectParams, ProjectSchema, Username, errorResponses } from '../http/schemas.js';

const MemberSchema = Type.Object(
  {
    username: Type.String(),
    fullName: Type.String(),
    email: Type.String(),
    securityGroup: Type.String(),
  },
  { $id: 'Member' },
);

export const projectRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const db = () => app.ctx.store.db;

  app.post(
    '/projects',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['projects'],
        summary: 'Create a project (with the standard security groups)',
        body: Body({ key: ProjectKey, name: Type.String({ minLength: 1, maxLength: 200 }) }),
        response: { 201: ProjectSchema, ...errorResponses },
      },
    },
    async (request, reply) => reply.status(201).send(await svc.createProject(db(), request.body)),
  );

  app.get(
    '/projects',
    {
      config: { access: 'user' },
      schema: {
        tags: ['projects'],
        summary: 'Projects the caller is a member of (all, for the admin)',
        response: { 200: Type.Object({ projects: Type.Array(ProjectSchema) }), ...errorResponses },
      },
    },
    async (request) => ({ projects: await svc.listProjectsFor(db(), callerOf(request)) }),
  );

  app.get(
    '/projects/:key',
    {
      config: { access: 'project' },
      schema: {
        tags: ['projects'],
        summary: 'One project, with the commands the caller holds in it',
        params: ProjectParams,
        response: { 200: Type.Object({ ...ProjectSchema.properties, commands: Type.Array(Type.String()) }), ...errorResponses },
      },
    },
    async (request) => {
      const { project, access } = await svc.openProject(db(), callerOf(request), request.params.key);
      return { ...svc.toPublicProject(project), commands: [...access.commands].sort() };
    },
  );

  app.get(
    '/projects/:key/options/email',
    {
      config: { access: 'project' },
      schema: { tags: ['projects'], summary: 'Email options of the project', params: ProjectParams, response: { 200: EmailOptionsSchema, ...errorResponses } },
    },
    async (request) => {
      const { project } = await svc.openProject(db(), callerOf(request), request.params.key);
      return svc.toEmailOptions(project);
    },
  );

  app.put(
    '/projects/:key/options/email',
    {
      config: { access: 'project' },
      schema: {
        tags: ['projects'],
        summary: 'Set the email options (needs project.administer)',
        params: ProjectParams,
        body: EmailOptionsSchema,
        response: { 200: EmailOptionsSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { project, access } = await svc.openProject(db(), callerOf(request), request.params.key);
      requireCommand(access, 'project.administer');
      return svc.updateEmailOptions(db(), project, request.body);
    },
  );

  const GroupBody = Body({ name: Type.String({ minLength: 1, maxLength: 100 }), commands: Type.Array(Type.String({ maxLength: 100 }), { maxItems: 200 }) });
  const GroupParams = Type.Object({ key: ProjectKey, id: Id });

  app.get(
    '/projects/:key/security-groups',
    {
      config: { access: 'project' },
      schema: {
        tags: ['projects'],
        summary: 'Security groups',
        params: ProjectParams,
        response: { 200: Type.Object({ groups: Type.Array(GroupSchema) }), ...errorResponses },
      },
    },
    async (request) => {
      const { project, access } = await svc.openProject(db(), callerOf(request), request.params.key);
      requireCommand(access, 'project.administer');
      return { groups: (await listGroups(db(), project.id)).map(svc.toPublicGroup) };
    },
  );

  app.post(
    '/projects/:key/security-groups',
    {
      config: { access: 'project' },
      schema: {
        tags: ['projects'],
        summary: 'Add a security group',
        params: ProjectParams,
        body: GroupBody,
        response: { 201: GroupSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { project, access } = await svc.openProject(db(), callerOf(request), request.params.key);
      requireCommand(access, 'project.administer');
      return reply.status(201).send(await svc.createGroup(db(), project.id, request.body));
    },
  );

  app.put(
    '/projects/:key/security-groups/:id',
    {
      config: { access: 'project' },
      schema: {
        tags: ['projects'],
        summary: 'Rename a security group or change its commands',
        params: GroupParams,
        body: Body({
          name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
          commands: Type.Optional(Type.Array(Type.String({ maxLength: 100 }), { maxItems: 200 })),
        }),
        response: { 200: GroupSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { project, access } = await svc.openProject(db(), callerOf(request), request.params.key);
      requireCommand(access, 'project.administer');
      return svc.updateGroup(db(), project.id, request.params.id, request.body);
    },
  );

  app.delete(
    '/projects/:key/security-groups/:id',
    {
      config: { access: 'project' },
      schema: { tags: ['projects'], summary: 'Delete an unused security group', params: GroupParams, response: { 204: Type.Null(), ...errorResponses } },
    },
    async (request, reply) => {
      const { project, access } = await svc.openProject(db(), callerOf(request), request.params.key);
      requireCommand(access, 'project.administer');
      await svc.deleteGroup(db(), project.id, request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/projects/:key/members',
    {
      config: { access: 'project' },
      schema: {
        tags: ['projects'],
        summary: 'Members of the project (any member may list them: they are the people you can mail)',
        params: ProjectParams,
        response: { 200: Type.Object({ members: Type.Array(MemberSchema) }), ...errorResponses },
      },
    },
    async (request) => {
      const { project } = await svc.openProject(db(), callerOf(request), request.params.key);
      const rows = await listMembers(db(), project.id);
      return { members: rows.map((m) => ({ username: m.username, fullName: m.full_name, email: m.email, securityGroup: m.group_name })) };
    },
  );

  const MemberParams = Type.Object({ key: ProjectKey, username: Username });

  app.put(
    '/projects/:key/members/:username',
    {
      config: { access: 'project' },
      schema: {
        tags: ['projects'],
        summary: 'Add a member or change their security group',
        params: MemberParams,
        body: Body({ securityGroup: Type.String({ minLength: 1, maxLength: 100 }) }),
        response: { 200: Type.Object({ username: Type.String(), securityGroup: Type.String() }), ...errorResponses },
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const { project, access } = await svc.openProject(db(), caller, request.params.key);
      requireCommand(access, 'project.administer');
      await svc.setMember(db(), project.id, request.params.username, request.body.securityGroup, caller.isAdmin ? undefined : caller.userId);
      return { username: request.params.username, securityGroup: request.body.securityGroup };
    },
  );

  app.delete(
    '/projects/:key/members/:username',
    {
      config: { access: 'project' },
      schema: { tags: ['projects'], summary: 'Remove a member', params: MemberParams, response: { 204: Type.Null(), ...errorResponses } },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const { project, access } = await svc.openProject(db(), caller, request.params.key);
      requireCommand(access, 'project.administer');
      if (request.params.username === caller.username && !caller.isAdmin) {
        throw forbidden('cannot_remove_self', 'You cannot remove yourself from a project; ask another administrator.');
      }
      await svc.removeMember(db(), project.id, request.params.username);
      return reply.status(204).send(null);
    },
  );
};
