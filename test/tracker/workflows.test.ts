import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newId } from '../../src/ids.js';
import { templatesModule } from '../../src/templates/index.js';
import { startTestApp } from '../support/app.js';
import { STORE_KINDS } from '../support/stores.js';

for (const kind of STORE_KINDS) {
  describe(`workflows, priority, severity and custom fields on ${kind}`, () => {
    test('statuses come from the workflow: case folded, unknown refused, only allowed moves, categories filter', async (t) => {
      const h = await startTestApp(t, kind);
      if (!h) return;
      await h.admin.post('/api/v1/projects', { key: 'ACC', name: 'Accounting' });
      const dev = await h.user('dev', { project: 'ACC' });
      const wfs = await dev.get('/api/v1/projects/ACC/workflows');
      assert.equal(wfs.status, 200);
      const defect = wfs.body.workflows.find((w: { type: string }) => w.type === 'defect');
      assert.equal(defect.initial, 'Open');
      assert.deepEqual(defect.transitions['Open'], ['In progress', 'Fixed', 'Rejected']);
      assert.deepEqual(wfs.body.priorities, ['urgent', 'high', 'normal', 'low']);

      const r = await dev.post('/api/v1/projects/ACC/records', { type: 'defect', title: 'Totals' });
      assert.equal(r.body.status, 'Open');
      assert.equal(r.body.statusCategory, 'open');
      const url = `/api/v1/projects/ACC/records/${r.body.id}`;
      const folded = await dev.patch(url, { status: 'in PROGRESS' });
      assert.equal(folded.status, 200);
      assert.equal(folded.body.status, 'In progress', 'the workflow spelling wins');
      assert.equal(folded.body.statusCategory, 'inProgress');
      const unknown = await dev.patch(url, { status: 'Done-ish' });
      assert.equal(unknown.status, 400);
      assert.equal(unknown.body.error.code, 'unknown_status');
      assert.match(unknown.body.error.message, /Open, In progress, Fixed/);
      const jump = await dev.patch(url, { status: 'Closed' });
      assert.equal(jump.status, 409);
      assert.equal(jump.body.error.code, 'transition_not_allowed');
      assert.deepEqual(jump.body.error.details.allowed, ['Open', 'Fixed', 'Rejected']);
      assert.equal((await dev.patch(url, { status: 'Fixed' })).body.statusCategory, 'inProgress');
      assert.equal((await dev.patch(url, { status: 'Verified' })).body.statusCategory, 'done');
      await dev.post('/api/v1/projects/ACC/records', { type: 'defect', title: 'Second' });

      const done = await dev.get('/api/v1/projects/ACC/records?type=defect&category=done');
      assert.deepEqual(done.body.records.map((x: { title: string }) => x.title), ['Totals']);
      const open = await dev.get('/api/v1/projects/ACC/records?type=defect&category=notDone');
      assert.deepEqual(open.body.records.map((x: { title: string }) => x.title), ['Second']);

      // Only project administrators change workflows; a dropped status still in use is refused.
      const wf = { statuses: [{ name: 'Open', category: 'open' }, { name: 'Done', category: 'done' }], transitions: { Open: ['Done'], Done: ['Open'] }, initial: 'Open' };
      assert.equal((await dev.put('/api/v1/projects/ACC/workflows/defect', wf)).status, 403);
      const inUse = await h.admin.put('/api/v1/projects/ACC/workflows/defect', wf);
      assert.equal(inUse.status, 409);
      assert.equal(inUse.body.error.code, 'status_in_use');
      assert.match(inUse.body.error.message, /"Verified"/);
      const bad = await h.admin.put('/api/v1/projects/ACC/workflows/defect', { ...wf, transitions: { Open: ['Nowhere'] } });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.code, 'unknown_transition_status');
      const renamed = await h.admin.put('/api/v1/projects/ACC/workflows/defect', { ...wf, renames: { Verified: 'Done' } });
      assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
      const moved = await dev.get(url);
      assert.equal(moved.body.status, 'Done');
      assert.equal(moved.body.statusCategory, 'done');
      assert.equal((await dev.patch(url, { status: 'Open' })).status, 200);

      // Renames happen at once: swapping two names swaps their records, it does not fold them into one.
      assert.equal((await dev.patch(url, { status: 'Done' })).status, 200);
      const swapped = await h.admin.put('/api/v1/projects/ACC/workflows/defect', { ...wf, renames: { Open: 'Done', Done: 'Open' } });
      assert.equal(swapped.status, 200, JSON.stringify(swapped.body));
      const after = await dev.get('/api/v1/projects/ACC/records?type=defect&sort=number&order=asc');
      assert.deepEqual(after.body.records.map((x: { title: string; status: string }) => [x.title, x.status]), [['Totals', 'Open'], ['Second', 'Done']]);
    });

    test('free-text statuses from before workflows are adopted: case variants become one status', async (t) => {
      const h = await startTestApp(t, kind);
      if (!h) return;
      await h.admin.post('/api/v1/projects', { key: 'OLD', name: 'Old project' });
      const dev = await h.user('dev', { project: 'OLD' });
      const db = h.running.ctx.store.db;
      const project = await db.selectFrom('projects').selectAll().where('key', '=', 'OLD').executeTakeFirstOrThrow();
      const user = await db.selectFrom('users').selectAll().where('username', '=', 'dev').executeTakeFirstOrThrow();
      const at = new Date().toISOString();
      // Records written by a version without workflows (no workflow row yet for their type).
      const statuses = ['In Progress', 'In progress', 'in progress', 'Waiting for customer', 'Waiting for customer', 'waiting for Customer'];
      await db
        .insertInto('records')
        .values(statuses.map((status, i) => ({ id: newId(), project_id: project.id, type: 'defect', number: i + 1, title: `Old ${i + 1}`, description: '', status, assignee_id: null, creator_id: user.id, created_at: at, updated_at: at, version: 1, priority: null, severity: null })))
        .execute();
      const list = await dev.get('/api/v1/projects/OLD/records?type=defect&sort=number&order=asc');
      assert.deepEqual(list.body.records.map((r: { status: string }) => r.status), ['In progress', 'In progress', 'In progress', 'Waiting for customer', 'Waiting for customer', 'Waiting for customer']);
      const wf = (await dev.get('/api/v1/projects/OLD/workflows')).body.workflows.find((w: { type: string }) => w.type === 'defect');
      const waiting = wf.statuses.find((s: { name: string }) => s.name === 'Waiting for customer');
      assert.deepEqual(waiting, { name: 'Waiting for customer', category: 'open' });
      assert.equal(wf.statuses.filter((s: { name: string }) => s.name.toLowerCase() === 'in progress').length, 1);
      assert.ok(wf.transitions['Waiting for customer'].includes('Fixed'), 'an adopted status may move anywhere');
      assert.ok(wf.transitions['In progress'].includes('Waiting for customer'));
      const stored = await db.selectFrom('records').select('status').where('project_id', '=', project.id).execute();
      assert.equal(new Set(stored.map((r) => r.status)).size, 2, 'the records themselves were folded');
    });

    test('priority, severity and custom fields: validated, filtered, sorted, in history and in templates', async (t) => {
      const h = await startTestApp(t, kind, { modules: [templatesModule] });
      if (!h) return;
      await h.admin.post('/api/v1/projects', { key: 'ACC', name: 'Accounting' });
      const dev = await h.user('dev', { project: 'ACC' });
      await h.user('qa', { project: 'ACC' });
      const field = (body: Record<string, unknown>) => h.admin.post('/api/v1/projects/ACC/fields', { recordType: 'defect', ...body });
      const customer = await field({ label: 'Customer', kind: 'text' });
      assert.equal(customer.status, 201);
      assert.equal(customer.body.key, 'customer');
      assert.equal((await field({ label: 'Affected users', kind: 'number' })).body.key, 'affectedUsers');
      assert.equal((await field({ label: 'Due', key: 'due', kind: 'date' })).status, 201);
      assert.equal((await field({ label: 'Platform', kind: 'multiChoice', options: ['iOS', 'Android', 'Web'] })).status, 201);
      assert.equal((await field({ label: 'Found in', key: 'foundIn', kind: 'choice', options: ['4.1', '4.2'] })).status, 201);
      assert.equal((await field({ label: 'Tester', kind: 'user' })).status, 201);
      assert.equal((await field({ label: 'Customer', kind: 'text' })).status, 409, 'one key per type');
      assert.equal((await field({ label: 'Broken', kind: 'choice' })).body.error.code, 'field_without_options');
      assert.equal((await field({ label: 'Status', key: 'status', kind: 'text' })).body.error.code, 'reserved_field_key');
      assert.equal((await dev.post('/api/v1/projects/ACC/fields', { recordType: 'defect', label: 'Nope', kind: 'text' })).status, 403);

      const add = (title: string, extra: Record<string, unknown>) => dev.post('/api/v1/projects/ACC/records', { type: 'defect', title, ...extra });
      const a = await add('A', { priority: 'low', severity: 'critical', fields: { customer: 'Northwind', affectedUsers: 12, platform: ['web', 'iOS'], due: '2026-12-24', tester: 'qa' } });
      assert.equal(a.status, 201, JSON.stringify(a.body));
      assert.deepEqual(a.body.fields, { customer: 'Northwind', affectedUsers: 12, platform: ['iOS', 'Web'], due: '2026-12-24', tester: 'qa' });
      const b = await add('B', { priority: 'urgent', fields: { customer: 'Contoso', affectedUsers: 3, foundIn: '4.2' } });
      assert.equal(b.status, 201);
      const c = await add('C', { priority: 'high', fields: { affectedUsers: 250 } });

      for (const [body, code] of [
        [{ fields: { affectedUsers: 'many' } }, 'invalid_field_value'],
        [{ fields: { due: '2026-02-30' } }, 'invalid_field_value'],
        [{ fields: { platform: ['Windows'] } }, 'invalid_field_value'],
        [{ fields: { tester: 'nobody' } }, 'invalid_field_value'],
        [{ fields: { colour: 'red' } }, 'unknown_field'],
        [{ priority: 'asap' }, 'invalid_request'],
      ] as const) {
        const res = await add('bad', body);
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.equal(res.body.error.code, code, JSON.stringify(res.body));
      }

      const list = (q: string) => dev.get(`/api/v1/projects/ACC/records?type=defect&${q}`).then((r) => (assert.equal(r.status, 200, JSON.stringify(r.body)), r.body.records.map((x: { title: string }) => x.title)));
      assert.deepEqual(await list('sort=priority&order=asc'), ['B', 'C', 'A']);
      assert.deepEqual(await list('sort=field:affectedUsers&order=desc'), ['C', 'A', 'B']);
      assert.deepEqual(await list('sort=field:customer&order=asc'), ['B', 'A', 'C'], 'records without a value sort last');
      assert.deepEqual(await list('field=customer:northwind'), ['A']);
      assert.deepEqual(await list('field=platform:Web&field=affectedUsers:12'), ['A']);
      assert.deepEqual(await list('severity=critical'), ['A']);
      assert.deepEqual(await list('priority=urgent'), ['B']);
      assert.equal((await dev.get('/api/v1/projects/ACC/records?field=colour:red')).body.error.code, 'unknown_field');

      const url = `/api/v1/projects/ACC/records/${a.body.id}`;
      const changed = await dev.patch(url, { fields: { customer: 'Northwind Traders', platform: null }, severity: 'minor' });
      assert.equal(changed.status, 200);
      assert.deepEqual(changed.body.fields, { customer: 'Northwind Traders', affectedUsers: 12, due: '2026-12-24', tester: 'qa' });
      const events = (await dev.get(`${url}/history`)).body.events;
      assert.deepEqual(events.at(-1).changes, [
        { field: 'severity', old: 'critical', new: 'minor' },
        { field: 'fields.customer', old: 'Northwind', new: 'Northwind Traders' },
        { field: 'fields.platform', old: 'iOS, Web', new: null },
      ]);

      const preview = await h.admin.post('/api/v1/projects/ACC/email-templates/preview', {
        recordId: a.body.id,
        subject: '{{ record.tag }} for {{ record.fields.customer }}',
        text: 'Priority {{ record.priority }}, severity {{ record.severity }}, {{ record.fields.affectedUsers }} users, due {{ record.fields.due }}.',
      });
      assert.equal(preview.status, 200, JSON.stringify(preview.body));
      assert.equal(preview.body.subject, 'ACC-D1 for Northwind Traders');
      assert.match(preview.body.text, /Priority low, severity minor, 12 users, due 2026-12-24\./);
      const rename = await h.admin.patch(`/api/v1/projects/ACC/fields/${customer.body.id}`, { label: 'Customer name' });
      assert.equal(rename.body.label, 'Customer name');
      assert.equal(rename.body.key, 'customer', 'the key stays');
      assert.equal((await h.admin.delete(`/api/v1/projects/ACC/fields/${customer.body.id}`)).status, 204);
      assert.equal((await dev.get(url)).body.fields.customer, undefined);
      assert.ok(c.body.id);
    });
  });
}
