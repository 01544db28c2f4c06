import type { Caller } from '../core/context.js';
import type { Executor } from '../store/db.js';
import { findUserById } from '../store/users.repository.js';
import { findProjectByKey, memberCommands } from '../store/projects.repository.js';
import { DEMO_CUSTOMER, DEMO_PROJECT } from './demoData.js';

/**
 * Made-up outsiders whose mailboxes the members of one project share in the sandbox: someone
 * to send tracked email to and reply as. Bound to a project so that playing the customer does
 * not become a way into another project's mail (finding 4 of issue 13).
 */
export interface SandboxCustomers {
  projectKey: string;
  addresses: readonly string[];
}

export const DEMO_SANDBOX_CUSTOMERS: readonly SandboxCustomers[] = [{ projectKey: DEMO_PROJECT.key, addresses: [DEMO_CUSTOMER.address] }];

/** Which sandbox mailboxes a caller may read and send as: every one, or these lower-cased addresses. */
export type SandboxReach = { all: true } | { all: false; addresses: ReadonlySet<string> };

/**
 * The server administrator reaches every mailbox. Anyone else reaches their own address and
 * the customer addresses of the projects they are a member of, nothing more: a mailbox holds
 * the tracked email of whichever project wrote to it, with its cookie.
 */
export async function sandboxReach(db: Executor, caller: Caller, customers: readonly SandboxCustomers[]): Promise<SandboxReach> {
  if (caller.isAdmin) return { all: true };
  const addresses = new Set<string>();
  const user = await findUserById(db, caller.userId);
  if (user?.email) addresses.add(user.email.trim().toLowerCase());
  for (const group of customers) {
    const project = await findProjectByKey(db, group.projectKey);
    if (project && (await memberCommands(db, project.id, caller.userId)) !== undefined) {
      for (const address of group.addresses) addresses.add(address.toLowerCase());
    }
  }
  return { all: false, addresses };
}

export function reaches(reach: SandboxReach, address: string): boolean {
  return reach.all || reach.addresses.has(address.toLowerCase());
}
