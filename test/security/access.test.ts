/**
 * Access control over the whole API, table-driven. The route list comes from GET
 * /api/openapi.json of a server running every module (allModules), and every route in it must
 * be classified in ROUTES below — a new route fails this test until someone decides who may
 * call it. For each route:
 *   - without credentials → 401 (except the public sign-in routes and the health check);
 *   - admin routes as a plain signed-in user → 403 admin_only;
 *   - project routes as a signed-in user who is not a member → 404 (the project or email is
 *     hidden, so keys and ids cannot be probed), with a valid body so the 404 is the
 *     membership check and not input validation;
 *   - project routes as a member whose group holds every command except the one(s) the route
 *     needs → 403 missing_command; with the command(s) → allowed.
 *
 * Run: node --import tsx --test test/security/access.test.ts
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ALL_COMMANDS } from '../../src/domain/commands.js';
import { allModules } from '../../src/modules.js';
import { createTrackingModule } from '../../src/inbound/index.js';
import type { Module } from '../../src/core/module.js';
import { DEFAULT_WORKFLOWS } from '../../src/domain/workflow.js';
import { ApiClient, startTestApp, testConfig, type TestApp } from '../support/app.js';
import { STORE_KINDS } from '../support/stores.js';

type Access = 'public' | 'user' | 'admin' | 'project';

interface Fixture {
  h: TestApp;
  key: string;
  recordId: string;
  emailId: string;
  attachmentId: string;
  groupId: string;
  ruleId: string;
  template: string;
  member: string;
  seq(): number;
}

interface RouteCase {
  access: Access;
  /** Project routes: the caller must hold one of these; absent = any member. */
  needs?: string[];
  /** Commands the allowed caller also needs on the way (e.g. viewing the record an email hangs on). */
  also?: string[];
  /** A concrete URL; may create a throwaway target (DELETE routes), so each call gets its own. */
  url?: (f: Fixture) => Promise<string> | string;
  body?: (f: Fixture) => unknown;
  /** Past its command, the route also needs the caller to own the target (their own comment, their draft): this refusal code (403, or 404 for what others may not even see) is the expected answer then. */
  ownerOnly?: string;
}

let linkTarget = '';

/** A comment on the fixture record, written by the admin. */
async function newComment(f: Fixture): Promise<string> {
  const res = await f.h.admin.post(`/api/v1/projects/${f.key}/records/${f.recordId}/comments`, { body: `Probe ${f.seq()}` });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.id as string;
}

/** A draft of the admin's on the fixture record. */
async function newDraft(f: Fixture): Promise<string> {
  const res = await f.h.admin.post(`/api/v1/projects/${f.key}/records/${f.recordId}/drafts`, { to: ['customer@example.test'], text: `Draft ${f.seq()}` });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.id as string;
}

/** A file on the fixture record, uploaded by the admin. */
async function newFile(f: Fixture): Promise<string> {
  const res = await f.h.admin.post(`/api/v1/projects/${f.key}/records/${f.recordId}/files?filename=probe-${f.seq()}.txt`, { text: 'probe' });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.id as string;
}

/** A test case with two steps, made by the admin. */
async function newTestCase(f: Fixture): Promise<{ id: string; steps: string[] }> {
  const tc = await f.h.admin.post(`/api/v1/projects/${f.key}/records`, { type: 'testCase', title: `Probe case ${f.seq()}` });
  assert.equal(tc.status, 201, JSON.stringify(tc.body));
  const steps: string[] = [];
  for (const action of ['Do this', 'Then that']) steps.push((await f.h.admin.post(`/api/v1/projects/${f.key}/records/${tc.body.id}/steps`, { action, expected: 'It works' })).body.id as string);
  return { id: tc.body.id as string, steps };
}

/** A test run made from a fresh test case by the admin: its id and its steps. */
async function newTestRun(f: Fixture): Promise<{ id: string; steps: string[] }> {
  const tc = await newTestCase(f);
  const run = await f.h.admin.post(`/api/v1/projects/${f.key}/records/${tc.id}/test-runs`, {});
  assert.equal(run.status, 201, JSON.stringify(run.body));
  return { id: run.body.record.id as string, steps: (run.body.run.steps as { id: string }[]).map((s) => s.id) };
}

/** A requirement document holding two requirements: its id and its item ids. */
async function newReqDoc(f: Fixture): Promise<{ id: string; items: string[] }> {
  const doc = await f.h.admin.post(`/api/v1/projects/${f.key}/records`, { type: 'requirementDocument', title: `Probe doc ${f.seq()}` });
  const items: string[] = [];
  for (let i = 0; i < 2; i++) {
    const req = await f.h.admin.post(`/api/v1/projects/${f.key}/records`, { type: 'requirement', title: `Probe requirement ${f.seq()}` });
    items.push((await f.h.admin.post(`/api/v1/projects/${f.key}/records/${doc.body.id}/requirements`, { requirement: req.body.id })).body.id as string);
  }
  return { id: doc.body.id as string, items };
}

/** What the last url() made, for the body() that follows it (an order of its steps or items). */
let made: { id: string; steps?: string[]; items?: string[] } = { id: '' };

const TEMPLATE_READERS = ['project.administer', ...ALL_COMMANDS.filter((c) => /\.(sendTrackedEmail|replyTrackedEmail)$/.test(c))];
const ADMINISTER = ['project.administer'];

/** A tracked email on the fixture record, sent by the admin (queued; no SMTP needed). */
async function newEmail(f: Fixture): Promise<string> {
  const res = await f.h.admin.post(`/api/v1/projects/${f.key}/records/${f.recordId}/emails`, { to: ['someone@example.test'], text: 'probe' });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return res.body.id as string;
}

/** A throwaway custom field made by the admin, for the routes that change or remove one. */
async function newField(f: Fixture): Promise<string> {
  const res = await f.h.admin.post(`/api/v1/projects/${f.key}/fields`, { recordType: 'defect', label: `Field ${f.seq()}`, kind: 'text' });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.id as string;
}

