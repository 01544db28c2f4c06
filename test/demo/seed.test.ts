import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Config } from '../../src/config.js';
import { demoBanner, demoModule, DEMO_PASSWORD, DEMO_RECORDS, DEMO_RUNS, QA_GROUP } from '../../src/demo/index.js';
import { publicTrackingSettings } from '../../src/inbound/trackingSettings.js';
import { silentLogger } from '../../src/log.js';
import { publicSendingSettings } from '../../src/outbound/sendingSettings.js';
import { MailboxStore } from '../../src/sandbox/index.js';
import { startServer, type Running } from '../../src/server.js';
import { saveSendingSettings } from '../../src/outbound/sendingSettings.js';
import { ApiClient, startTestApp } from '../support/app.js';
import { STORE_KINDS } from '../support/stores.js';

const PORTS = { sandboxSmtpPort: 12525, sandboxPop3Port: 12110 };

/** A second server on the same database and data folder: what a restart sees. */
async function restart(config: Config, t: Parameters<typeof startTestApp>[0]): Promise<Running> {
  const running = await startServer(config, [demoModule(config)], { log: silentLogger, listen: false });
  t.after(() => running.close());
  return running;
}

async function counts(admin: ApiClient): Promise<{ projects: number; users: number; records: number }> {
  const projects = (await admin.get('/api/v1/projects')).body.projects.length;
  const users = (await admin.get('/api/v1/users')).body.users.length;
  const records = (await admin.get('/api/v1/projects/DEMO/records?limit=500')).body.records?.length ?? 0;
  return { projects, users, records };
}

