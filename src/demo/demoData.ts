import type { RecordType } from '../domain/commands.js';
import type { FieldKind, FieldValue, Priority, Severity } from '../domain/fields.js';

/** Everything the demo creates, as data: the seed reads it, the banner and the tests too. */

export const DEMO_DOMAIN = 'demo.test';
export const DEMO_PASSWORD = 'demo-password';
export const DEMO_PROJECT = { key: 'DEMO', name: 'Demo project' } as const;
export const DEMO_ADMIN_EMAIL = `admin@${DEMO_DOMAIN}`;
export const DEMO_TRACKING_ADDRESS = `tracking@${DEMO_DOMAIN}`;
export const DEMO_NOTIFICATION_ACCOUNT = { name: 'Demo notifications', address: `notifications@${DEMO_DOMAIN}` } as const;
/** An outsider with no account: someone to send tracked email to and reply as, in the sandbox. */
export const DEMO_CUSTOMER = { name: 'Casey Customer', address: `customer@${DEMO_DOMAIN}` } as const;
/** Short, so a reply typed in the sandbox shows up in its record within seconds. */
export const DEMO_POLL_SECONDS = 3;

export const QA_GROUP = {
  name: 'QA',
  commands: [
    ...['testCases', 'testRuns'].flatMap((c) =>
      ['view', 'add', 'edit', 'sendTrackedEmail', 'replyTrackedEmail', 'viewTrackedEmail', 'deleteTrackedEmail'].map((cmd) => `${c}.${cmd}`),
    ),
    'defects.view',
    'defects.viewTrackedEmail',
  ],
};

export interface DemoUser {
  username: string;
  fullName: string;
  email: string;
  group: string;
  role: string;
}

export const DEMO_USERS: readonly DemoUser[] = [
  { username: 'dana', fullName: 'Dana Reyes', email: `dana@${DEMO_DOMAIN}`, group: 'Developers', role: 'developer' },
  { username: 'quinn', fullName: 'Quinn Maddox', email: `quinn@${DEMO_DOMAIN}`, group: QA_GROUP.name, role: 'QA engineer' },
  { username: 'viewer', fullName: 'Vera Lind', email: `viewer@${DEMO_DOMAIN}`, group: 'Viewers', role: 'product owner, read-only' },
];

/** Custom fields of the demo project (Project settings → Custom fields); keys come from the labels. */
export const DEMO_FIELDS: readonly { recordType: RecordType; label: string; kind: FieldKind; options?: string[] }[] = [
  { recordType: 'defect', label: 'Customer', kind: 'text' },
  { recordType: 'defect', label: 'Browser', kind: 'choice', options: ['Chrome', 'Firefox', 'Safari', 'Edge'] },
  { recordType: 'defect', label: 'Platforms', kind: 'multiChoice', options: ['Windows', 'macOS', 'iOS', 'Android', 'Linux'] },
  { recordType: 'requirement', label: 'Release', kind: 'choice', options: ['2.4', '2.5', 'Later'] },
];

export interface DemoRecord {
  type: RecordType;
  title: string;
  description: string;
  creator: string;
  assignee?: string;
  /** Status at creation. */
  status?: string;
  priority?: Priority;
  severity?: Severity;
  /** Values of DEMO_FIELDS, by key. */
  fields?: Record<string, FieldValue>;
  /** Later edits, so history has something to show. */
  then?: { by: string; status?: string; assignee?: string | null }[];
}