const sandboxBody = { from: 'a@example.test', to: ['b@example.test'], subject: 's', text: 't' };

/**
 * Every route of the API and who may call it. Keys are "METHOD openapi-path". Adding a route to
 * the server without adding it here fails the "every route is classified" test.
 */
const ROUTES: Record<string, RouteCase> = {
  'GET /api/health': { access: 'public' },
  'GET /api/ready': { access: 'public' },
  'POST /api/v1/auth/token': { access: 'public', body: () => ({ username: 'nobody', password: 'wrong' }) },
  'POST /api/v1/auth/session': { access: 'public', body: () => ({ username: 'nobody', password: 'wrong' }) },
  'DELETE /api/v1/auth/session': { access: 'user' },
  'GET /api/v1/me': { access: 'user' },
  'GET /api/v1/me/sessions': { access: 'user' },
  'DELETE /api/v1/me/sessions/{id}': { access: 'user', url: () => '/api/v1/me/sessions/0000000000000000' },
  'DELETE /api/v1/me/sessions': { access: 'user' },
  'POST /api/v1/me/tokens': { access: 'user', body: () => ({ name: 'probe' }) },
  // A wrong current password (400): the route must not end the caller's own sessions mid-test.
  'POST /api/v1/me/password': { access: 'user', body: () => ({ currentPassword: 'not-the-password', newPassword: 'whatever-123' }) },
  'GET /api/v1/projects': { access: 'user' },

  'POST /api/v1/users': { access: 'admin', body: (f) => ({ username: `u${f.seq()}`, fullName: 'U', email: `u${f.seq()}@example.test`, password: 'pw-123456' }) },
  'GET /api/v1/users': { access: 'admin' },
  'GET /api/v1/users/{username}': { access: 'admin', url: (f) => `/api/v1/users/${f.member}` },
  'PATCH /api/v1/users/{username}': { access: 'admin', url: (f) => `/api/v1/users/${f.member}`, body: () => ({ fullName: 'Member Renamed' }) },
  'POST /api/v1/projects': { access: 'admin', body: (f) => ({ key: `P${f.seq()}`, name: 'Probe' }) },

  'GET /api/v1/sandbox': { access: 'admin' },
  'GET /api/v1/sandbox/mailboxes': { access: 'admin' },
  'GET /api/v1/sandbox/mailboxes/{address}/messages': { access: 'admin' },
  'GET /api/v1/sandbox/mailboxes/{address}/messages/{id}': { access: 'admin' },
  'DELETE /api/v1/sandbox/mailboxes/{address}/messages/{id}': { access: 'admin' },
  'GET /api/v1/sandbox/mailboxes/{address}/messages/{id}/raw': { access: 'admin' },
  'GET /api/v1/sandbox/mailboxes/{address}/messages/{id}/attachments/{index}': { access: 'admin' },
  'POST /api/v1/sandbox/mailboxes/{address}/messages/{id}/reply': { access: 'admin', body: () => ({ text: 'hi' }) },
  'POST /api/v1/sandbox/send': { access: 'admin', body: () => sandboxBody },

  'GET /api/v1/admin/email/sending': { access: 'admin' },
  'PUT /api/v1/admin/email/sending': { access: 'admin', body: () => ({ host: '127.0.0.1', port: 2525, security: 'none' }) },
  'POST /api/v1/admin/email/sending/test': { access: 'admin' },
  'GET /api/v1/admin/email/outbox': { access: 'admin' },
  'GET /api/v1/admin/email/tracking': { access: 'admin' },
  'PUT /api/v1/admin/email/tracking': {
    access: 'admin',
    body: () => ({ protocol: 'pop3', host: '127.0.0.1', port: 1, security: 'none', username: 't', address: 'tracking@example.test', pollSeconds: 3600, deleteUntracked: false }),
  },
  'POST /api/v1/admin/email/tracking/test': { access: 'admin' },
  'GET /api/v1/admin/email/accounts': { access: 'admin' },
  'POST /api/v1/admin/email/accounts': {
    access: 'admin',
    body: (f) => ({ name: `Probe ${f.seq()}`, protocol: 'pop3', host: '127.0.0.1', port: 1, security: 'none', username: `probe${f.seq()}`, address: `probe${f.seq()}@example.test`, pollSeconds: 3600, deleteUntracked: false }),
  },
  'GET /api/v1/admin/email/accounts/{id}': { access: 'admin', url: () => '/api/v1/admin/email/accounts/default' },
  'PUT /api/v1/admin/email/accounts/{id}': {
    access: 'admin',
    url: () => '/api/v1/admin/email/accounts/default',
    body: () => ({ name: 'Default', protocol: 'pop3', host: '127.0.0.1', port: 1, security: 'none', username: 't', address: 'tracking@example.test', pollSeconds: 3600, deleteUntracked: false }),
  },
  // The default account cannot be removed (409): past the access check, nothing lost.
  'DELETE /api/v1/admin/email/accounts/{id}': { access: 'admin', url: () => '/api/v1/admin/email/accounts/default' },
  'POST /api/v1/admin/email/accounts/{id}/test': { access: 'admin', url: () => '/api/v1/admin/email/accounts/default/test' },
  'POST /api/v1/admin/email/accounts/{id}/poll': { access: 'admin', url: () => '/api/v1/admin/email/accounts/default/poll' },
  'POST /api/v1/admin/email/tracking/poll': { access: 'admin' },
  'GET /api/v1/admin/email/oauth/presets': { access: 'admin' },
  'GET /api/v1/admin/email/accounts/{id}/oauth': { access: 'admin', url: () => '/api/v1/admin/email/accounts/default/oauth' },
  // The default account has no OAuth2 settings: connect and refresh answer 4xx past the access check.
  'POST /api/v1/admin/email/accounts/{id}/oauth/connect': { access: 'admin', url: () => '/api/v1/admin/email/accounts/default/oauth/connect' },
  'GET /api/v1/admin/email/oauth/callback': { access: 'admin', url: () => '/api/v1/admin/email/oauth/callback?state=probe&code=probe' },
  'POST /api/v1/admin/email/accounts/{id}/oauth/disconnect': { access: 'admin', url: () => '/api/v1/admin/email/accounts/default/oauth/disconnect' },
  'POST /api/v1/admin/email/accounts/{id}/oauth/refresh': { access: 'admin', url: () => '/api/v1/admin/email/accounts/default/oauth/refresh' },
  'GET /api/v1/admin/email/status': { access: 'admin' },
  'GET /api/v1/admin/inbound': { access: 'admin' },
  'GET /api/v1/admin/inbound/{id}': { access: 'admin' },
  'POST /api/v1/admin/inbound/{id}/attach': { access: 'admin', body: (f) => ({ emailId: f.emailId }) },
  'POST /api/v1/admin/inbound/{id}/dismiss': { access: 'admin' },
  'POST /api/v1/admin/inbound/{id}/reprocess': { access: 'admin' },
  'GET /api/v1/admin/inbound/{id}/raw': { access: 'admin' },
  'GET /api/v1/admin/inbound/{id}/preview': { access: 'admin' },
  'POST /api/v1/admin/inbound/{id}/create-record': { access: 'admin', body: (f) => ({ project: f.key, type: 'defect' }) },

  'GET /api/v1/projects/{key}': { access: 'project' },
  'GET /api/v1/projects/{key}/options/email': { access: 'project' },
  'GET /api/v1/projects/{key}/workflows': { access: 'project' },
  // Any member: the results only hold record types the caller may view.
  'GET /api/v1/projects/{key}/search': { access: 'project', url: (f) => `/api/v1/projects/${f.key}/search?q=totals` },
  'PUT /api/v1/projects/{key}/workflows/{type}': {
    access: 'project',
    needs: ADMINISTER,
    url: (f) => `/api/v1/projects/${f.key}/workflows/testRun`,
    body: () => DEFAULT_WORKFLOWS.testRun,
  },
  'GET /api/v1/projects/{key}/fields': { access: 'project' },
  'POST /api/v1/projects/{key}/fields': { access: 'project', needs: ADMINISTER, body: (f) => ({ recordType: 'defect', label: `Probe field ${f.seq()}`, kind: 'text' }) },
  'PATCH /api/v1/projects/{key}/fields/{id}': {
    access: 'project',
    needs: ADMINISTER,
    url: async (f) => `/api/v1/projects/${f.key}/fields/${await newField(f)}`,
    body: () => ({ label: 'Probe field renamed' }),
  },
  'DELETE /api/v1/projects/{key}/fields/{id}': { access: 'project', needs: ADMINISTER, url: async (f) => `/api/v1/projects/${f.key}/fields/${await newField(f)}` },
  'PUT /api/v1/projects/{key}/options/email': {
    access: 'project',
    needs: ADMINISTER,
    body: () => ({ sendingEnabled: true, trackingEnabled: true, notificationAccount: { name: 'Notifications', address: '' } }),
  },
  'GET /api/v1/projects/{key}/security-groups': { access: 'project', needs: ADMINISTER },
  'POST /api/v1/projects/{key}/security-groups': { access: 'project', needs: ADMINISTER, body: (f) => ({ name: `Group ${f.seq()}`, commands: ['defects.view'] }) },
  'PUT /api/v1/projects/{key}/security-groups/{id}': {
    access: 'project',
    needs: ADMINISTER,
    url: (f) => `/api/v1/projects/${f.key}/security-groups/${f.groupId}`,
    body: () => ({ name: 'Probe group', commands: ['defects.view'] }),
  },
  'DELETE /api/v1/projects/{key}/security-groups/{id}': {
    access: 'project',
    needs: ADMINISTER,
    url: async (f) => {
      const g = await f.h.admin.post(`/api/v1/projects/${f.key}/security-groups`, { name: `Doomed ${f.seq()}`, commands: [] });
      return `/api/v1/projects/${f.key}/security-groups/${g.body.id}`;
    },
  },
  'GET /api/v1/projects/{key}/members': { access: 'project' },
  'PUT /api/v1/projects/{key}/members/{username}': {
    access: 'project',
    needs: ADMINISTER,
    url: (f) => `/api/v1/projects/${f.key}/members/${f.member}`,
    body: () => ({ securityGroup: 'Viewers' }),
  },
  'DELETE /api/v1/projects/{key}/members/{username}': {
    access: 'project',
    needs: ADMINISTER,
    url: async (f) => {
      const name = `doomed${f.seq()}`;
      await f.h.user(name, { project: f.key, group: 'Viewers' });
      return `/api/v1/projects/${f.key}/members/${name}`;
    },
  },
  'POST /api/v1/projects/{key}/records': { access: 'project', needs: ['defects.add'], body: () => ({ type: 'defect', title: 'Probe' }) },
  'GET /api/v1/projects/{key}/records': { access: 'project', needs: ['defects.view'], url: (f) => `/api/v1/projects/${f.key}/records?type=defect` },
  'GET /api/v1/projects/{key}/records/{id}': { access: 'project', needs: ['defects.view'] },
  'PATCH /api/v1/projects/{key}/records/{id}': { access: 'project', needs: ['defects.edit'], also: ['defects.view'], body: () => ({ title: 'Probe renamed' }) },
  'GET /api/v1/projects/{key}/records/{id}/history': { access: 'project', needs: ['defects.view'] },
  'GET /api/v1/projects/{key}/records/{id}/links': { access: 'project', needs: ['defects.view'] },
  'POST /api/v1/projects/{key}/records/{id}/links': {
    access: 'project',
    needs: ['defects.edit'],
    also: ['defects.view'],
    // A fresh record to link to on every call, so no call meets a link an earlier one made.
    url: async (f) => {
      linkTarget = (await f.h.admin.post(`/api/v1/projects/${f.key}/records`, { type: 'defect', title: `Link target ${f.seq()}` })).body.tag as string;
      return `/api/v1/projects/${f.key}/records/${f.recordId}/links`;
    },
    body: () => ({ kind: 'relates', to: linkTarget }),
  },
  'DELETE /api/v1/projects/{key}/records/{id}/links/{linkId}': {
    access: 'project',
    needs: ['defects.edit'],
    also: ['defects.view'],
    url: async (f) => {
      const target = (await f.h.admin.post(`/api/v1/projects/${f.key}/records`, { type: 'defect', title: `Link target ${f.seq()}` })).body.tag as string;
      const link = await f.h.admin.post(`/api/v1/projects/${f.key}/records/${f.recordId}/links`, { kind: 'blocks', to: target });
      return `/api/v1/projects/${f.key}/records/${f.recordId}/links/${link.body.id as string}`;
    },
  },
  'GET /api/v1/projects/{key}/records/{id}/comments': { access: 'project', needs: ['defects.view'] },
  'POST /api/v1/projects/{key}/records/{id}/comments': { access: 'project', needs: ['defects.edit'], also: ['defects.view'], body: () => ({ body: 'Probe note' }) },
  'PATCH /api/v1/projects/{key}/records/{id}/comments/{commentId}': {
    access: 'project',
    needs: ['defects.view'],
    ownerOnly: 'not_your_comment',
    url: async (f) => `/api/v1/projects/${f.key}/records/${f.recordId}/comments/${await newComment(f)}`,
    body: () => ({ body: 'Probe note, changed' }),
  },
  'DELETE /api/v1/projects/{key}/records/{id}/comments/{commentId}': {
    access: 'project',
    needs: ['defects.view'],
    ownerOnly: 'not_your_comment',
    url: async (f) => `/api/v1/projects/${f.key}/records/${f.recordId}/comments/${await newComment(f)}`,
  },
  'GET /api/v1/projects/{key}/records/{id}/watchers': { access: 'project', needs: ['defects.view'] },
  'GET /api/v1/me/notifications': { access: 'user' },
  'GET /api/v1/me/notifications/count': { access: 'user' },
  'POST /api/v1/me/notifications/read': { access: 'user', body: () => ({}) },
  'GET /api/v1/projects/{key}/notification-settings': { access: 'project' },
  'PUT /api/v1/projects/{key}/notification-settings': { access: 'project', body: () => ({ events: { changed: 'app' } }) },
  'GET /api/v1/projects/{key}/my-work': { access: 'project' },
  // {username} is the fixture's member (a Viewer), someone other than the caller: choosing for others.
  'PUT /api/v1/projects/{key}/records/{id}/watchers/{username}': { access: 'project', needs: ['defects.manageWatchers'], also: ['defects.view'] },
  'DELETE /api/v1/projects/{key}/records/{id}/watchers/{username}': { access: 'project', needs: ['defects.manageWatchers'], also: ['defects.view'] },
  'GET /api/v1/projects/{key}/records/{id}/files': { access: 'project', needs: ['defects.view'] },
  // The body is the file itself; the probe's JSON body is stored as a small file.
  'POST /api/v1/projects/{key}/records/{id}/files': {
    access: 'project',
    needs: ['defects.edit'],
    also: ['defects.view'],
    url: (f) => `/api/v1/projects/${f.key}/records/${f.recordId}/files?filename=probe.json`,
    body: () => ({ probe: true }),
  },
  'GET /api/v1/projects/{key}/files/{fileId}': { access: 'project', needs: ['defects.view'], url: async (f) => `/api/v1/projects/${f.key}/files/${await newFile(f)}` },
  'DELETE /api/v1/projects/{key}/files/{fileId}': { access: 'project', needs: ['defects.edit'], also: ['defects.view'], url: async (f) => `/api/v1/projects/${f.key}/files/${await newFile(f)}` },
  'GET /api/v1/projects/{key}/records/{id}/participants': { access: 'project', needs: ['defects.viewTrackedEmail'], also: ['defects.view'] },
  'POST /api/v1/projects/{key}/records/{id}/participants': {
    access: 'project',
    needs: ['defects.edit'],
    also: ['defects.view'],
    body: (f) => ({ address: `p${f.seq()}@partner.test` }),
  },
  'DELETE /api/v1/projects/{key}/records/{id}/participants/{address}': {
    access: 'project',
    needs: ['defects.edit'],
    also: ['defects.view'],
    url: async (f) => {
      const address = `doomed${f.seq()}@partner.test`;
      await f.h.admin.post(`/api/v1/projects/${f.key}/records/${f.recordId}/participants`, { address });
      return `/api/v1/projects/${f.key}/records/${f.recordId}/participants/${address}`;
    },
  },
  // Type-specific content (issue 16 item 3): test case steps, test runs, requirement documents.
  'GET /api/v1/projects/{key}/records/{id}/steps': { access: 'project', needs: ['testCases.view'], url: async (f) => `/api/v1/projects/${f.key}/records/${(await newTestCase(f)).id}/steps` },
  'POST /api/v1/projects/{key}/records/{id}/steps': {
    access: 'project',
    needs: ['testCases.edit'],
    also: ['testCases.view'],
    url: async (f) => `/api/v1/projects/${f.key}/records/${(await newTestCase(f)).id}/steps`,
    body: () => ({ action: 'Probe step', expected: 'Probed' }),
  },
  'PATCH /api/v1/projects/{key}/records/{id}/steps/{stepId}': {
    access: 'project',
    needs: ['testCases.edit'],
    also: ['testCases.view'],
    url: async (f) => {
      const tc = await newTestCase(f);
      return `/api/v1/projects/${f.key}/records/${tc.id}/steps/${tc.steps[0]!}`;
    },
    body: () => ({ expected: 'Probed again' }),
  },
  'DELETE /api/v1/projects/{key}/records/{id}/steps/{stepId}': {
    access: 'project',
    needs: ['testCases.edit'],
    also: ['testCases.view'],
    url: async (f) => {
      const tc = await newTestCase(f);
      return `/api/v1/projects/${f.key}/records/${tc.id}/steps/${tc.steps[0]!}`;
    },
  },
  'PUT /api/v1/projects/{key}/records/{id}/steps/order': {
    access: 'project',
    needs: ['testCases.edit'],
    also: ['testCases.view'],
    url: async (f) => {
      made = await newTestCase(f);
      return `/api/v1/projects/${f.key}/records/${made.id}/steps/order`;
    },
    body: () => ({ order: [...(made.steps ?? [])].reverse() }),
  },
  'POST /api/v1/projects/{key}/records/{id}/test-runs': {
    access: 'project',
    needs: ['testRuns.add'],
    also: ['testCases.view'],
    url: async (f) => `/api/v1/projects/${f.key}/records/${(await newTestCase(f)).id}/test-runs`,
    body: () => ({ assignee: null }),
  },
  'GET /api/v1/projects/{key}/records/{id}/test-runs': { access: 'project', needs: ['testRuns.view'], also: ['testCases.view'], url: async (f) => `/api/v1/projects/${f.key}/records/${(await newTestCase(f)).id}/test-runs` },
  'GET /api/v1/projects/{key}/records/{id}/test-run': { access: 'project', needs: ['testRuns.view'], url: async (f) => `/api/v1/projects/${f.key}/records/${(await newTestRun(f)).id}/test-run` },
  'PATCH /api/v1/projects/{key}/records/{id}/test-run/steps/{stepId}': {
    access: 'project',
    needs: ['testRuns.edit'],
    also: ['testRuns.view'],
    url: async (f) => {
      const run = await newTestRun(f);
      return `/api/v1/projects/${f.key}/records/${run.id}/test-run/steps/${run.steps[0]!}`;
    },
    body: () => ({ result: 'passed' }),
  },
  'PUT /api/v1/projects/{key}/records/{id}/test-run/result': {
    access: 'project',
    needs: ['testRuns.edit'],
    also: ['testRuns.view'],
    url: async (f) => `/api/v1/projects/${f.key}/records/${(await newTestRun(f)).id}/test-run/result`,
    body: () => ({ result: 'blocked', reason: 'Probe' }),
  },
  'GET /api/v1/projects/{key}/records/{id}/requirements': {
    access: 'project',
    needs: ['requirementDocuments.view'],
    also: ['requirements.view'],
    url: async (f) => `/api/v1/projects/${f.key}/records/${(await newReqDoc(f)).id}/requirements`,
  },
  'POST /api/v1/projects/{key}/records/{id}/requirements': {
    access: 'project',
    needs: ['requirementDocuments.edit'],
    also: ['requirementDocuments.view', 'requirements.view'],
    url: async (f) => {
      made = { id: (await f.h.admin.post(`/api/v1/projects/${f.key}/records`, { type: 'requirement', title: `Probe requirement ${f.seq()}` })).body.id as string };
      return `/api/v1/projects/${f.key}/records/${(await newReqDoc(f)).id}/requirements`;
    },
    body: () => ({ requirement: made.id }),
  },
  'DELETE /api/v1/projects/{key}/records/{id}/requirements/{itemId}': {
    access: 'project',
    needs: ['requirementDocuments.edit'],
    also: ['requirementDocuments.view', 'requirements.view'],
    url: async (f) => {
      const doc = await newReqDoc(f);
      return `/api/v1/projects/${f.key}/records/${doc.id}/requirements/${doc.items[0]!}`;
    },
  },
  'PUT /api/v1/projects/{key}/records/{id}/requirements/order': {
    access: 'project',
    needs: ['requirementDocuments.edit'],
    also: ['requirementDocuments.view', 'requirements.view'],
    url: async (f) => {
      made = await newReqDoc(f);
      return `/api/v1/projects/${f.key}/records/${made.id}/requirements/order`;
    },
    body: () => ({ order: [...(made.items ?? [])].reverse() }),
  },
  'GET /api/v1/projects/{key}/records/{id}/documents': {
    access: 'project',
    needs: ['requirements.view'],
    also: ['requirementDocuments.view'],
    url: async (f) => `/api/v1/projects/${f.key}/records/${(await f.h.admin.post(`/api/v1/projects/${f.key}/records`, { type: 'requirement', title: `Probe requirement ${f.seq()}` })).body.id as string}/documents`,
  },
  'GET /api/v1/projects/{key}/options/email-import': { access: 'project', needs: ADMINISTER },
  'PUT /api/v1/projects/{key}/options/email-import': {
    access: 'project',
    needs: ADMINISTER,
    body: () => ({ enabled: false, address: '', whoMayCreate: 'anyone', allowedDomains: [], maxPerHour: 10, forwardToParticipants: false, reopenStatus: '', doneStatuses: ['Closed'] }),
  },
  'GET /api/v1/projects/{key}/import-rules': { access: 'project', needs: ADMINISTER },
  'POST /api/v1/projects/{key}/import-rules': { access: 'project', needs: ADMINISTER, body: (f) => ({ name: `Rule ${f.seq()}`, recordType: 'defect' }) },
  'PUT /api/v1/projects/{key}/import-rules/{id}': {
    access: 'project',
    needs: ADMINISTER,
    url: async (f) => {
      const r = await f.h.admin.post(`/api/v1/projects/${f.key}/import-rules`, { name: `Probe ${f.seq()}`, recordType: 'defect' });
      return `/api/v1/projects/${f.key}/import-rules/${r.body.id}`;
    },
    body: () => ({ name: 'Probe rule', recordType: 'requirement' }),
  },
  'DELETE /api/v1/projects/{key}/import-rules/{id}': {
    access: 'project',
    needs: ADMINISTER,
    url: async (f) => {
      const r = await f.h.admin.post(`/api/v1/projects/${f.key}/import-rules`, { name: `Doomed ${f.seq()}`, recordType: 'defect' });
      return `/api/v1/projects/${f.key}/import-rules/${r.body.id}`;
    },
  },

  // Deliverability (issue 19): the suppression list and DKIM signing.
  'GET /api/v1/admin/email/suppressions': { access: 'admin' },
  'POST /api/v1/admin/email/suppressions': { access: 'admin', body: (f) => ({ address: `quiet${f.seq()}@example.test` }) },
  'DELETE /api/v1/admin/email/suppressions/{address}': {
    access: 'admin',
    url: async (f) => {
      const address = `lifted${f.seq()}@example.test`;
      await f.h.admin.post('/api/v1/admin/email/suppressions', { address });
      return `/api/v1/admin/email/suppressions/${encodeURIComponent(address)}`;
    },
  },
  'POST /api/v1/projects/{key}/suppressions/check': { access: 'project', body: () => ({ addresses: ['someone@example.test'] }) },
  'GET /api/v1/admin/email/dkim': { access: 'admin' },
  'PUT /api/v1/admin/email/dkim': { access: 'admin', body: () => ({ selector: 'mailtrail' }) },
  'POST /api/v1/admin/email/dkim/generate': { access: 'admin', body: () => ({}) },

  'GET /api/v1/projects/{key}/email-templates': { access: 'project', needs: TEMPLATE_READERS },
  'POST /api/v1/projects/{key}/email-templates': { access: 'project', needs: ADMINISTER, body: (f) => ({ name: `Probe ${f.seq()}`, subject: 's', text: 't' }) },
  'GET /api/v1/projects/{key}/email-templates/{name}': { access: 'project', needs: TEMPLATE_READERS },
  'PUT /api/v1/projects/{key}/email-templates/{name}': { access: 'project', needs: ADMINISTER, body: () => ({ subject: 's', text: 't' }) },
  'DELETE /api/v1/projects/{key}/email-templates/{name}': {
    access: 'project',
    needs: ADMINISTER,
    url: async (f) => {
      const name = `Doomed ${f.seq()}`;
      await f.h.admin.post(`/api/v1/projects/${f.key}/email-templates`, { name, subject: 's', text: 't' });
      return `/api/v1/projects/${f.key}/email-templates/${encodeURIComponent(name)}`;
    },
  },
  'POST /api/v1/projects/{key}/email-templates/{name}/reset': {
    access: 'project',
    needs: ADMINISTER,
    url: (f) => `/api/v1/projects/${f.key}/email-templates/${encodeURIComponent('Record summary')}/reset`,
  },
  'POST /api/v1/projects/{key}/email-templates/preview': {
    access: 'project',
    needs: TEMPLATE_READERS,
    also: ['defects.view'],
    body: (f) => ({ template: 'Record summary', recordId: f.recordId }),
  },

  'POST /api/v1/projects/{key}/records/{id}/emails': {
    access: 'project',
    needs: ['defects.sendTrackedEmail'],
    also: ['defects.view'],
    body: () => ({ to: ['customer@example.test'], text: 'Probe' }),
  },
  'GET /api/v1/projects/{key}/records/{id}/emails': { access: 'project', needs: ['defects.viewTrackedEmail'], also: ['defects.view'] },
  'GET /api/v1/emails/{id}': { access: 'project', needs: ['defects.viewTrackedEmail'], also: ['defects.view'] },
  'DELETE /api/v1/emails/{id}': {
    access: 'project',
    needs: ['defects.deleteTrackedEmail'],
    also: ['defects.view'],
    url: async (f) => `/api/v1/emails/${await newEmail(f)}`,
  },
  'GET /api/v1/emails/{id}/raw': { access: 'project', needs: ['defects.viewTrackedEmail'], also: ['defects.view'] },
  'GET /api/v1/emails/{id}/attachments/{attachmentId}': { access: 'project', needs: ['defects.viewTrackedEmail'], also: ['defects.view'] },
  'POST /api/v1/emails/{id}/reply': { access: 'project', needs: ['defects.replyTrackedEmail'], also: ['defects.view'], body: () => ({ text: 'Probe reply' }) },
  'GET /api/v1/emails/{id}/reply-recipients': { access: 'project', needs: ['defects.replyTrackedEmail'], also: ['defects.view'] },
  'POST /api/v1/emails/{id}/forward': { access: 'project', needs: ['defects.sendTrackedEmail'], also: ['defects.view'], body: () => ({ to: ['someone@example.test'], text: 'Probe forward' }) },
  'GET /api/v1/projects/{key}/records/{id}/drafts': { access: 'project', needs: ['defects.view'] },
  'POST /api/v1/projects/{key}/records/{id}/drafts': { access: 'project', needs: ['defects.sendTrackedEmail'], also: ['defects.view'], body: () => ({ to: ['customer@example.test'], text: 'Probe draft' }) },
  // A draft is its writer's alone: to every other member, the admin's draft does not exist.
  'GET /api/v1/drafts/{draftId}': { access: 'project', ownerOnly: 'draft_not_found', url: async (f) => `/api/v1/drafts/${await newDraft(f)}` },
  'PATCH /api/v1/drafts/{draftId}': { access: 'project', ownerOnly: 'draft_not_found', url: async (f) => `/api/v1/drafts/${await newDraft(f)}`, body: () => ({ text: 'Probe' }) },
  'DELETE /api/v1/drafts/{draftId}': { access: 'project', ownerOnly: 'draft_not_found', url: async (f) => `/api/v1/drafts/${await newDraft(f)}` },
  'POST /api/v1/drafts/{draftId}/attachments': {
    access: 'project',
    ownerOnly: 'draft_not_found',
    url: async (f) => `/api/v1/drafts/${await newDraft(f)}/attachments`,
    body: () => ({ filename: 'probe.txt', contentType: 'text/plain', contentBase64: Buffer.from('probe').toString('base64') }),
  },
  'DELETE /api/v1/drafts/{draftId}/attachments/{attachmentId}': { access: 'project', ownerOnly: 'draft_not_found', url: async (f) => `/api/v1/drafts/${await newDraft(f)}/attachments/none` },
  'POST /api/v1/drafts/{draftId}/send': { access: 'project', ownerOnly: 'draft_not_found', url: async (f) => `/api/v1/drafts/${await newDraft(f)}/send`, body: () => ({}) },

  'GET /api/v1/projects/{key}/notification-rules': { access: 'project', needs: ADMINISTER },
  'POST /api/v1/projects/{key}/notification-rules': {
    access: 'project',
    needs: ADMINISTER,
    body: (f) => ({ name: `Rule ${f.seq()}`, enabled: false, event: 'record.created', recordTypes: ['defect'], recipients: ['creator'], template: 'Record summary', tracked: false }),
  },
  'GET /api/v1/projects/{key}/notification-rules/{id}': { access: 'project', needs: ADMINISTER },
  'PUT /api/v1/projects/{key}/notification-rules/{id}': {
    access: 'project',
    needs: ADMINISTER,
    body: () => ({ name: 'Probe rule', enabled: false, event: 'record.created', recordTypes: ['defect'], recipients: ['creator'], template: 'Record summary', tracked: false }),
  },
  'DELETE /api/v1/projects/{key}/notification-rules/{id}': {
    access: 'project',
    needs: ADMINISTER,
    url: async (f) => {
      const r = await f.h.admin.post(`/api/v1/projects/${f.key}/notification-rules`, {
        name: `Doomed ${f.seq()}`,
        enabled: false,
        event: 'record.created',
        recordTypes: ['defect'],
        recipients: ['creator'],
        template: 'Record summary',
        tracked: false,
      });
      return `/api/v1/projects/${f.key}/notification-rules/${r.body.id}`;
    },
  },
};

