import { normalizeSubject } from '../tracking/subject.js';

/**
 * Pure text rules of email import: the record title from a subject, the command lines at the
 * top of a reply, the record named by a forward. No I/O, so they are tested as plain functions.
 */

/** `[EXTERNAL]`, `[SPAM]`, `[DEMO-D4]`, `(fwd)` style tags mail systems and people put on subjects. */
const leadingTag = /^\s*(?:\[[^\]\r\n]{0,60}\]|\((?:fwd|fw)\))\s*/i;

/** The record title: reply/forward prefixes and bracketed tags stripped, repeatedly, whitespace collapsed. */
export function titleFromSubject(subject: string): string {
  let current = subject.replace(/\s+/g, ' ').trim();
  for (let i = 0; i < 20; i++) {
    const next = normalizeSubject(current.replace(leadingTag, ''));
    if (next === current) break;
    current = next;
  }
  // Trailing tags too ("Printer broken [urgent]" keeps its words, loses the tag).
  current = current.replace(/\s*\[[^\]\r\n]{0,60}\]\s*$/, '').trim();
  return current.slice(0, 500);
}

/** A record tag such as DEMO-D4 or DEMO-TC12. */
export const RECORD_TAG = /\b([A-Za-z][A-Za-z0-9]{1,15})-(D|RD|R|TC|TR)(\d{1,9})\b/;

export interface RecordRef {
  projectKey: string;
  letter: string;
  number: number;
}

function refOf(m: RegExpExecArray): RecordRef {
  return { projectKey: m[1]!.toUpperCase(), letter: m[2]!.toUpperCase(), number: Number(m[3]) };
}

/**
 * The record a member forwards mail into: a `/record DEMO-D4` line at the top of the body wins,
 * then `[DEMO-D4]` in the subject. A tag with a cookie (`[DEMO-D4 mt1…]`) is tracked mail, not
 * a forward, and never reaches this.
 */
export function forwardTarget(subject: string, commands: readonly EmailCommand[]): RecordRef | undefined {
  for (const c of commands) {
    if (c.name !== 'record') continue;
    const m = new RegExp(`^${RECORD_TAG.source}$`).exec(c.argument.trim());
    if (m) return refOf(m);
  }
  const m = new RegExp(`\\[\\s*${RECORD_TAG.source}\\s*\\]`).exec(subject);
  return m ? refOf(m) : undefined;
}

export const COMMAND_NAMES = ['status', 'assign', 'priority', 'close', 'add-participant', 'record'] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

export interface EmailCommand {
  /** Lower-case; may be a name we do not know (refused with a reason). */
  name: string;
  argument: string;
  line: string;
}

const commandLine = /^\/([A-Za-z][A-Za-z-]{0,30})(?:[ \t]+(.*))?$/;

/** At most this many commands in one reply: a body full of slashes is not a command list. */
export const MAX_COMMANDS = 10;

/**
 * Commands are the lines starting with `/` at the very top of the reply (blank lines between
 * them allowed); the first other line ends them, so a `/status` quoted further down, or in the
 * middle of a sentence, is text. Returns the commands and the text without them.
 */
export function splitCommands(text: string): { commands: EmailCommand[]; rest: string } {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const commands: EmailCommand[] = [];
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const m = commandLine.exec(line);
    if (!m || commands.length >= MAX_COMMANDS) break;
    commands.push({ name: m[1]!.toLowerCase(), argument: (m[2] ?? '').trim(), line });
  }
  if (commands.length === 0) return { commands, rest: text };
  return { commands, rest: lines.slice(i).join('\n').trim() };
}

/** Removes the given command lines from the top of `text` (the full body keeps its quote below). */
export function withoutCommandLines(text: string, commands: readonly EmailCommand[]): string {
  if (commands.length === 0) return text;
  return splitCommands(text).rest;
}

export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}