export const DEMO_RECORDS: readonly DemoRecord[] = [
  {
    type: 'requirementDocument',
    title: 'Customer portal 2.4: requirements',
    creator: 'admin',
    status: 'In review',
    description: [
      'Scope of the 2.4 release of the customer portal.',
      '',
      '1. Exports: customers download their invoices and orders as CSV.',
      '2. Sign-in: single sign-on for business accounts (SAML 2.0).',
      '3. Audit: every permission change is logged and kept for two years.',
      '',
      'Out of scope: mobile apps, payment provider changes.',
    ].join('\n'),
  },
  {
    type: 'requirement',
    title: 'Export the order list as CSV with the visible columns',
    creator: 'admin',
    assignee: 'dana',
    status: 'In progress',
    priority: 'high',
    fields: { release: '2.4' },
    description:
      'As a customer I want to download my order list as CSV, with the columns I see on screen and in the same order, ' +
      'so that I can reconcile orders in my spreadsheet.\n\nAcceptance: UTF-8 with BOM (Excel), RFC 4180 quoting, dates as YYYY-MM-DD.',
  },
  {
    type: 'requirement',
    title: 'Single sign-on with the customer\'s SAML identity provider',
    creator: 'admin',
    priority: 'normal',
    fields: { release: '2.5' },
    description: 'Business accounts sign in through their own identity provider (Azure AD, Okta, Google Workspace). Local passwords stay available for small customers.',
  },
  {
    type: 'requirement',
    title: 'Audit log of every permission change, kept for two years',
    creator: 'admin',
    assignee: 'dana',
    status: 'Verified',
    fields: { release: '2.4' },
    description: 'Who changed which role of whom, when, from which IP address. Read-only for everybody, exportable by administrators.',
  },
  {
    type: 'defect',
    title: 'CSV export drops the last row when the list ends on a page boundary',
    creator: 'dana',
    assignee: 'dana',
    priority: 'high',
    severity: 'major',
    fields: { customer: 'Northwind Traders', browser: 'Firefox', platforms: ['Windows', 'macOS'] },
    description: [
      'Steps:',
      '1. Sign in as a customer with exactly 50 orders.',
      '2. Orders → Export → CSV.',
      '',
      'Expected: 50 rows plus the header. Actual: 49 rows; order #50 is missing.',
      'Happens for 25, 50, 100… orders: the pager\'s last page is skipped when it is empty.',
    ].join('\n'),
    then: [{ by: 'dana', status: 'In progress' }],
  },
  {
    type: 'defect',
    title: 'Due dates shift by one day for users west of UTC',
    creator: 'admin',
    assignee: 'dana',
    priority: 'normal',
    severity: 'minor',
    fields: { customer: 'Contoso (New York)', platforms: ['Windows'] },
    description: 'A due date of 12 March entered in New York is shown as 11 March. The date picker sends local midnight, the server stores it as UTC.',
    then: [{ by: 'dana', status: 'Fixed' }],
  },
  {
    type: 'defect',
    title: 'Password reset links expire after 10 minutes instead of 24 hours',
    creator: 'admin',
    assignee: 'dana',
    status: 'Closed',
    priority: 'urgent',
    severity: 'critical',
    description: 'Customers complain that the reset link has expired by the time the email arrives through their company\'s mail filter.',
  },
  {
    type: 'defect',
    title: 'Search results flicker while typing quickly',
    creator: 'dana',
    priority: 'low',
    severity: 'trivial',
    fields: { browser: 'Chrome', platforms: ['Android'] },
    description: 'Each keystroke starts a request, and answers arriving out of order replace newer results with older ones.',
  },
  {
    type: 'testCase',
    title: 'Export 50 orders as CSV and compare with the screen',
    creator: 'quinn',
    assignee: 'quinn',
    status: 'Ready',
    description: 'Precondition: a customer account with exactly 50 orders, some with umlauts in the delivery address (Müller, Köln). The steps are below.',
  },
  {
    type: 'testCase',
    title: 'Reset the password from the sign-in page',
    creator: 'quinn',
    assignee: 'quinn',
    status: 'Ready',
    description: 'Precondition: a customer account whose mail goes through a company mail filter (delivery takes up to 20 minutes).',
  },
  {
    type: 'testCase',
    title: 'Sign in with a business account through SAML',
    creator: 'quinn',
    status: 'Draft',
    description: 'Blocked until the SAML requirement is designed.',
  },
  {
    type: 'testRun',
    title: 'Regression 2.3.1 — Chrome on Windows 11',
    creator: 'quinn',
    assignee: 'quinn',
    status: 'Passed',
    description: '42 test cases: 42 passed.',
  },
  {
    type: 'testRun',
    title: 'Smoke test 2.4 beta — Firefox on macOS',
    creator: 'quinn',
    assignee: 'quinn',
    status: 'In progress',
    description: '12 of 20 test cases run; CSV export failed (see the CSV export defect).',
  },
];

