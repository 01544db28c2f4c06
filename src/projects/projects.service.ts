import { nowIso } from '../clock.js';
import type { ProjectAccess } from '../domain/access.js';
import { ALL_COMMANDS, CATEGORY_OF, RECORD_TYPES, isCommand } from '../domain/commands.js';
import { isEmailAddress } from '../domain/validation.js';
import { badRequest, conflict, notFound } from '../errors.js';
import { newId } from '../ids.js';
import type { Executor } from '../store/db.js';
import * as projects from '../store/projects.repository.js';
import type { ProjectRow, SecurityGroupRow } from '../store/schema.js';
import { findUserByUsername } from '../store/users.repository.js';
import { seedStandardTemplates } from '../templates/index.js';
import type { Caller } from '../core/context.js';

export interface PublicProject {
  id: string;
  key: string;
  name: string;
  createdAt: string;
}

export interface EmailOptions {
  sendingEnabled: boolean;
  trackingEnabled: boolean;
  notificationAccount: { name: string; address: string };
}

export function toPublicProject(row: ProjectRow): PublicProject {
  return { id: row.id, key: row.key, name: row.name, createdAt: row.created_at };
}

export function toEmailOptions(row: ProjectRow): EmailOptions {
  return {
    sendingEnabled: row.sending_enabled === 1,
    trackingEnabled: row.tracking_enabled === 1,
    notificationAccount: { name: row.notification_name, address: row.notification_address },
  };
}

export interface PublicGroup {
  id: string;
  name: string;
  commands: string[];
}

export function toPublicGroup(row: SecurityGroupRow): PublicGroup {
  return { id: row.id, name: row.name, commands: JSON.parse(row.commands) as string[] };
}

/** Groups every new project starts with, so a project is usable before anyone designs security. */
export function defaultGroups(): { name: string; commands: string[] }[] {
  const recordCommands = (cmds: string[]) => RECORD_TYPES.flatMap((t) => cmds.map((c) => `${CATEGORY_OF[t]}.${c}`));
  return [
    { name: 'Administrators', commands: [...ALL_COMMANDS] },
    {
      name: 'Developers',
      commands: recordCommands(['view', 'add', 'edit', 'sendTrackedEmail', 'replyTrackedEmail', 'viewTrackedEmail']),
    },
    { name: 'Viewers', commands: recordCommands(['view', 'viewTrackedEmail']) },
  ];
}

function checkCommands(commands: string[]): string[] {
  const unknown = commands.filter((c) => !isCommand(c));
  if (unknown.length > 0) {
    throw badRequest('unknown_command', `Unknown command(s): ${unknown.join(', ')}. Commands look like "defects.view" or "project.administer".`);
  }
  return [...new Set(commands)];
}

export async function createProject(db: Executor, input: { key: string; name: string }): Promise<PublicProject> {
  const key = input.key.toUpperCase();
  if (await projects.findProjectByKey(db, key)) throw conflict('project_key_taken', `The project key "${key}" is taken.`);
  const at = nowIso();
  const row: ProjectRow = {
    id: newId(),
    key,
    name: input.name,
    sending_enabled: 1,
    tracking_enabled: 1,
    notification_name: `${input.name} notifications`,
    notification_address: '',
    tracking_account_id: null,
    created_at: at,
    updated_at: at,
  };
  await projects.insertProject(db, row);
  for (const g of defaultGroups()) {
    await projects.insertGroup(db, {
      id: newId(),
      project_id: row.id,
      name: g.name,
      commands: JSON.stringify(g.commands),
      created_at: at,
      updated_at: at,
    });
  }
  await seedStandardTemplates(db, row.id);
  return toPublicProject(row);
}

export async function listProjectsFor(db: Executor, caller: Caller): Promise<PublicProject[]> {
  const rows = await projects.listProjects(db, caller.isAdmin ? undefined : caller.userId);
  return rows.map(toPublicProject);
}

export interface ProjectContext {
  project: ProjectRow;
  access: ProjectAccess;
}

/**
 * The project as the caller sees it. A project the caller is not a member of does not exist
 * for them (404), so project keys cannot be probed.
 */
export async function openProject(db: Executor, caller: Caller, key: string): Promise<ProjectContext> {
  const project = await projects.findProjectByKey(db, key);
  const missing = () => notFound('project_not_found', `There is no project "${key}" you are a member of.`);
  if (!project) throw missing();
  if (caller.isAdmin) return { project, access: { userId: caller.userId, isAdmin: true, commands: new Set(ALL_COMMANDS) } };
  const commands = await projects.memberCommands(db, project.id, caller.userId);
  if (!commands) throw missing();
  return { project, access: { userId: caller.userId, isAdmin: false, commands: new Set(commands) } };
}

