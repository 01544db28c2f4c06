import { forbidden } from '../errors.js';
import { commandFor, type RecordCommand, type RecordType } from './commands.js';

/**
 * What one user may do in one project. The server admin holds every command everywhere;
 * everyone else holds the commands of their security group in that project.
 */
export interface ProjectAccess {
  userId: string;
  isAdmin: boolean;
  commands: ReadonlySet<string>;
}

export function holds(access: ProjectAccess, command: string): boolean {
  return access.isAdmin || access.commands.has(command);
}

export function canOnRecordType(access: ProjectAccess, type: RecordType, command: RecordCommand): boolean {
  return holds(access, commandFor(type, command));
}

export function requireCommand(access: ProjectAccess, command: string): void {
  if (!holds(access, command)) {
    throw forbidden('missing_command', `This needs the "${command}" command in this project.`);
  }
}

export function requireOnRecordType(access: ProjectAccess, type: RecordType, command: RecordCommand): void {
  requireCommand(access, commandFor(type, command));
}
