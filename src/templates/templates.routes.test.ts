import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { STANDARD_TEMPLATES } from './standard.js';
import { templatesModule } from './index.js';
import { startTestApp, type TestApp } from '../../test/support/app.js';
import { STORE_KINDS, type StoreKind } from '../../test/support/stores.js';

const base = '/api/v1/projects/ACC/email-templates';
const url = (name: string) => `${base}/${encodeURIComponent(name)}`;

async function setup(t: TestContext, kind: StoreKind): Promise<TestApp | undefined> {
  const h = await startTestApp(t, kind, { modules: [templatesModule] });
  if (!h) return undefined;
  assert.equal((await h.admin.post('/api/v1/projects', { key: 'ACC', name: 'Accounting' })).status, 201);
  return h;
}

for (const kind of STORE_KINDS) {
  describe(`email templates API on ${kind}`, () => {
    test('a new project has the standard set; standard templates are edited and reset, not deleted', async (t) => {
      const h = await setup(t, kind);
      if (!h) return;
      const list = await h.admin.get(base);
      assert.equal(list.status, 200);
      const names = list.body.templates.map((x: { name: string }) => x.name);
      assert.deepEqual([...names].sort(), STANDARD_TEMPLATES.map((s) => s.name).sort());
      assert.ok(list.body.templates.every((x: { isStandard: boolean; modified: boolean }) => x.isStandard && !x.modified));

      const summary = await h.admin.get(url('Record summary'));
      assert.equal(summary.status, 200);
      assert.equal(summary.body.subject, STANDARD_TEMPLATES[0]!.subject);
      assert.deepEqual(summary.body.recordTypes, []);

      const edited = await h.admin.put(url('Record summary'), { subject: 'Summary: {{ record.title }}', text: 'Hi\n{{ email.text }}' });
      assert.equal(edited.status, 200);
      assert.equal(edited.body.modified, true);
      assert.equal(edited.body.html, null, 'PUT replaces: no html given, no HTML part');
      assert.equal((await h.admin.get(url('Record summary'))).body.subject, 'Summary: {{ record.title }}');

      const rename = await h.admin.put(url('Record summary'), { name: 'Summary', subject: 's', text: 't' });
      assert.equal(rename.status, 409);
      assert.equal(rename.body.error.code, 'standard_template');
      const del = await h.admin.delete(url('Record summary'));
      assert.equal(del.status, 409);
      assert.equal(del.body.error.code, 'standard_template');

      const reset = await h.admin.post(`${url('Record summary')}/reset`);
      assert.equal(reset.status, 200);
      assert.equal(reset.body.modified, false);
      assert.equal(reset.body.subject, STANDARD_TEMPLATES[0]!.subject);
      assert.equal(reset.body.html, STANDARD_TEMPLATES[0]!.html);

      // A second project gets its own copies.
      await h.admin.post('/api/v1/projects', { key: 'PAY', name: 'Payroll' });
      assert.equal((await h.admin.get('/api/v1/projects/PAY/email-templates')).body.templates.length, STANDARD_TEMPLATES.length);
      assert.equal((await h.admin.get(url('Record summary'))).body.modified, false);

      // Filtering for a record type leaves out templates meant for other types.
      const forDefects = await h.admin.get(`${base}?recordType=defect`);
      assert.ok(!forDefects.body.templates.some((x: { name: string }) => x.name === 'Review request'));
      const forReqs = await h.admin.get(`${base}?recordType=requirement`);
      assert.ok(forReqs.body.templates.some((x: { name: string }) => x.name === 'Review request'));
    });

    test('create, read, update, rename and delete a project template', async (t) => {
      const h = await setup(t, kind);
      if (!h) return;
      const created = await h.admin.post(base, {
        name: 'Customer follow-up',
        subject: 'Following up: {{ record.title }}',
        text: 'Dear {{ recipient.name }},\n\n{{ email.text }}\n\n{{ sender.fullName }}',
        html: '<p>Dear {{ recipient.name }},</p><p>{{ email.text | newline_to_br }}</p>',
        recordTypes: ['testRun', 'defect', 'defect'],
      });
      assert.equal(created.status, 201);
      assert.deepEqual(
        { name: created.body.name, isStandard: created.body.isStandard, modified: created.body.modified, recordTypes: created.body.recordTypes },
        { name: 'Customer follow-up', isStandard: false, modified: false, recordTypes: ['defect', 'testRun'] },
      );
      const again = await h.admin.post(base, { name: 'Customer follow-up', subject: 's', text: 't' });
      assert.equal(again.status, 409);
      assert.equal(again.body.error.code, 'template_name_taken');
      assert.equal((await h.admin.post(base, { name: 'Record summary', subject: 's', text: 't' })).status, 409, 'standard names are taken');

      const read = await h.admin.get(url('Customer follow-up'));
      assert.equal(read.status, 200);
      assert.equal(read.body.text, 'Dear {{ recipient.name }},\n\n{{ email.text }}\n\n{{ sender.fullName }}');

      const updated = await h.admin.put(url('Customer follow-up'), {
        name: 'Follow-up',
        subject: 'Re: {{ record.title }}',
        text: '{{ email.text }}',
        recordTypes: [],
      });
      assert.equal(updated.status, 200);
      assert.equal(updated.body.name, 'Follow-up');
      assert.deepEqual(updated.body.recordTypes, []);
      assert.equal((await h.admin.get(url('Customer follow-up'))).status, 404);
      assert.equal((await h.admin.put(url('Follow-up'), { name: 'Status update', subject: 's', text: 't' })).status, 409);
      assert.equal((await h.admin.post(`${url('Follow-up')}/reset`)).status, 409, 'only standard templates reset');

      assert.equal((await h.admin.delete(url('Follow-up'))).status, 204);
      const gone = await h.admin.get(url('Follow-up'));
      assert.equal(gone.status, 404);
      assert.equal(gone.body.error.code, 'template_not_found');
      assert.equal((await h.admin.delete(url('Follow-up'))).status, 404);

      const badType = await h.admin.post(base, { name: 'x', subject: 's', text: 't', recordTypes: ['bug'] });
      assert.equal(badType.status, 400);
      const badName = await h.admin.post(base, { name: 'a/b', subject: 's', text: 't' });
      assert.equal(badName.status, 400);
      assert.equal(badName.body.error.code, 'invalid_template_name');
    });

    test('Liquid errors are 400 template_invalid with part and line; file tags and runaway loops fail cleanly', async (t) => {
      const h = await setup(t, kind);
      if (!h) return;
      const filter = await h.admin.post(base, { name: 'Bad filter', subject: 'Hi', text: 'Hello\n{{ record.title | nosuchfilter }}' });
      assert.equal(filter.status, 400);
      assert.equal(filter.body.error.code, 'template_invalid');
      assert.deepEqual({ part: filter.body.error.details.part, line: filter.body.error.details.line }, { part: 'text', line: 2 });
      assert.match(filter.body.error.message, /line 2.*nosuchfilter/);

      const unclosed = await h.admin.post(base, { name: 'Unclosed', subject: 'Hi', text: 'ok', html: '<p>a</p>\n<p>\n{% if %}' });
      assert.equal(unclosed.status, 400);
      assert.equal(unclosed.body.error.code, 'template_invalid');
      assert.equal(unclosed.body.error.details.part, 'html');
      assert.equal(unclosed.body.error.details.line, 3);

      for (const text of ["{% include 'x' %}", "{% render '/etc/passwd' %}"]) {
        const res = await h.admin.post(base, { name: 'Files', subject: 'Hi', text });
        assert.equal(res.status, 400, text);
        assert.equal(res.body.error.code, 'template_invalid', text);
        assert.doesNotMatch(JSON.stringify(res.body), /root:/);
      }

      // The render limits answer these at once; a hang would hit the per-test timeout.
      const loop = await h.admin.post(base, { name: 'Loop', subject: 'Hi', text: '{% for i in (1..100000000) %}{{ i }}{% endfor %}' });
      assert.equal(loop.status, 400);
      assert.equal(loop.body.error.code, 'template_invalid');
      const nested = await h.admin.post(base, {
        name: 'Nested',
        subject: 'Hi',
        text: '{% for i in (1..100000) %}{% for j in (1..100000) %}{{ j }}{% endfor %}{% endfor %}',
      });
      assert.equal(nested.status, 400);
      assert.equal(nested.body.error.code, 'template_invalid');
      assert.match(nested.body.error.message, /longer than|memory/);

      // Nothing was saved, and a bad edit leaves the template as it was.
      assert.equal((await h.admin.get(base)).body.templates.length, STANDARD_TEMPLATES.length);
      assert.equal((await h.admin.put(url('Status update'), { subject: '{{ x | nope }}', text: 't' })).status, 400);
      assert.equal((await h.admin.get(url('Status update'))).body.modified, false);
    });

    test('preview renders with the record, escaping HTML only', async (t) => {
      const h = await setup(t, kind);
      if (!h) return;
      const dev = await h.user('dev', { project: 'ACC', group: 'Developers' });
      const rec = await dev.post('/api/v1/projects/ACC/records', { type: 'defect', title: '<script>alert(1)</script>', description: '', assignee: 'dev' });
      assert.equal(rec.status, 201);

      const preview = await dev.post(`${base}/preview`, {
        template: 'Record summary',
        recordId: rec.body.id,
        emailText: 'Please check.',
        recipient: { name: 'Ann', email: 'ann@example.test' },
      });
      assert.equal(preview.status, 200);
      assert.equal(preview.body.template, 'Record summary');
      assert.ok(preview.body.text.includes('<script>alert(1)</script>'), 'literal in text');
      assert.ok(preview.body.subject.includes('<script>alert(1)</script>'), 'literal in subject');
      assert.ok(preview.body.html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), 'escaped in HTML');
      assert.ok(!preview.body.html.includes('<script>'));
      assert.match(preview.body.text, /^Hello Ann,/);
      assert.match(preview.body.text, /Please check\./);
      assert.match(preview.body.text, /ACC-D1/);
      assert.match(preview.body.text, /Assigned to: +dev Tester/);
      assert.match(preview.body.text, /Regards,\ndev Tester/);

      const inline = await dev.post(`${base}/preview`, {
        subject: '{{ record.tag }} {{ project.name }}',
        text: '{{ record.url }} {{ sender.email }} {{ changes.size }}{% for c in changes %} {{ c.label }}={{ c.new }}{% endfor %}',
        recordId: rec.body.id,
        changes: [{ field: 'assignee', old: null, new: 'dev' }],
      });
      assert.equal(inline.status, 200);
      assert.equal(inline.body.subject, 'ACC-D1 Accounting');
      assert.equal(inline.body.text, `/projects/ACC/records/ACC-D1 dev@example.test 1 Assigned to=dev Tester`);
      assert.equal(inline.body.html, null);
      assert.equal(inline.body.template, null);

      const wrongType = await dev.post(`${base}/preview`, { template: 'Review request', recordId: rec.body.id });
      assert.equal(wrongType.status, 400);
      assert.equal(wrongType.body.error.code, 'template_not_for_record_type');
      const unknown = await dev.post(`${base}/preview`, { template: 'Nope', recordId: rec.body.id });
      assert.equal(unknown.status, 400);
      assert.equal(unknown.body.error.code, 'unknown_template');

      const loop = await dev.post(`${base}/preview`, { subject: 's', text: '{% for i in (1..100000000) %}x{% endfor %}', recordId: rec.body.id });
      assert.equal(loop.status, 400);
      assert.equal(loop.body.error.code, 'template_invalid');
      assert.match(loop.body.error.message, /memory/);
      const syntax = await dev.post(`${base}/preview`, { subject: 's', text: 'a\n{{ x | nosuchfilter }}', recordId: rec.body.id });
      assert.equal(syntax.status, 400);
      assert.equal(syntax.body.error.details.line, 2);
    });

    test('who may read, change and preview templates', async (t) => {
      const h = await setup(t, kind);
      if (!h) return;
      const dev = await h.user('dev', { project: 'ACC', group: 'Developers' });
      const viewer = await h.user('viewer', { project: 'ACC', group: 'Viewers' });
      const outsider = await h.user('outsider');
      assert.equal(
        (await h.admin.post('/api/v1/projects/ACC/security-groups', { name: 'Req senders', commands: ['requirements.view', 'requirements.sendTrackedEmail'] }))
          .status,
        201,
      );
      const req = await h.user('req', { project: 'ACC', group: 'Req senders' });

      assert.equal((await dev.get(base)).status, 200, 'senders list templates to compose');
      assert.equal((await req.get(url('Record summary'))).status, 200);
      const denied = await viewer.get(base);
      assert.equal(denied.status, 403);
      assert.equal(denied.body.error.code, 'missing_command');
      assert.equal((await outsider.get(base)).status, 404);

      assert.equal((await dev.post(base, { name: 'Mine', subject: 's', text: 't' })).status, 403);
      assert.equal((await dev.put(url('Status update'), { subject: 's', text: 't' })).status, 403);
      assert.equal((await dev.delete(url('Status update'))).status, 403);
      assert.equal((await dev.post(`${url('Status update')}/reset`)).status, 403);

      const defect = await dev.post('/api/v1/projects/ACC/records', { type: 'defect', title: 'Totals' });
      const noView = await req.post(`${base}/preview`, { template: 'Record summary', recordId: defect.body.id });
      assert.equal(noView.status, 403, 'preview needs view on the record type');
      assert.equal((await dev.post(`${base}/preview`, { template: 'Record summary', recordId: 'nope' })).status, 404);
      const both = await dev.post(`${base}/preview`, { template: 'Record summary', text: 'x', recordId: defect.body.id });
      assert.equal(both.status, 400);
    });

    test('template names with spaces and unicode round-trip through URLs', async (t) => {
      const h = await setup(t, kind);
      if (!h) return;
      const name = 'Relance client — été %20 #1';
      assert.equal((await h.admin.post(base, { name, subject: 's', text: 't' })).status, 201);
      const read = await h.admin.get(url(name));
      assert.equal(read.status, 200);
      assert.equal(read.body.name, name);
      assert.equal((await h.admin.delete(url(name))).status, 204);
    });
  });
}

test('the template routes are in the OpenAPI document', async (t) => {
  const h = await startTestApp(t, 'sqlite', { modules: [templatesModule] });
  if (!h) return;
  const doc = await h.anonymous.get('/api/openapi.json');
  assert.equal(doc.status, 200);
  const paths = doc.body.paths as Record<string, Record<string, { requestBody?: unknown; responses: Record<string, unknown> }>>;
  for (const p of [
    '/api/v1/projects/{key}/email-templates',
    '/api/v1/projects/{key}/email-templates/{name}',
    '/api/v1/projects/{key}/email-templates/{name}/reset',
    '/api/v1/projects/{key}/email-templates/preview',
  ]) {
    assert.ok(paths[p], `${p} is documented`);
  }
  assert.ok(paths['/api/v1/projects/{key}/email-templates']!.post!.requestBody);
  assert.ok(paths['/api/v1/projects/{key}/email-templates']!.post!.responses['201']);
});