for (const kind of STORE_KINDS) {
  describe(`demo seed on ${kind}`, () => {
    test('an empty database gets the demo project, users, records and sandbox email settings — once', async (t) => {
      const h = await startTestApp(t, kind, { modules: [demoModule({ demo: true })], config: { demo: true, ...PORTS } });
      if (!h) return;
      const db = h.running.ctx.store.db;

      const projects = (await h.admin.get('/api/v1/projects')).body.projects;
      assert.deepEqual(projects.map((p: { key: string; name: string }) => [p.key, p.name]), [['DEMO', 'Demo project']]);
      const users = (await h.admin.get('/api/v1/users')).body.users;
      assert.deepEqual(
        users.map((u: { username: string; email: string }) => [u.username, u.email]),
        [
          ['admin', 'admin@demo.test'],
          ['dana', 'dana@demo.test'],
          ['quinn', 'quinn@demo.test'],
          ['viewer', 'viewer@demo.test'],
        ],
      );
      const members = (await h.admin.get('/api/v1/projects/DEMO/members')).body.members;
      assert.deepEqual(
        Object.fromEntries(members.map((m: { username: string; securityGroup: string }) => [m.username, m.securityGroup])),
        { admin: 'Administrators', dana: 'Developers', quinn: 'QA', viewer: 'Viewers' },
      );
      const groups = (await h.admin.get('/api/v1/projects/DEMO/security-groups')).body.groups;
      const qa = groups.find((g: { name: string }) => g.name === 'QA');
      assert.deepEqual([...qa.commands].sort(), [...QA_GROUP.commands].sort());

      const records = (await h.admin.get('/api/v1/projects/DEMO/records?limit=500')).body.records;
      assert.equal(records.length, DEMO_RECORDS.length + DEMO_RUNS.length, 'the records, and the runs made of test cases');
      const types = new Set(records.map((r: { type: string }) => r.type));
      assert.deepEqual([...types].sort(), ['defect', 'requirement', 'requirementDocument', 'testCase', 'testRun']);
      const statuses = new Set(records.map((r: { status: string }) => r.status));
      assert.ok(statuses.size >= 5, 'realistic, varied statuses');
      assert.ok(records.some((r: { assignee: string | null }) => r.assignee === 'dana'));
      assert.ok(records.some((r: { assignee: string | null }) => r.assignee === null));
      assert.ok(records.every((r: { description: string }) => r.description.length > 20));
      const resolved = records.find((r: { title: string }) => r.title.startsWith('Due dates shift'));
      assert.equal(resolved.status, 'Fixed');
      const history = (await h.admin.get(`/api/v1/projects/DEMO/records/${resolved.id}/history`)).body.events;
      assert.deepEqual(history.map((e: { actor: string }) => e.actor), ['admin', 'dana']);

      // The CSV defect shows what a team's record holds: links both ways, notes, a file.
      const csv = (await h.admin.get('/api/v1/projects/DEMO/records/DEMO-D1')).body;
      assert.match(csv.title, /^CSV export drops the last row/);
      const csvLinks = (await h.admin.get(`/api/v1/projects/DEMO/records/${csv.id}/links`)).body.links.map((l: { label: string; record: { tag: string } }) => `${l.label} ${l.record.tag}`);
      assert.deepEqual(csvLinks, ['blocks DEMO-R1', 'was created from DEMO-TR2']);
      const r1 = (await h.admin.get('/api/v1/projects/DEMO/records/DEMO-R1')).body;
      const r1Links = (await h.admin.get(`/api/v1/projects/DEMO/records/${r1.id}/links`)).body.links.map((l: { label: string; record: { tag: string } }) => `${l.label} ${l.record.tag}`);
      assert.deepEqual(r1Links, ['is blocked by DEMO-D1', 'is tested by DEMO-TC1', 'relates to DEMO-RD1']);
      const notes = (await h.admin.get(`/api/v1/projects/DEMO/records/${csv.id}/comments`)).body.comments;
      assert.deepEqual(notes.map((c: { author: string; mentions: string[] }) => [c.author, c.mentions]), [['dana', ['quinn']], ['quinn', []]]);
      const files = (await h.admin.get(`/api/v1/projects/DEMO/records/${csv.id}/files`)).body.files;
      assert.deepEqual(files.map((f: { filename: string }) => f.filename), ['export-50-orders.log']);
      // Custom fields, priority and severity: the list's columns and filters have something to show.
      const fields = (await h.admin.get('/api/v1/projects/DEMO/fields')).body.fields;
      assert.deepEqual(fields.map((f: { recordType: string; key: string }) => `${f.recordType}.${f.key}`), ['defect.customer', 'defect.browser', 'defect.platforms', 'requirement.release']);
      assert.deepEqual([csv.priority, csv.severity, csv.fields], ['high', 'major', { customer: 'Northwind Traders', browser: 'Firefox', platforms: ['Windows', 'macOS'] }]);
      const onWindows = (await h.admin.get('/api/v1/projects/DEMO/records?type=defect&field=platforms:Windows&sort=number&order=asc')).body.records;
      assert.deepEqual(onWindows.map((r: { tag: string }) => r.tag), ['DEMO-D1', 'DEMO-D2']);

      // A test case with steps, a run of it step by step that failed, a document's requirements in order.
      const tc1Steps = (await h.admin.get('/api/v1/projects/DEMO/records/DEMO-TC1/steps')).body.steps;
      assert.equal(tc1Steps.length, 3);
      assert.ok(tc1Steps.every((st: { action: string; expected: string }) => st.action && st.expected));
      const run = (await h.admin.get('/api/v1/projects/DEMO/records/DEMO-TR3/test-run')).body;
      assert.equal(run.testCase.tag, 'DEMO-TC1');
      assert.deepEqual(run.steps.map((st: { result: string }) => st.result), ['passed', 'failed', 'passed']);
      assert.equal(run.result.value, 'failed');
      const tr3 = (await h.admin.get('/api/v1/projects/DEMO/records/DEMO-TR3')).body;
      assert.deepEqual([tr3.status, tr3.assignee], ['Failed', 'quinn']);
      const rd1 = (await h.admin.get('/api/v1/projects/DEMO/records/DEMO-RD1/requirements')).body.items;
      assert.deepEqual(rd1.map((it: { requirement: { tag: string } }) => it.requirement.tag), ['DEMO-R1', 'DEMO-R2', 'DEMO-R3']);

      const options = (await h.admin.get('/api/v1/projects/DEMO/options/email')).body;
      assert.deepEqual(options, { sendingEnabled: true, trackingEnabled: true, notificationAccount: { name: 'Demo notifications', address: 'notifications@demo.test' } });

      const sending = await publicSendingSettings(db);
      assert.deepEqual([sending.host, sending.port, sending.security, sending.configured], ['127.0.0.1', 12525, 'none', true]);
      const tracking = await publicTrackingSettings(db);
      assert.deepEqual(
        { protocol: tracking.protocol, host: tracking.host, port: tracking.port, security: tracking.security, username: tracking.username, address: tracking.address, pollSeconds: tracking.pollSeconds, deleteUntracked: tracking.deleteUntracked, configured: tracking.configured },
        { protocol: 'pop3', host: '127.0.0.1', port: 12110, security: 'none', username: 'tracking@demo.test', address: 'tracking@demo.test', pollSeconds: 3, deleteUntracked: false, configured: true },
      );

      // The demo users sign in with the published password, and their groups mean something.
      const dana = await h.login('dana', DEMO_PASSWORD);
      const quinn = await h.login('quinn', DEMO_PASSWORD);
      const viewer = await h.login('viewer', DEMO_PASSWORD);
      assert.equal((await dana.post('/api/v1/projects/DEMO/records', { type: 'defect', title: 'Found while trying the demo' })).status, 201);
      assert.equal((await quinn.post('/api/v1/projects/DEMO/records', { type: 'testCase', title: 'New case' })).status, 201);
      assert.equal((await quinn.post('/api/v1/projects/DEMO/records', { type: 'defect', title: 'Not allowed' })).status, 403);
      assert.equal((await quinn.get('/api/v1/projects/DEMO/records?type=defect')).status, 200);
      assert.equal((await viewer.post('/api/v1/projects/DEMO/records', { type: 'requirement', title: 'Not allowed' })).status, 403);

      // Every demo user has a welcome message in the sandbox.
      const store = new MailboxStore({ dataDir: h.running.ctx.config.dataDir });
      assert.deepEqual(
        (await store.mailboxes()).map((m) => [m.address, m.count]),
        [
          ['dana@demo.test', 1],
          ['quinn@demo.test', 1],
          ['viewer@demo.test', 1],
        ],
      );

      // A restart changes nothing.
      const before = await counts(h.admin);
      await restart(h.running.ctx.config, t);
      assert.deepEqual(await counts(h.admin), before);
      assert.equal((await store.list('dana@demo.test')).length, 1);
    });

    test('a database in use is never seeded, and demo mode off seeds nothing', async (t) => {
      const h = await startTestApp(t, kind, { modules: [demoModule({ demo: false })], config: { demo: false, ...PORTS } });
      if (!h) return;
      assert.deepEqual((await h.admin.get('/api/v1/projects')).body.projects, []);
      await h.user('someone');
      await restart({ ...h.running.ctx.config, demo: true }, t);
      assert.deepEqual((await h.admin.get('/api/v1/projects')).body.projects, [], 'a user exists: not empty');
      assert.deepEqual((await h.admin.get('/api/v1/users')).body.users.map((u: { username: string }) => u.username), ['admin', 'someone']);
      assert.equal((await publicSendingSettings(h.running.ctx.store.db)).configured, false);
    });

    test('a restart with other sandbox ports moves the settings along, unless the admin changed them', async (t) => {
      const h = await startTestApp(t, kind, { modules: [demoModule({ demo: true })], config: { demo: true, ...PORTS } });
      if (!h) return;
      const db = h.running.ctx.store.db;
      await restart({ ...h.running.ctx.config, sandboxSmtpPort: 13525, sandboxPop3Port: 13110 }, t);
      assert.equal((await publicSendingSettings(db)).port, 13525);
      assert.equal((await publicTrackingSettings(db)).port, 13110);
      assert.equal((await publicTrackingSettings(db)).passwordSet, true, 'the password is kept');

      await saveSendingSettings(db, h.running.ctx.config.secret, { host: 'smtp.example.test', port: 587, security: 'starttls' });
      await restart({ ...h.running.ctx.config, sandboxSmtpPort: 14525, sandboxPop3Port: 14110 }, t);
      const sending = await publicSendingSettings(db);
      assert.deepEqual([sending.host, sending.port], ['smtp.example.test', 587], 'the admin\'s own server is kept');
      assert.equal((await publicTrackingSettings(db)).port, 14110);
    });
  });
}

test('the banner names the URL, the demo users and the sandbox ports, never a password it does not own', () => {
  const config = { host: '127.0.0.1', port: 3000, sandboxSmtpPort: 2525, sandboxPop3Port: 2110, adminPassword: 'secret-admin-pw' } as Config;
  const banner = demoBanner(config);
  for (const part of ['http://localhost:3000', 'http://localhost:3000/sandbox', 'dana', 'quinn', 'viewer', DEMO_PASSWORD, '127.0.0.1:2525', '127.0.0.1:2110', 'MAILTRAIL_ADMIN_PASSWORD', 'DEMO']) {
    assert.ok(banner.includes(part), `banner mentions ${part}:\n${banner}`);
  }
  assert.ok(!banner.includes('secret-admin-pw'));
  assert.ok(demoBanner(config, { url: 'http://127.0.0.1:4000', smtpPort: 1, pop3Port: 2 }).includes('http://localhost:4000/sandbox  (SMTP 127.0.0.1:1, POP3 127.0.0.1:2'));
});
