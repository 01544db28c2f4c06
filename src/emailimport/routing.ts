import type { RecordType } from '../domain/commands.js';
import type { Executor } from '../store/db.js';
import { compileSubjectPattern, listImportingProjects, listImportRules, type ImportRule, type ImportSettings, type RuleDefaults } from './importSettings.js';
import { domainOf } from './mailText.js';

/** What the import stage needs to know of a message to route it. */
export interface RoutableMail {
  /** Every address the message was delivered to: To, Cc, Delivered-To, X-Original-To (lower-case). */
  recipients: readonly string[];
  sender: string;
  subject: string;
}

export interface ImportRoute {
  projectId: string;
  settings: ImportSettings;
  /** The rule that matched, or undefined for the project's defaults (a defect, default status). */
  rule?: ImportRule;
  recordType: RecordType;
  defaults: RuleDefaults;
  acknowledge: boolean;
}

function senderInDomain(sender: string, domain: string): boolean {
  const d = domainOf(sender);
  return d === domain || d.endsWith(`.${domain}`);
}

/**
 * Where a message without a cookie goes, if anywhere. Rules are tried in position order across
 * every project with import on; a rule matches when the message went to its recipient (by
 * default its project's import address), its sender domain matches and its subject pattern
 * matches. The first match wins. With no rule matching, a message to a project's import address
 * becomes a defect there with that project's defaults. Pure over what it reads: two rows lists.
 */
export async function routeMail(db: Executor, mail: RoutableMail): Promise<ImportRoute | undefined> {
  const projects = await listImportingProjects(db);
  if (projects.length === 0) return undefined;
  const byId = new Map(projects.map((p) => [p.projectId, p.settings]));
  const recipients = new Set(mail.recipients.map((r) => r.toLowerCase()));
  const rules = (await listImportRules(db)).filter((r) => r.enabled && byId.has(r.projectId));
  for (const rule of rules) {
    const settings = byId.get(rule.projectId)!;
    const to = rule.match.recipient || settings.address;
    if (!recipients.has(to)) continue;
    if (rule.match.senderDomain && !senderInDomain(mail.sender, rule.match.senderDomain)) continue;
    let pattern: RegExp | undefined;
    try {
      pattern = compileSubjectPattern(rule.match.subject);
    } catch {
      continue; // validated on save; a pattern broken since (engine change) matches nothing
    }
    if (pattern && !pattern.test(mail.subject)) continue;
    return { projectId: rule.projectId, settings, rule, recordType: rule.recordType, defaults: rule.defaults, acknowledge: rule.acknowledge };
  }
  const project = projects.find((p) => recipients.has(p.settings.address));
  if (!project) return undefined;
  return { projectId: project.projectId, settings: project.settings, recordType: 'defect', defaults: {}, acknowledge: true };
}

/** Whether the sender may create a record under these settings; the reason when not. */
export function mayCreate(settings: ImportSettings, sender: string, senderIsUser: boolean): { ok: true } | { ok: false; why: string } {
  switch (settings.whoMayCreate) {
    case 'anyone':
      return { ok: true };
    case 'known_users':
      return senderIsUser ? { ok: true } : { ok: false, why: `${sender} is not the address of any user` };
    case 'domains':
      return settings.allowedDomains.some((d) => senderInDomain(sender, d))
        ? { ok: true }
        : { ok: false, why: `${domainOf(sender)} is not one of the allowed sender domains` };
    case 'nobody':
      return { ok: false, why: 'this project creates no records from email; create one by hand' };
  }
}
