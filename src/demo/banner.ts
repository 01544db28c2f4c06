import type { Config } from '../config.js';
import { SANDBOX_HOST } from '../sandbox/index.js';
import { DEMO_ADMIN_EMAIL, DEMO_CUSTOMER, DEMO_PASSWORD, DEMO_POLL_SECONDS, DEMO_PROJECT, DEMO_TRACKING_ADDRESS, DEMO_USERS } from './demoData.js';

/**
 * What `npm start` prints in demo mode: where to go, who to sign in as, where the mail goes.
 * Never the admin password itself: it is printed once at creation, or the operator chose it.
 */
export function demoBanner(config: Config, actual: { url?: string; smtpPort?: number; pop3Port?: number } = {}): string {
  const url = (actual.url ?? `http://${config.host}:${config.port}`).replace('://127.0.0.1', '://localhost');
  const smtp = actual.smtpPort ?? config.sandboxSmtpPort;
  const pop3 = actual.pop3Port ?? config.sandboxPop3Port;
  const adminPassword = config.adminPassword ? 'as in MAILTRAIL_ADMIN_PASSWORD' : 'printed at first start';
  const row = (user: string, password: string, email: string, group: string) =>
    `    ${user.padEnd(8)} ${password.padEnd(31)} ${email.padEnd(18)} ${group}`;
  const rows = [
    row('user', 'password', 'email', 'security group'),
    row('admin', adminPassword, DEMO_ADMIN_EMAIL, 'server administrator'),
    ...DEMO_USERS.map((u) => row(u.username, DEMO_PASSWORD, u.email, `${u.group} (${u.role})`)),
  ];
  return [
    '',
    `  Demo mode: project ${DEMO_PROJECT.key} "${DEMO_PROJECT.name}", email through the built-in mail sandbox.`,
    `  Open ${url} and sign in as one of`,
    ...rows,
    `  Mail sandbox: ${url}/sandbox  (SMTP ${SANDBOX_HOST}:${smtp}, POP3 ${SANDBOX_HOST}:${pop3}, any POP3 password)`,
    `    Send a tracked email to ${DEMO_CUSTOMER.address}, reply to it in the sandbox (members of ${DEMO_PROJECT.key} see that mailbox and their own; admin sees all):`,
    `    the reply reaches ${DEMO_TRACKING_ADDRESS}, is picked up within ${DEMO_POLL_SECONDS} s and lands in the record.`,
    `  (Demo data is created only on an empty database; MAILTRAIL_DEMO=0 turns demo mode off.)`,
    '',
  ].join('\n');
}