/** The modules `mailtrail serve` runs, plus the tracking module should it not be listed yet. */
function everyModule(): Module[] {
  const config = testConfig({ database: { kind: 'sqlite', path: ':memory:' }, dataDir: '' });
  const modules = allModules(config);
  return modules.some((m) => m.name === 'tracking') ? modules : [...modules, createTrackingModule()];
}

/** Fills the path parameters of an OpenAPI path with the fixture's real ids. */
function concrete(path: string, f: Fixture): string {
  return path
    .replace('{key}', f.key)
    .replace('{username}', f.member)
    .replace(/\/notification-rules\/\{id\}/, `/notification-rules/${f.ruleId}`)
    .replace(/\/security-groups\/\{id\}/, `/security-groups/${f.groupId}`)
    .replace(/\/records\/\{id\}/, `/records/${f.recordId}`)
    .replace(/\/emails\/\{id\}/, `/emails/${f.emailId}`)
    .replace('{attachmentId}', f.attachmentId)
    .replace('{name}', encodeURIComponent(f.template))
    .replace('{address}', encodeURIComponent('probe@example.test'))
    .replace('{index}', '0')
    .replace('{id}', '01kj0000000000000000000000');
}

async function request(client: ApiClient, method: string, url: string, body: unknown) {
  // Routes with a body get it; the rest get none (a JSON body on a GET would be refused).
  return client.call(method as 'GET', url, body);
}

