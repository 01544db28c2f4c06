import type { Executor } from './db.js';
import type { ProjectRow, ProjectsTable, SecurityGroupRow } from './schema.js';

export async function insertProject(db: Executor, row: ProjectsTable): Promise<void> {
  await db.insertInto('projects').values(row).execute();
}

export async function findProjectByKey(db: Executor, key: string): Promise<ProjectRow | undefined> {
  return db.selectFrom('projects').selectAll().where('key', '=', key.toUpperCase()).executeTakeFirst();
}

export async function findProjectById(db: Executor, id: string): Promise<ProjectRow | undefined> {
  return db.selectFrom('projects').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listProjects(db: Executor, memberUserId?: string): Promise<ProjectRow[]> {
  let q = db.selectFrom('projects').selectAll('projects').orderBy('projects.key');
  if (memberUserId !== undefined) {
    q = q.innerJoin('project_members', 'project_members.project_id', 'projects.id').where('project_members.user_id', '=', memberUserId);
  }
  return q.execute();
}

export async function updateProject(db: Executor, id: string, update: Partial<ProjectsTable>): Promise<void> {
  await db.updateTable('projects').set(update).where('id', '=', id).execute();
}

export async function insertGroup(db: Executor, row: SecurityGroupRow): Promise<void> {
  await db.insertInto('security_groups').values(row).execute();
}

export async function listGroups(db: Executor, projectId: string): Promise<SecurityGroupRow[]> {
  return db.selectFrom('security_groups').selectAll().where('project_id', '=', projectId).orderBy('name').execute();
}

export async function findGroupByName(db: Executor, projectId: string, name: string): Promise<SecurityGroupRow | undefined> {
  return db.selectFrom('security_groups').selectAll().where('project_id', '=', projectId).where('name', '=', name).executeTakeFirst();
}

export async function findGroupById(db: Executor, projectId: string, id: string): Promise<SecurityGroupRow | undefined> {
  return db.selectFrom('security_groups').selectAll().where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst();
}

export async function updateGroup(db: Executor, id: string, update: Partial<SecurityGroupRow>): Promise<void> {
  await db.updateTable('security_groups').set(update).where('id', '=', id).execute();
}

export async function deleteGroup(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('security_groups').where('id', '=', id).execute();
}

export async function countGroupMembers(db: Executor, groupId: string): Promise<number> {
  const row = await db
    .selectFrom('project_members')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('group_id', '=', groupId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function upsertMember(db: Executor, projectId: string, userId: string, groupId: string, at: string): Promise<void> {
  await db
    .insertInto('project_members')
    .values({ project_id: projectId, user_id: userId, group_id: groupId, created_at: at })
    .onConflict((oc) => oc.columns(['project_id', 'user_id']).doUpdateSet({ group_id: groupId }))
    .execute();
}

export async function deleteMember(db: Executor, projectId: string, userId: string): Promise<number> {
  const res = await db.deleteFrom('project_members').where('project_id', '=', projectId).where('user_id', '=', userId).executeTakeFirst();
  return Number(res.numDeletedRows);
}

export interface MemberRow {
  user_id: string;
  username: string;
  full_name: string;
  email: string;
  group_id: string;
  group_name: string;
}

export async function listMembers(db: Executor, projectId: string): Promise<MemberRow[]> {
  return db
    .selectFrom('project_members')
    .innerJoin('users', 'users.id', 'project_members.user_id')
    .innerJoin('security_groups', 'security_groups.id', 'project_members.group_id')
    .select(['users.id as user_id', 'users.username', 'users.full_name', 'users.email', 'security_groups.id as group_id', 'security_groups.name as group_name'])
    .where('project_members.project_id', '=', projectId)
    .orderBy('users.username')
    .execute();
}

/** The commands of the user's security group in the project, or undefined for a non-member. */
export async function memberCommands(db: Executor, projectId: string, userId: string): Promise<string[] | undefined> {
  const row = await db
    .selectFrom('project_members')
    .innerJoin('security_groups', 'security_groups.id', 'project_members.group_id')
    .select('security_groups.commands')
    .where('project_members.project_id', '=', projectId)
    .where('project_members.user_id', '=', userId)
    .executeTakeFirst();
  return row ? (JSON.parse(row.commands) as string[]) : undefined;
}
