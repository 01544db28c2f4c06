import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { clock } from '../clock.js';
import { ALL_COMMANDS } from '../domain/commands.js';
import { saveTrackingSettings, publicTrackingSettings } from '../inbound/index.js';
import { publicSendingSettings, saveSendingSettings } from '../outbound/index.js';
import { MailboxStore } from '../sandbox/index.js';
import type { AppContext } from '../core/context.js';
import { createGroup, createProject, setMember, updateEmailOptions, type ProjectContext } from '../projects/index.js';
import { createRecord, updateRecord } from '../records/index.js';
import { addComment } from '../comments/index.js';
import { addFile } from '../files/index.js';
import { addLink } from '../links/index.js';
import { addItem } from '../reqdocs/index.js';
import { addStep, createRun, recordStep } from '../testing/index.js';
import { createUser, updateUserProfile, ADMIN_USERNAME } from '../users/index.js';
import type { Db } from '../store/db.js';
import { findProjectByKey, listProjects } from '../store/projects.repository.js';
import { getSetting, putSetting } from '../store/settings.repository.js';
import { countUsers, findUserByUsername } from '../store/users.repository.js';
import { createRule } from '../rules/index.js';
import { createField } from '../tracker/index.js';
import { ensureStandardTemplates } from '../templates/index.js';
import {
  DEMO_ADMIN_EMAIL,
  DEMO_CUSTOMER,
  DEMO_NOTIFICATION_ACCOUNT,
  DEMO_PASSWORD,
  DEMO_POLL_SECONDS,
  DEMO_PROJECT,
  DEMO_COMMENTS,
  DEMO_FIELDS,
  DEMO_FILES,
  DEMO_DOC_ITEMS,
  DEMO_RUNS,
  DEMO_STEPS,
  DEMO_LINKS,
  DEMO_RECORDS,
  DEMO_TRACKING_ADDRESS,
  DEMO_USERS,
  QA_GROUP,
} from './demoData.js';

/** Where the seed last pointed email at the sandbox; lets a later start follow changed ports. */
const SANDBOX_PORTS_KEY = 'demo.sandboxPorts';
const SANDBOX_HOST = '127.0.0.1';

interface SandboxPorts {
  smtpPort: number;
  pop3Port: number;
}

export type SeedResult = 'seeded' | 'not_empty';

/**
 * Empty means nothing anybody made: no project and no user besides the built-in admin. A
 * database someone has started to use is never touched, even when it has no project yet.
 */
async function isEmpty(db: Db): Promise<boolean> {
  return (await listProjects(db)).length === 0 && (await countUsers(db)) <= 1;
}

async function pointEmailAtSandbox(ctx: AppContext, ports: SandboxPorts): Promise<void> {
  const db = ctx.store.db;
  await saveSendingSettings(db, ctx.config.secret, { host: SANDBOX_HOST, port: ports.smtpPort, security: 'none' });
  await saveTrackingSettings(db, ctx.config.secret, {
    protocol: 'pop3',
    host: SANDBOX_HOST,
    port: ports.pop3Port,
    security: 'none',
    username: DEMO_TRACKING_ADDRESS,
    // The sandbox takes any password; a non-empty one keeps POP3 clients from refusing to send PASS.
    password: DEMO_PASSWORD,
    address: DEMO_TRACKING_ADDRESS,
    pollSeconds: DEMO_POLL_SECONDS,
    deleteUntracked: false,
  });
  await putSetting(db, SANDBOX_PORTS_KEY, ports);
}

function welcomeMessage(to: { name: string; address: string }): Promise<Buffer> {
  const text = [
    `Hello ${to.name.split(' ')[0]},`,
    '',
    'this is the Mailtrail mail sandbox: every email Mailtrail sends in demo mode lands here,',
    'in the mailbox of its recipient, and you can answer it as that person.',
    '',
    'Try the whole loop:',
    `1. Open a defect in the project ${DEMO_PROJECT.key} and send a tracked email to ${DEMO_CUSTOMER.address}.`,
    `2. Open the sandbox, pick the mailbox ${DEMO_CUSTOMER.address} and reply to the email.`,
    `3. Within a few seconds the reply is attached to the defect and forwarded to you.`,
    '',
    'The Mailtrail demo',
  ].join('\n');
  const composer = new MailComposer({
    from: DEMO_NOTIFICATION_ACCOUNT,
    to,
    subject: 'Welcome to the Mailtrail demo',
    text,
    date: clock().now(),
    messageId: `<welcome.${to.address.replace(/@.*/, '')}@${DEMO_TRACKING_ADDRESS.split('@')[1]}>`,
  });
  return new Promise((resolve, reject) => composer.compile().build((err, message) => (err ? reject(err) : resolve(message))));
}

/**
 * Demo mode on an empty database: the DEMO project, demo users in different security groups,
 * records of every type, and server options that send and track through the mail sandbox.
 * Returns 'not_empty' (and changes nothing) on any database already in use.
 */