async function setup(h: TestApp): Promise<Fixture> {
  let n = 0;
  const key = 'ACC';
  assert.equal((await h.admin.post('/api/v1/projects', { key, name: 'Accounting' })).status, 201);
  assert.equal((await h.admin.post('/api/v1/projects', { key: 'OTH', name: 'Other' })).status, 201);
  const record = await h.admin.post(`/api/v1/projects/${key}/records`, { type: 'defect', title: 'Totals' });
  const sent = await h.admin.post(`/api/v1/projects/${key}/records/${record.body.id}/emails`, {
    to: ['customer@example.test'],
    text: 'See attached.',
    attachments: [{ filename: 'a.txt', contentType: 'text/plain', contentBase64: Buffer.from('hello').toString('base64') }],
  });
  assert.equal(sent.status, 202, JSON.stringify(sent.body));
  const email = await h.admin.get(`/api/v1/emails/${sent.body.id}`);
  const group = await h.admin.post(`/api/v1/projects/${key}/security-groups`, { name: 'Probe group', commands: ['defects.view'] });
  const rule = await h.admin.post(`/api/v1/projects/${key}/notification-rules`, {
    name: 'Probe rule',
    enabled: false,
    event: 'record.created',
    recordTypes: ['defect'],
    recipients: ['creator'],
    template: 'Record summary',
    tracked: false,
  });
  assert.equal(rule.status, 201, JSON.stringify(rule.body));
  const template = await h.admin.post(`/api/v1/projects/${key}/email-templates`, { name: 'Probe template', subject: 's', text: 't' });
  assert.equal(template.status, 201);
  await h.user('member', { project: key, group: 'Viewers' });
  return {
    h,
    key,
    recordId: record.body.id,
    emailId: sent.body.id,
    attachmentId: email.body.attachments[0].id,
    groupId: group.body.id,
    ruleId: rule.body.id,
    template: 'Probe template',
    member: 'member',
    seq: () => ++n,
  };
}