/** Links between the demo records, by tag: the defect blocks the requirement its test case tests. */
export const DEMO_LINKS: readonly { from: string; kind: 'relates' | 'blocks' | 'tests' | 'createdFrom' | 'blockedBy'; to: string; by: string }[] = [
  { from: 'DEMO-D1', kind: 'blocks', to: 'DEMO-R1', by: 'dana' },
  { from: 'DEMO-D1', kind: 'createdFrom', to: 'DEMO-TR2', by: 'quinn' },
  { from: 'DEMO-TC1', kind: 'tests', to: 'DEMO-R1', by: 'quinn' },
  { from: 'DEMO-TC3', kind: 'blockedBy', to: 'DEMO-R2', by: 'quinn' },
  { from: 'DEMO-R1', kind: 'relates', to: 'DEMO-RD1', by: 'admin' },
];

/** Internal notes on demo records (Markdown, @mentions). */
export const DEMO_COMMENTS: readonly { on: string; by: string; body: string }[] = [
  {
    on: 'DEMO-D1',
    by: 'dana',
    body: 'Reproduced with 25 and 100 orders too: the pager skips its **last page** when it is exactly full.\n\nThe fix is in `OrderExport.pageCount()`. @quinn can you rerun DEMO-TC1 once it is deployed?',
  },
  { on: 'DEMO-D1', by: 'quinn', body: 'Will do. I will also add a case with:\n- exactly one full page\n- an empty order list' },
];

/** Files on demo records: a log excerpt, as a person would attach it. */
export const DEMO_FILES: readonly { on: string; by: string; filename: string; contentType: string; text: string }[] = [
  {
    on: 'DEMO-D1',
    by: 'dana',
    filename: 'export-50-orders.log',
    contentType: 'text/plain',
    text: ['2026-11-30T09:12:01Z export start customer=4711 orders=50 pageSize=25', '2026-11-30T09:12:01Z page 1 rows=25', '2026-11-30T09:12:01Z page 2 rows=25', '2026-11-30T09:12:01Z page 3 skipped (empty)', '2026-11-30T09:12:02Z export done rows=49  <-- expected 50', ''].join('\n'),
  },
];

/** Steps of the demo test cases: what the tester does, what should happen. */
export const DEMO_STEPS: readonly { on: string; by: string; steps: readonly (readonly [action: string, expected: string])[] }[] = [
  {
    on: 'DEMO-TC1',
    by: 'quinn',
    steps: [
      ['Sign in as the customer and open Orders.', 'The list shows 50 orders on two pages.'],
      ['Choose Export → CSV and open the file in a spreadsheet.', '50 data rows and a header row.'],
      ['Compare the columns and a delivery address with umlauts to the screen.', 'The visible columns in screen order; "Müller, Köln" intact.'],
    ],
  },
  {
    on: 'DEMO-TC2',
    by: 'quinn',
    steps: [
      ['On the sign-in page choose "Forgot password" and enter the account\'s address.', 'An email with a reset link arrives.'],
      ['Open the link 30 minutes after it was sent.', 'The "Choose a new password" form opens.'],
      ['Set a new password, then open the same link again.', 'Signed in with the new password; the link now says it was used.'],
    ],
  },
];

/** A run of a demo test case, with the tester's result for each step (DEMO-TR3: it found DEMO-D1). */
export const DEMO_RUNS: readonly { of: string; by: string; title: string; results: readonly { result: 'passed' | 'failed' | 'blocked'; actual?: string }[] }[] = [
  {
    of: 'DEMO-TC1',
    by: 'quinn',
    title: 'Export 50 orders as CSV — 2.4 beta, Firefox on macOS',
    results: [
      { result: 'passed' },
      { result: 'failed', actual: '49 data rows: order #50 (the last one of page 2) is missing. See DEMO-D1.' },
      { result: 'passed', actual: 'Columns and umlauts as on screen.' },
    ],
  },
];

/** What each requirement document holds, in order. */
export const DEMO_DOC_ITEMS: readonly { doc: string; by: string; requirements: readonly string[] }[] = [{ doc: 'DEMO-RD1', by: 'admin', requirements: ['DEMO-R1', 'DEMO-R2', 'DEMO-R3'] }];
