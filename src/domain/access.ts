import { AppError } from '../errors.js';
import { CATEGORY_OF, commandFor, type RecordCommand, type RecordType } from './commands.js';

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

const PLURAL: Record<RecordType, string> = {
  defect: 'defects',
  requirement: 'requirements',
  requirementDocument: 'requirement documents',
  testCase: 'test cases',
  testRun: 'test runs',
};

const DOING: Record<RecordCommand, (things: string) => string> = {
  view: (t) => `see ${t}`,
  add: (t) => `add ${t}`,
  edit: (t) => `change ${t}`,
  sendTrackedEmail: (t) => `send tracked email about ${t}`,
  replyTrackedEmail: (t) => `reply to tracked email about ${t}`,
  viewTrackedEmail: (t) => `read the tracked email of ${t}`,
  deleteTrackedEmail: (t) => `delete tracked email of ${t}`,
  manageWatchers: (t) => `choose who watches ${t}`,
};

/** What a command lets people do, in words ("change defects"), for messages people read. */
export function commandInWords(command: string): string {
  if (command === 'project.administer') return 'administer this project';
  const [category, verb] = command.split('.');
  const type = Object.entries(CATEGORY_OF).find(([, c]) => c === category)?.[0] as RecordType | undefined;
  const doing = DOING[verb as RecordCommand];
  return type && doing ? doing(PLURAL[type]) : `use "${command}"`;
}

export function requireCommand(access: ProjectAccess, command: string): void {
  if (!holds(access, command)) {
    // People read this in the web client: what they cannot do, why, and who can change it; the
    // command itself travels in details for scripts.
    throw new AppError(
      'forbidden',
      'missing_command',
      `You are not allowed to ${commandInWords(command)} in this project: your security group does not include it. A project administrator can give it to your group.`,
      { command },
    );
  }
}

export function requireOnRecordType(access: ProjectAccess, type: RecordType, command: RecordCommand): void {
  requireCommand(access, commandFor(type, command));
}
