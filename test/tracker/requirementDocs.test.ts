import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startTestApp, type ApiClient } from '../support/app.js';
import { STORE_KINDS } from '../support/stores.js';

type Item = { id: string; number: number; requirement: { id: string; tag: string; title: string; status: string } };
type Event = { kind: string; actor: string | null; changes: { field: string; old: string | null; new: string | null }[] };

const history = async (c: ApiClient, id: string) => (await c.get(`/api/v1/projects/DOC/records/${id}/history`)).body.events as Event[];

for (const kind of STORE_KINDS) {
  describe(`requirement documents on ${kind}`, () => {
    test('an ordered list of requirements: add in place, remove, reorder; wrong types refused; several documents; history', { timeout: 90_000 }, async (t) => {
      const h = await startTestApp(t, kind);
      if (!h) return;
      await h.admin.post('/api/v1/projects', { key: 'DOC', name: 'Docs' });
      await h.admin.post('/api/v1/projects', { key: 'OTH', name: 'Other' });
      const dev = await h.user('dev', { project: 'DOC' });
      const add = async (type: string, title: string) => (await dev.post('/api/v1/projects/DOC/records', { type, title })).body as { id: string; tag: string };
      const doc = await add('requirementDocument', 'Portal 2.4');
      const other = await add('requirementDocument', 'Security baseline');
      const r1 = await add('requirement', 'CSV export');
      const r2 = await add('requirement', 'Single sign-on');
      const r3 = await add('requirement', 'Audit log');
      const defect = await add('defect', 'Export drops a row');
      const url = `/api/v1/projects/DOC/records/${doc.id}/requirements`;
      const list = async () => ((await dev.get(url)).body.items as Item[]).map((i) => `${i.number} ${i.requirement.tag}`);

      const first = await dev.post(url, { requirement: 'DOC-R1' });
      assert.equal(first.status, 201, JSON.stringify(first.body));
      assert.equal(first.body.requirement.title, 'CSV export');
      assert.equal(first.body.requirement.status, 'Open');
      await dev.post(url, { requirement: r3.id });
      assert.equal(
        (await dev.post(`/api/v1/projects/DOC/records/${doc.tag}/requirements`, { requirement: 'R2', number: 2 })).status,
        201,
        'by tag, at place 2',
      );
      assert.deepEqual(await list(), ['1 DOC-R1', '2 DOC-R2', '3 DOC-R3']);

      // Wrong types and bad input: clear errors, nothing lost.
      const notReq = await dev.post(url, { requirement: defect.tag });
      assert.equal(notReq.status, 400);
      assert.equal(notReq.body.error.code, 'not_a_requirement');
      assert.match(notReq.body.error.message, /DOC-D1 is a defect; only requirements go into DOC-RD1/);
      const notDoc = await dev.post(`/api/v1/projects/DOC/records/${r1.id}/requirements`, { requirement: r2.id });
      assert.equal(notDoc.body.error.code, 'not_a_requirement_document');
      assert.equal((await dev.post(url, { requirement: 'DOC-R99' })).body.error.code, 'unknown_requirement');
      const twice = await dev.post(url, { requirement: r2.tag });
      assert.equal(twice.status, 409);
      assert.equal(twice.body.error.code, 'already_in_document');
      assert.deepEqual(await list(), ['1 DOC-R1', '2 DOC-R2', '3 DOC-R3']);

      // One requirement, several documents.
      assert.equal((await dev.post(`/api/v1/projects/DOC/records/${other.id}/requirements`, { requirement: r2.id })).status, 201);
      const docsOfR2 = (await dev.get(`/api/v1/projects/DOC/records/${r2.id}/documents`)).body.documents as { tag: string; number: number }[];
      assert.deepEqual(
        docsOfR2.map((d) => `${d.tag}#${d.number}`),
        ['DOC-RD1#2', 'DOC-RD2#1'],
      );
      assert.equal((await dev.get(`/api/v1/projects/DOC/records/${doc.id}/documents`)).body.error.code, 'not_a_requirement');

      // Reorder: a whole permutation or nothing.
      const items = (await dev.get(url)).body.items as Item[];
      const order = [items[2]!.id, items[0]!.id, items[1]!.id];
      const reordered = await dev.put(`${url}/order`, { order });
      assert.equal(reordered.status, 200, JSON.stringify(reordered.body));
      assert.deepEqual(
        reordered.body.items.map((i: Item) => i.requirement.tag),
        ['DOC-R3', 'DOC-R1', 'DOC-R2'],
      );
      assert.deepEqual(await list(), ['1 DOC-R3', '2 DOC-R1', '3 DOC-R2'], 'the order is kept');
      const stale = await dev.put(`${url}/order`, { order: [order[0], order[1]] });
      assert.equal(stale.status, 409);
      assert.equal(stale.body.error.code, 'order_mismatch');
      assert.equal((await dev.put(`${url}/order`, { order: [...order.slice(0, 2), '01kj0000000000000000000000'] })).body.error.code, 'order_mismatch');
      assert.deepEqual(await list(), ['1 DOC-R3', '2 DOC-R1', '3 DOC-R2']);

      // Remove: the others move up; the requirement itself stays, in its other document too.
      assert.equal((await dev.delete(`${url}/${items[1]!.id}`)).status, 204);
      assert.deepEqual(await list(), ['1 DOC-R3', '2 DOC-R1']);
      assert.equal((await dev.get(`/api/v1/projects/DOC/records/${r2.id}`)).status, 200);
      assert.deepEqual(
        ((await dev.get(`/api/v1/projects/DOC/records/${r2.id}/documents`)).body.documents as { tag: string }[]).map((d) => d.tag),
        ['DOC-RD2'],
      );
      assert.equal((await dev.delete(`${url}/${items[1]!.id}`)).body.error.code, 'item_not_found');

      // History on both ends, without bumping the document's version.
      const docEvents = (await history(dev, doc.id)).filter((e) => e.kind !== 'created');
      assert.deepEqual(
        docEvents.map((e) => e.kind),
        ['requirement.added', 'requirement.added', 'requirement.added', 'requirements.reordered', 'requirement.removed'],
      );
      assert.equal(docEvents[0]!.changes[0]!.new, 'DOC-R1 CSV export');
      assert.equal(docEvents[3]!.changes[0]!.old, '1. DOC-R1 CSV export\n2. DOC-R2 Single sign-on\n3. DOC-R3 Audit log');
      assert.equal(docEvents[3]!.changes[0]!.new, '1. DOC-R3 Audit log\n2. DOC-R1 CSV export\n3. DOC-R2 Single sign-on');
      assert.equal(docEvents[4]!.changes[0]!.old, 'DOC-R2 Single sign-on');
      assert.ok(docEvents.every((e) => e.actor === 'dev'));
      const r2Events = (await history(dev, r2.id)).filter((e) => e.kind.startsWith('document.'));
      assert.deepEqual(
        r2Events.map((e) => `${e.kind} ${e.changes[0]!.new ?? e.changes[0]!.old}`),
        ['document.added DOC-RD1 Portal 2.4', 'document.added DOC-RD2 Security baseline', 'document.removed DOC-RD1 Portal 2.4'],
      );
      assert.equal((await dev.get(`/api/v1/projects/DOC/records/${doc.id}`)).body.version, 1);

      // Permissions: viewers read, change nothing; non-members see nothing at all.
      const viewer = await h.user('viewer', { project: 'DOC', group: 'Viewers' });
      assert.equal((await viewer.get(url)).body.items.length, 2);
      const refused = await viewer.post(url, { requirement: r2.id });
      assert.equal(refused.status, 403);
      assert.match(refused.body.error.message, /not allowed to change requirement documents/);
      assert.equal((await viewer.put(`${url}/order`, { order: [order[1], order[0]] })).status, 403);
      const outsider = await h.user('outsider', { project: 'OTH', group: 'Administrators' });
      for (const res of [
        await outsider.get(url),
        await outsider.post(url, { requirement: r2.id }),
        await outsider.put(`${url}/order`, { order: [] }),
        await outsider.get(`/api/v1/projects/DOC/records/${r1.id}/documents`),
      ]) {
        assert.equal(res.status, 404);
        assert.equal(res.body.error.code, 'project_not_found');
      }
      assert.deepEqual(await list(), ['1 DOC-R3', '2 DOC-R1']);
      // A group that may edit documents but not see requirements cannot put unseen records in.
      await h.admin.post('/api/v1/projects/DOC/security-groups', { name: 'Doc editors', commands: ['requirementDocuments.view', 'requirementDocuments.edit'] });
      const docOnly = await h.user('doconly', { project: 'DOC', group: 'Doc editors' });
      const blind = await docOnly.post(url, { requirement: r2.id });
      assert.equal(blind.status, 403);
      assert.match(blind.body.error.message, /not allowed to see requirements/);
    });
  });
}
