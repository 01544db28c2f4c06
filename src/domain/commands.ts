/** Record types, command categories and commands of CONTRACT §3. */
export const RECORD_TYPES = ['defect', 'requirement', 'requirementDocument', 'testCase', 'testRun'] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

export const CATEGORY_OF: Record<RecordType, string> = {
  defect: 'defects',
  requirement: 'requirements',
  requirementDocument: 'requirementDocuments',
  testCase: 'testCases',
  testRun: 'testRuns',
};

/** Short letters used in record tags such as `DEMO-D42`. */
export const TAG_LETTER: Record<RecordType, string> = {
  defect: 'D',
  requirement: 'R',
  requirementDocument: 'RD',
  testCase: 'TC',
  testRun: 'TR',
};

export const RECORD_COMMANDS = [
  'view',
  'add',
  'edit',
  'sendTrackedEmail',
  'replyTrackedEmail',
  'viewTrackedEmail',
  'deleteTrackedEmail',
  /** Add or remove other people as watchers (anyone who can view may watch or unwatch for themselves). */
  'manageWatchers',
] as const;
export type RecordCommand = (typeof RECORD_COMMANDS)[number];

export const PROJECT_COMMANDS = ['project.administer'] as const;

export const ALL_COMMANDS: readonly string[] = [...RECORD_TYPES.flatMap((t) => RECORD_COMMANDS.map((c) => `${CATEGORY_OF[t]}.${c}`)), ...PROJECT_COMMANDS];

const known = new Set(ALL_COMMANDS);

export function isCommand(name: string): boolean {
  return known.has(name);
}

export function isRecordType(value: string): value is RecordType {
  return (RECORD_TYPES as readonly string[]).includes(value);
}

export function commandFor(type: RecordType, command: RecordCommand): string {
  return `${CATEGORY_OF[type]}.${command}`;
}

export function recordTag(projectKey: string, type: RecordType, number: number): string {
  return `${projectKey}-${TAG_LETTER[type]}${number}`;
}

/**
 * A record id as people type it: `DEMO-D4`, `demo-d4`, `D4`, `TC12`, `#4` or `4` (a number alone
 * matches that number in every type). A key that is not `projectKey` is not this project's id.
 */
export function parseRecordId(text: string, projectKey: string): { type: RecordType | null; number: number } | undefined {
  const m = /^\s*(?:([A-Za-z][A-Za-z0-9]*)-)?(?:(RD|TC|TR|D|R)|#)?(\d{1,9})\s*$/i.exec(text);
  if (!m) return undefined;
  if (m[1] && m[1].toUpperCase() !== projectKey.toUpperCase()) return undefined;
  const letter = m[2]?.toUpperCase();
  const type = letter ? ((Object.entries(TAG_LETTER).find(([, l]) => l === letter)?.[0] as RecordType | undefined) ?? null) : null;
  return { type, number: Number(m[3]) };
}