export async function updateEmailOptions(db: Executor, project: ProjectRow, input: EmailOptions): Promise<EmailOptions> {
  const address = input.notificationAccount.address.trim();
  if (address !== '' && !isEmailAddress(address)) {
    throw badRequest('invalid_email', `"${address}" is not a valid notification account address.`);
  }
  const update = {
    sending_enabled: input.sendingEnabled ? 1 : 0,
    tracking_enabled: input.trackingEnabled ? 1 : 0,
    notification_name: input.notificationAccount.name.trim(),
    notification_address: address.toLowerCase(),
    updated_at: nowIso(),
  };
  await projects.updateProject(db, project.id, update);
  return toEmailOptions({ ...project, ...update });
}

export async function createGroup(db: Executor, projectId: string, input: { name: string; commands: string[] }): Promise<PublicGroup> {
  const commands = checkCommands(input.commands);
  if (await projects.findGroupByName(db, projectId, input.name)) {
    throw conflict('group_name_taken', `A security group named "${input.name}" exists already.`);
  }
  const at = nowIso();
  const row: SecurityGroupRow = {
    id: newId(),
    project_id: projectId,
    name: input.name,
    commands: JSON.stringify(commands),
    created_at: at,
    updated_at: at,
  };
  await projects.insertGroup(db, row);
  return toPublicGroup(row);
}

export async function updateGroup(
  db: Executor,
  projectId: string,
  groupId: string,
  input: { name?: string; commands?: string[] },
): Promise<PublicGroup> {
  const row = await projects.findGroupById(db, projectId, groupId);
  if (!row) throw notFound('group_not_found', 'There is no such security group in this project.');
  const update: Partial<SecurityGroupRow> = { updated_at: nowIso() };
  if (input.name !== undefined && input.name !== row.name) {
    if (await projects.findGroupByName(db, projectId, input.name)) {
      throw conflict('group_name_taken', `A security group named "${input.name}" exists already.`);
    }
    update.name = input.name;
  }
  if (input.commands !== undefined) update.commands = JSON.stringify(checkCommands(input.commands));
  await projects.updateGroup(db, row.id, update);
  return toPublicGroup({ ...row, ...update });
}

export async function deleteGroup(db: Executor, projectId: string, groupId: string): Promise<void> {
  const row = await projects.findGroupById(db, projectId, groupId);
  if (!row) throw notFound('group_not_found', 'There is no such security group in this project.');
  const members = await projects.countGroupMembers(db, row.id);
  if (members > 0) throw conflict('group_in_use', `The group "${row.name}" still has ${members} member(s); move them first.`);
  await projects.deleteGroup(db, row.id);
}

/**
 * Adds a member or changes their group. `visibleTo`: the caller, when not the server admin. They
 * may add only users they already share a project with, and anyone else gets the very answer a
 * non-existent name gets: a project admin must not learn who has an account (and, once added,
 * their address) by trying names.
 */
export async function setMember(db: Executor, projectId: string, username: string, groupName: string, visibleTo?: string): Promise<void> {
  const user = await findUserByUsername(db, username);
  const unknown = () => notFound('user_not_found', `There is no user "${username}" you can add (ask the server administrator to add people you do not work with yet).`);
  if (!user) throw unknown();
  if (visibleTo !== undefined && user.id !== visibleTo) {
    const shared = await db
      .selectFrom('project_members as mine')
      .innerJoin('project_members as theirs', 'theirs.project_id', 'mine.project_id')
      .select('mine.project_id')
      .where('mine.user_id', '=', visibleTo)
      .where('theirs.user_id', '=', user.id)
      .executeTakeFirst();
    if (!shared) throw unknown();
  }
  const group = await projects.findGroupByName(db, projectId, groupName);
  if (!group) throw badRequest('unknown_group', `There is no security group "${groupName}" in this project.`);
  await projects.upsertMember(db, projectId, user.id, group.id, nowIso());
}

export async function removeMember(db: Executor, projectId: string, username: string): Promise<void> {
  const user = await findUserByUsername(db, username);
  if (!user || (await projects.deleteMember(db, projectId, user.id)) === 0) {
    throw notFound('member_not_found', `"${username}" is not a member of this project.`);
  }
}