export async function seedDemo(ctx: AppContext): Promise<SeedResult> {
  const db = ctx.store.db;
  if (!(await isEmpty(db))) return 'not_empty';
  try {
    await createProject(db, DEMO_PROJECT);
  } catch (err) {
    // The project key is the claim: a second process starting on the same database lost the race.
    if (await findProjectByKey(db, DEMO_PROJECT.key)) return 'not_empty';
    throw err;
  }
  const project = (await findProjectByKey(db, DEMO_PROJECT.key))!;
  await updateEmailOptions(db, project, { sendingEnabled: true, trackingEnabled: true, notificationAccount: { ...DEMO_NOTIFICATION_ACCOUNT } });
  await createGroup(db, project.id, QA_GROUP);

  await updateUserProfile(db, ADMIN_USERNAME, { email: DEMO_ADMIN_EMAIL });
  await setMember(db, project.id, ADMIN_USERNAME, 'Administrators');
  const userIds = new Map<string, string>();
  userIds.set(ADMIN_USERNAME, (await findUserByUsername(db, ADMIN_USERNAME))!.id);
  for (const u of DEMO_USERS) {
    const created = await createUser(db, { username: u.username, fullName: u.fullName, email: u.email, password: DEMO_PASSWORD });
    await setMember(db, project.id, u.username, u.group);
    userIds.set(u.username, created.id);
  }

  // Records are written as their creator, with every command: the seed is not a permission test.
  const as = (username: string): ProjectContext => ({
    project,
    access: { userId: userIds.get(username)!, isAdmin: false, commands: new Set(ALL_COMMANDS) },
  });
  for (const f of DEMO_FIELDS) await createField(db, as(ADMIN_USERNAME), f);
  const byTag = new Map<string, string>();
  for (const r of DEMO_RECORDS) {
    const record = await createRecord(db, as(r.creator), {
      type: r.type,
      title: r.title,
      description: r.description,
      ...(r.status ? { status: r.status } : {}),
      ...(r.assignee ? { assignee: r.assignee } : {}),
      ...(r.priority ? { priority: r.priority } : {}),
      ...(r.severity ? { severity: r.severity } : {}),
      ...(r.fields ? { fields: r.fields } : {}),
    });
    for (const step of r.then ?? []) {
      const { by, ...change } = step;
      await updateRecord(db, as(by), record.id, change);
    }
    byTag.set(record.tag, record.id);
  }
  // Links, notes and a file, so the record page shows what a team's record looks like.
  for (const l of DEMO_LINKS) await addLink(db, as(l.by), byTag.get(l.from)!, { kind: l.kind, target: l.to });
  for (const c of DEMO_COMMENTS) await addComment(db, as(c.by), byTag.get(c.on)!, c.body);
  for (const f of DEMO_FILES) await addFile(db, ctx.blobs, as(f.by), byTag.get(f.on)!, { filename: f.filename, contentType: f.contentType, bytes: Buffer.from(f.text) });
  // Steps on the test cases, a run of one of them step by step, the requirements of the document.
  for (const tc of DEMO_STEPS) for (const [action, expected] of tc.steps) await addStep(db, as(tc.by), byTag.get(tc.on)!, { action, expected });
  for (const r of DEMO_RUNS) {
    const { run } = await createRun(db, as(r.by), byTag.get(r.of)!, { title: r.title });
    for (const [i, step] of r.results.entries()) await recordStep(db, as(r.by), run.id, run.steps[i]!.id, step);
  }
  for (const d of DEMO_DOC_ITEMS) for (const req of d.requirements) await addItem(db, as(d.by), byTag.get(d.doc)!, { requirement: req });

  await ensureStandardTemplates(db, project.id);
  // Added after the records, so seeding mails nobody; from now on an assignment mails the assignee.
  await createRule(db, project.id, {
    name: 'Tell the assignee',
    event: 'record.assigned',
    recordTypes: [],
    recipients: ['assignee'],
    template: 'Record assigned',
    tracked: true,
  });
  await pointEmailAtSandbox(ctx, { smtpPort: ctx.config.sandboxSmtpPort, pop3Port: ctx.config.sandboxPop3Port });

  const mailboxes = new MailboxStore({ dataDir: ctx.config.dataDir });
  for (const u of DEMO_USERS) {
    await mailboxes.deliver(u.email, await welcomeMessage({ name: u.fullName, address: u.email }));
  }
  ctx.log.info({ project: DEMO_PROJECT.key, users: DEMO_USERS.map((u) => u.username), records: DEMO_RECORDS.length }, 'demo data created');
  return 'seeded';
}

/**
 * A later start with other sandbox ports (MAILTRAIL_SANDBOX_*_PORT changed because 2525 was
 * taken, say) moves the server options along — but only while they still point where the
 * seed put them: an admin's own settings are never overwritten.
 */
export async function followSandboxPorts(ctx: AppContext): Promise<boolean> {
  const db = ctx.store.db;
  const seeded = await getSetting<SandboxPorts>(db, SANDBOX_PORTS_KEY);
  const wanted = { smtpPort: ctx.config.sandboxSmtpPort, pop3Port: ctx.config.sandboxPop3Port };
  // Port 0 means "any free port" (tests); there is nothing stable to point at.
  if (!seeded || wanted.smtpPort === 0 || wanted.pop3Port === 0) return false;
  if (seeded.smtpPort === wanted.smtpPort && seeded.pop3Port === wanted.pop3Port) return false;

  const sending = await publicSendingSettings(db);
  if (sending.host === SANDBOX_HOST && sending.port === seeded.smtpPort) {
    await saveSendingSettings(db, ctx.config.secret, { host: SANDBOX_HOST, port: wanted.smtpPort, security: sending.security });
  }
  const tracking = await publicTrackingSettings(db);
  if (tracking.host === SANDBOX_HOST && tracking.port === seeded.pop3Port) {
    const { passwordSet: _p, configured: _c, ...fields } = tracking;
    // The password goes along explicitly: a stored one never follows a new port by itself
    // (src/domain/credentials.ts); this is the one the seed stored, for the sandbox.
    await saveTrackingSettings(db, ctx.config.secret, { ...fields, port: wanted.pop3Port, password: DEMO_PASSWORD });
  }
  await putSetting(db, SANDBOX_PORTS_KEY, wanted);
  ctx.log.info({ from: seeded, to: wanted }, 'demo email settings follow the new sandbox ports');
  return true;
}
