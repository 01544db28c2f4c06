/**
 * Project isolation by id: a user who administers project A holds every command there, and
 * still cannot reach anything of project B — not through B's key (not a member) and not by
 * putting B's ids into A's URLs. Every attempt is a 404 and changes nothing.
 *
 * Run: node --import tsx --test test/security/isolation.test.ts
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { outboundModule } from '../../src/outbound/index.js';
import { rulesModule } from '../../src/rules/index.js';
import { templatesModule } from '../../src/templates/index.js';
import { renderTemplate } from '../../src/modules.js';
import { startTestApp } from '../support/app.js';
import { STORE_KINDS } from '../support/stores.js';

for (const kind of STORE_KINDS) {
  describe(`project isolation (${kind})`, () => {
    test("a user of A cannot see, send, reply, delete or download B's emails, records, templates, rules, groups", async (t) => {
      const h = await startTestApp(t, kind, { modules: [templatesModule, outboundModule({ renderTemplate }), rulesModule] });
      if (!h) return;
      for (const [key, name] of [
        ['AAA', 'Alpha'],
        ['BBB', 'Beta'],
      ])
        assert.equal((await h.admin.post('/api/v1/projects', { key, name })).status, 201);
      const alice = await h.user('alice', { project: 'AAA', group: 'Administrators' });
      const bob = await h.user('bob', { project: 'BBB', group: 'Administrators' });

      // B's things, made by B's own administrator.
      const bRecord = (await bob.post('/api/v1/projects/BBB/records', { type: 'defect', title: 'Beta secret' })).body;
      const bSend = await bob.post(`/api/v1/projects/BBB/records/${bRecord.id}/emails`, {
        to: ['customer@example.test'],
        text: 'Beta confidential text',
        attachments: [{ filename: 'beta.txt', contentType: 'text/plain', contentBase64: Buffer.from('beta secret file').toString('base64') }],
      });
      assert.equal(bSend.status, 202);
      const bEmail = (await bob.get(`/api/v1/emails/${bSend.body.id}`)).body;
      const bAttachment = bEmail.attachments[0].id as string;
      const bTemplate = await bob.post('/api/v1/projects/BBB/email-templates', {
        name: 'Beta only',
        subject: 'Beta {{ record.title }}',
        text: 'secret template',
      });
      assert.equal(bTemplate.status, 201);
      const bRule = (
        await bob.post('/api/v1/projects/BBB/notification-rules', {
          name: 'Beta rule',
          enabled: true,
          event: 'record.created',
          recordTypes: ['defect'],
          recipients: ['address:beta@example.test'],
          template: 'Beta only',
          tracked: false,
        })
      ).body;
      const bGroup = (await bob.post('/api/v1/projects/BBB/security-groups', { name: 'Beta group', commands: ['defects.view'] })).body;

      // A's own things, for URLs that mix A's ids with B's.
      const aRecord = (await alice.post('/api/v1/projects/AAA/records', { type: 'defect', title: 'Alpha' })).body;
      const aSend = await alice.post(`/api/v1/projects/AAA/records/${aRecord.id}/emails`, { to: ['customer@example.test'], text: 'Alpha text' });
      const aEmail = aSend.body.id as string;

      const attempts: [string, 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', string, unknown?][] = [
        // Through B's key: not a member.
        ['B project', 'GET', '/api/v1/projects/BBB'],
        ['B records', 'GET', '/api/v1/projects/BBB/records'],
        ['B record', 'GET', `/api/v1/projects/BBB/records/${bRecord.id}`],
        ['B record edit', 'PATCH', `/api/v1/projects/BBB/records/${bRecord.id}`, { title: 'taken over' }],
        ['B thread', 'GET', `/api/v1/projects/BBB/records/${bRecord.id}/emails`],
        ['B send', 'POST', `/api/v1/projects/BBB/records/${bRecord.id}/emails`, { to: ['x@example.test'], text: 'x' }],
        ['B templates', 'GET', '/api/v1/projects/BBB/email-templates'],
        ['B template', 'GET', `/api/v1/projects/BBB/email-templates/${encodeURIComponent('Beta only')}`],
        ['B template edit', 'PUT', `/api/v1/projects/BBB/email-templates/${encodeURIComponent('Beta only')}`, { subject: 's', text: 't' }],
        ['B template delete', 'DELETE', `/api/v1/projects/BBB/email-templates/${encodeURIComponent('Beta only')}`],
        ['B rules', 'GET', '/api/v1/projects/BBB/notification-rules'],
        ['B rule', 'GET', `/api/v1/projects/BBB/notification-rules/${bRule.id}`],
        ['B rule delete', 'DELETE', `/api/v1/projects/BBB/notification-rules/${bRule.id}`],
        ['B groups', 'GET', '/api/v1/projects/BBB/security-groups'],
        ['B members', 'GET', '/api/v1/projects/BBB/members'],
        ['B join', 'PUT', '/api/v1/projects/BBB/members/alice', { securityGroup: 'Administrators' }],
        // B's email ids directly.
        ['B email', 'GET', `/api/v1/emails/${bEmail.id}`],
        ['B raw', 'GET', `/api/v1/emails/${bEmail.id}/raw`],
        ['B attachment', 'GET', `/api/v1/emails/${bEmail.id}/attachments/${bAttachment}`],
        ['B reply', 'POST', `/api/v1/emails/${bEmail.id}/reply`, { text: 'hijack' }],
        ['B delete', 'DELETE', `/api/v1/emails/${bEmail.id}`],
        // B's ids inside A's URLs.
        ['B record via A', 'GET', `/api/v1/projects/AAA/records/${bRecord.id}`],
        ['B record edit via A', 'PATCH', `/api/v1/projects/AAA/records/${bRecord.id}`, { title: 'taken over' }],
        ['B history via A', 'GET', `/api/v1/projects/AAA/records/${bRecord.id}/history`],
        ['B thread via A', 'GET', `/api/v1/projects/AAA/records/${bRecord.id}/emails`],
        ['B send via A', 'POST', `/api/v1/projects/AAA/records/${bRecord.id}/emails`, { to: ['x@example.test'], text: 'x' }],
        ['B template via A', 'GET', `/api/v1/projects/AAA/email-templates/${encodeURIComponent('Beta only')}`],
        ['B template edit via A', 'PUT', `/api/v1/projects/AAA/email-templates/${encodeURIComponent('Beta only')}`, { subject: 's', text: 't' }],
        ['B template delete via A', 'DELETE', `/api/v1/projects/AAA/email-templates/${encodeURIComponent('Beta only')}`],
        ['B record preview via A', 'POST', '/api/v1/projects/AAA/email-templates/preview', { template: 'Record summary', recordId: bRecord.id }],
        ['B rule via A', 'GET', `/api/v1/projects/AAA/notification-rules/${bRule.id}`],
        [
          'B rule edit via A',
          'PUT',
          `/api/v1/projects/AAA/notification-rules/${bRule.id}`,
          {
            name: 'x',
            enabled: false,
            event: 'record.created',
            recordTypes: ['defect'],
            recipients: ['creator'],
            template: 'Record summary',
            tracked: false,
          },
        ],
        ['B rule delete via A', 'DELETE', `/api/v1/projects/AAA/notification-rules/${bRule.id}`],
        ['B group edit via A', 'PUT', `/api/v1/projects/AAA/security-groups/${bGroup.id}`, { name: 'x', commands: [] }],
        ['B group delete via A', 'DELETE', `/api/v1/projects/AAA/security-groups/${bGroup.id}`],
        ['B attachment via A email', 'GET', `/api/v1/emails/${aEmail}/attachments/${bAttachment}`],
      ];
      for (const [what, method, url, body] of attempts) {
        const res = await alice.call(method, url, body);
        assert.equal(res.status, 404, `${what}: ${method} ${url} → ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
        assert.doesNotMatch(JSON.stringify(res.body), /Beta secret|confidential|beta secret file|secret template/, `${what} leaks content`);
      }

      // A template that exists only in B cannot be used from A.
      const withB = await alice.post(`/api/v1/projects/AAA/records/${aRecord.id}/emails`, { to: ['x@example.test'], template: 'Beta only' });
      assert.equal(withB.status, 400, JSON.stringify(withB.body));
      const ruleWithB = await alice.post('/api/v1/projects/AAA/notification-rules', {
        name: 'steal',
        enabled: true,
        event: 'record.created',
        recordTypes: ['defect'],
        recipients: ['creator'],
        template: 'Beta only',
        tracked: false,
      });
      assert.equal(ruleWithB.status, 400, JSON.stringify(ruleWithB.body));

      // Lists show only A.
      assert.deepEqual(
        (await alice.get('/api/v1/projects')).body.projects.map((p: { key: string }) => p.key),
        ['AAA'],
      );
      const aRecords = (await alice.get('/api/v1/projects/AAA/records')).body.records as { id: string }[];
      assert.deepEqual(
        aRecords.map((r) => r.id),
        [aRecord.id],
      );

      // And B is as Bob left it.
      assert.equal((await bob.get(`/api/v1/projects/BBB/records/${bRecord.id}`)).body.title, 'Beta secret');
      const bThread = (await bob.get(`/api/v1/projects/BBB/records/${bRecord.id}/emails`)).body.emails as { id: string }[];
      assert.deepEqual(
        bThread.map((e) => e.id),
        [bEmail.id],
        'no email added to or deleted from B',
      );
      assert.equal((await bob.get(`/api/v1/projects/BBB/email-templates/${encodeURIComponent('Beta only')}`)).body.text, 'secret template');
      assert.equal((await bob.get(`/api/v1/projects/BBB/notification-rules/${bRule.id}`)).body.name, 'Beta rule');
      const groups = (await bob.get('/api/v1/projects/BBB/security-groups')).body.groups as { name: string }[];
      assert.ok(groups.some((g) => g.name === 'Beta group'));
      const members = (await bob.get('/api/v1/projects/BBB/members')).body.members as { username: string }[];
      assert.ok(!members.some((m) => m.username === 'alice'), 'alice did not join B');
      const outbox = await h.running.ctx.store.db.selectFrom('outbox').select('email_id').execute();
      assert.equal(outbox.length, 2, 'only the two legitimate emails were queued');
    });
  });
}