async function urlOf(path: string, c: RouteCase, f: Fixture): Promise<string> {
  return c.url ? c.url(f) : concrete(path, f);
}

for (const kind of STORE_KINDS) {
  describe(`access control over every route (${kind})`, () => {
    test('every route in the OpenAPI document is classified, and every classified route exists', async (t) => {
      const h = await startTestApp(t, kind, { modules: everyModule() });
      if (!h) return;
      const doc = await h.anonymous.get('/api/openapi.json');
      assert.equal(doc.status, 200);
      const listed = Object.entries(doc.body.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
        Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
      );
      const unclassified = listed.filter((r) => !(r in ROUTES));
      assert.deepEqual(unclassified, [], 'routes nobody classified: add them to ROUTES with the access they need');
      const stale = Object.keys(ROUTES).filter((r) => !listed.includes(r));
      assert.deepEqual(stale, [], 'ROUTES names routes the server no longer has');
      assert.ok(listed.length >= 60, `only ${listed.length} routes listed`);
      t.diagnostic(`${listed.length} routes classified`);
    });

    test('without credentials every non-public route is 401; with a made-up token too', async (t) => {
      const h = await startTestApp(t, kind, { modules: everyModule() });
      if (!h) return;
      const f = await setup(h);
      const forged = new ApiClient(h.app, 'x'.repeat(43));
      for (const [route, c] of Object.entries(ROUTES)) {
        const [method, path] = route.split(' ') as [string, string];
        const url = await urlOf(path, c, f);
        // Deliberately no body even where one is required: refusal must come before validation.
        const res = await request(h.anonymous, method, url, undefined);
        if (c.access === 'public') {
          assert.notEqual(res.status, 401, `${route} is public`);
          continue;
        }
        assert.equal(res.status, 401, `${route} without credentials: ${res.status} ${JSON.stringify(res.body)}`);
        assert.equal(res.body.error.code, 'unauthorized', route);
        const withForged = await request(forged, method, url, c.body?.(f));
        assert.equal(withForged.status, 401, `${route} with a made-up token`);
      }
    });

    test('admin routes refuse a plain user (403); the admin gets through', async (t) => {
      const h = await startTestApp(t, kind, { modules: everyModule() });
      if (!h) return;
      const f = await setup(h);
      const plain = await h.user('plain');
      for (const [route, c] of Object.entries(ROUTES)) {
        const [method, path] = route.split(' ') as [string, string];
        if (c.access !== 'admin') continue;
        const res = await request(plain, method, await urlOf(path, c, f), undefined);
        assert.equal(res.status, 403, `${route} as a plain user: ${res.status} ${JSON.stringify(res.body)}`);
        assert.equal(res.body.error.code, 'admin_only', route);
        const asAdmin = await request(h.admin, method, await urlOf(path, c, f), c.body?.(f));
        assert.ok(![401, 403].includes(asAdmin.status), `${route} as the admin: ${asAdmin.status} ${JSON.stringify(asAdmin.body)}`);
      }
    });

    test('project routes are 404 for a non-member, even one who administers another project', async (t) => {
      const h = await startTestApp(t, kind, { modules: everyModule() });
      if (!h) return;
      const f = await setup(h);
      const outsider = await h.user('outsider', { project: 'OTH', group: 'Administrators' });
      let checked = 0;
      for (const [route, c] of Object.entries(ROUTES)) {
        const [method, path] = route.split(' ') as [string, string];
        if (c.access !== 'project') continue;
        const res = await request(outsider, method, await urlOf(path, c, f), c.body?.(f));
        assert.equal(res.status, 404, `${route} as a non-member: ${res.status} ${JSON.stringify(res.body)}`);
        assert.match(res.body.error.code, /^(project|email|draft)_not_found$/, route);
        checked++;
      }
      assert.ok(checked >= 30, `only ${checked} project routes`);
      t.diagnostic(`${checked} project routes hidden from a non-member`);
      // Nothing a non-member tried changed anything.
      const thread = await h.admin.get(`/api/v1/projects/${f.key}/records/${f.recordId}/emails`);
      const texts = (thread.body.emails as { text: string }[]).map((e) => e.text).sort();
      // The fixture's email and the throwaway made for the DELETE probe, both still there; nothing the outsider sent.
      assert.deepEqual(texts, ['See attached.', 'probe'], 'no email was sent, replied or deleted by the outsider');
      assert.equal((await h.admin.get(`/api/v1/projects/${f.key}/records/${f.recordId}`)).body.title, 'Totals');
    });

    test('project routes need their command: every other command is not enough, the command is', async (t) => {
      const h = await startTestApp(t, kind, { modules: everyModule() });
      if (!h) return;
      const f = await setup(h);
      const users = new Map<string, ApiClient>();
      /** A member of a group holding exactly `commands` (one group and user per distinct set). */
      const memberWith = async (commands: string[]): Promise<ApiClient> => {
        const set = [...new Set(commands)].sort();
        const id = set.join(',');
        const existing = users.get(id);
        if (existing) return existing;
        const name = `Set ${users.size + 1}`;
        const g = await h.admin.post(`/api/v1/projects/${f.key}/security-groups`, { name, commands: set });
        assert.equal(g.status, 201, JSON.stringify(g.body));
        const client = await h.user(`set${users.size + 1}`, { project: f.key, group: name });
        users.set(id, client);
        return client;
      };
      let denied = 0;
      for (const [route, c] of Object.entries(ROUTES)) {
        const [method, path] = route.split(' ') as [string, string];
        if (c.access !== 'project') continue;
        if (c.needs) {
          const without = await memberWith(ALL_COMMANDS.filter((x) => !c.needs!.includes(x)));
          const res = await request(without, method, await urlOf(path, c, f), c.body?.(f));
          assert.equal(res.status, 403, `${route} without ${c.needs.join('|')}: ${res.status} ${JSON.stringify(res.body)}`);
          assert.equal(res.body.error.code, 'missing_command', route);
          denied++;
        }
        const minimal = await memberWith([...(c.needs ? [c.needs[0]!] : []), ...(c.also ?? [])]);
        const ok = await request(minimal, method, await urlOf(path, c, f), c.body?.(f));
        const ownerRefusal = c.ownerOnly !== undefined && (ok.status === 403 || ok.status === 404) && ok.body.error?.code === c.ownerOnly;
        assert.ok(ok.status < 400 || ownerRefusal, `${route} with ${[c.needs?.[0], ...(c.also ?? [])].filter(Boolean).join('+') || 'membership'}: ${ok.status} ${JSON.stringify(ok.body)}`);
      }
      assert.ok(denied >= 25, `only ${denied} routes checked for their command`);
      t.diagnostic(`${denied} project routes refused without their command`);
    });
  });
}
