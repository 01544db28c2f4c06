import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mentionedNames } from '../../src/comments/mentions.js';
import { startTestApp, type ApiClient } from '../support/app.js';
import { STORE_KINDS } from '../support/stores.js';

const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360f8cfc0f01f0005000201a5f3ae4b0000000049454e44ae426082',
  'hex',
);

async function upload(c: ApiClient, path: string, filename: string, type: string, bytes: Buffer) {
  const res = await c.app.inject({
    method: 'POST',
    url: `${path}?filename=${encodeURIComponent(filename)}`,
    headers: { authorization: `Bearer ${c.token}`, 'content-type': type },
    payload: bytes,
  });
  return { status: res.statusCode, body: JSON.parse(res.body) };
}

describe('mentions', () => {
  test('@name after a space or line start; an email address is not a mention', () => {
    assert.deepEqual(mentionedNames('@ann see this, cc (@Bob.) and mail carl@example.com'), ['ann', 'bob']);
    assert.deepEqual(mentionedNames('no one'), []);
  });
});

for (const kind of STORE_KINDS) {
  describe(`links, comments and files on ${kind}`, () => {
    test('links show on both ends in their own words, need edit here and view there, are noted in both histories', { timeout: 60_000 }, async (t) => {
      const h = await startTestApp(t, kind);
      if (!h) return;
      await h.admin.post('/api/v1/projects', { key: 'ACC', name: 'Accounting' });
      const dev = await h.user('dev', { project: 'ACC' });
      const add = async (type: string, title: string) => (await dev.post('/api/v1/projects/ACC/records', { type, title })).body as { id: string; tag: string };
      const defect = await add('defect', 'Totals wrong');
      const req = await add('requirement', 'Totals add up');
      const tc = await add('testCase', 'Sum of three lines');
      const dup = await add('defect', 'Totals wrong again');
      const links = (id: string) => `/api/v1/projects/ACC/records/${id}/links`;

      const blocks = await dev.post(links(defect.id), { kind: 'blocks', to: 'ACC-R1' });
      assert.equal(blocks.status, 201, JSON.stringify(blocks.body));
      assert.equal(blocks.body.label, 'blocks');
      assert.equal(blocks.body.record.tag, 'ACC-R1');
      assert.equal((await dev.post(links(tc.id), { kind: 'tests', to: req.id })).status, 201);
      assert.equal((await dev.post(links(dup.id), { kind: 'duplicates', to: 'D1' })).status, 201);
      // Asked from the other end: stored once, read the right way round from each.
      assert.equal((await dev.post(links(req.id), { kind: 'relates', to: 'ACC-D2' })).status, 201);
      assert.equal((await dev.post(links(dup.id), { kind: 'relates', to: 'ACC-R1' })).status, 409, 'relates is one link whichever end made it');
      assert.equal((await dev.post(links(defect.id), { kind: 'blocks', to: 'ACC-R1' })).body.error.code, 'link_exists');
      assert.equal((await dev.post(links(defect.id), { kind: 'relates', to: 'ACC-D1' })).body.error.code, 'link_to_itself');
      assert.equal((await dev.post(links(defect.id), { kind: 'relates', to: 'ACC-D99' })).body.error.code, 'unknown_link_target');
      assert.equal((await dev.post(links(defect.id), { kind: 'fixes', to: 'ACC-R1' })).status, 400);

      const fromReq = (await dev.get(links(req.id))).body.links as { label: string; as: string; record: { tag: string } }[];
      assert.deepEqual(
        fromReq.map((l) => `${l.label} ${l.record.tag}`),
        ['is blocked by ACC-D1', 'is tested by ACC-TC1', 'relates to ACC-D2'],
      );
      assert.deepEqual(
        fromReq.map((l) => l.as),
        ['blockedBy', 'testedBy', 'relates'],
      );
      const fromDefect = (await dev.get(links(defect.id))).body.links as { label: string; record: { tag: string } }[];
      assert.deepEqual(
        fromDefect.map((l) => `${l.label} ${l.record.tag}`),
        ['blocks ACC-R1', 'is duplicated by ACC-D2'],
      );
      // blockedBy from the defect's side is the same stored link kind, the other way round.
      const blockedBy = await dev.post(links(dup.id), { kind: 'blockedBy', to: 'ACC-TC1' });
      assert.equal(blockedBy.body.label, 'is blocked by');
      assert.equal((await dev.get(links(tc.id))).body.links.find((l: { record: { tag: string } }) => l.record.tag === 'ACC-D2').label, 'blocks');

      // Both histories.
      const hist = async (id: string) =>
        (
          (await dev.get(`/api/v1/projects/ACC/records/${id}/history`)).body.events as {
            kind: string;
            actor: string;
            changes: { new: string | null; old: string | null }[];
          }[]
        ).filter((e) => e.kind.startsWith('link.'));
      assert.deepEqual(
        (await hist(defect.id)).map((e) => e.changes[0]!.new),
        ['blocks ACC-R1', 'is duplicated by ACC-D2'],
      );
      assert.deepEqual(
        (await hist(req.id)).map((e) => [e.actor, e.changes[0]!.new]),
        [
          ['dev', 'is blocked by ACC-D1'],
          ['dev', 'is tested by ACC-TC1'],
          ['dev', 'relates to ACC-D2'],
        ],
      );
      // The version does not move: an editor who opened the record before can still save.
      assert.equal((await dev.get(`/api/v1/projects/ACC/records/${defect.id}`)).body.version, 1);

      // Permissions: a defects-only viewer sees no link to a requirement and cannot add links.
      await h.admin.post('/api/v1/projects/ACC/security-groups', { name: 'Defect viewers', commands: ['defects.view'] });
      const viewer = await h.user('viewer', { project: 'ACC', group: 'Defect viewers' });
      assert.deepEqual(
        (await viewer.get(links(defect.id))).body.links.map((l: { record: { tag: string } }) => l.record.tag),
        ['ACC-D2'],
      );
      const refused = await viewer.post(links(defect.id), { kind: 'relates', to: 'ACC-D2' });
      assert.equal(refused.status, 403);
      assert.match(refused.body.error.message, /not allowed to change defects/);

      // Removing from either end removes it for both, and both histories say so.
      const linkId = fromDefect.length && (await dev.get(links(defect.id))).body.links[0].id;
      assert.equal((await dev.delete(`${links(req.id)}/${linkId}`)).status, 204);
      assert.deepEqual(
        (await dev.get(links(defect.id))).body.links.map((l: { record: { tag: string } }) => l.record.tag),
        ['ACC-D2'],
      );
      assert.equal((await hist(defect.id)).at(-1)!.changes[0]!.old, 'blocks ACC-R1');
      assert.equal((await hist(req.id)).at(-1)!.kind, 'link.removed');
      assert.equal((await dev.delete(`${links(tc.id)}/${linkId}`)).status, 404);
    });

    test('comments: Markdown kept as written, @mentions of members stored, author-only edits, history and search', { timeout: 60_000 }, async (t) => {
      const h = await startTestApp(t, kind);
      if (!h) return;
      await h.admin.post('/api/v1/projects', { key: 'ACC', name: 'Accounting' });
      const ann = await h.user('ann', { project: 'ACC' });
      const bob = await h.user('bob', { project: 'ACC' });
      await h.user('stranger');
      const rec = (await ann.post('/api/v1/projects/ACC/records', { type: 'defect', title: 'Totals' })).body as { id: string };
      const url = `/api/v1/projects/ACC/records/${rec.id}/comments`;
      const body = 'Checked with **finance**: the <script>alert(1)</script> rounding is wrong.\n\n@bob can you look? cc @stranger @nobody ann@example.com';
      const c = await ann.post(url, { body });
      assert.equal(c.status, 201, JSON.stringify(c.body));
      assert.equal(c.body.body, body, 'stored as written; the client renders it without HTML');
      assert.deepEqual(c.body.mentions, ['bob'], 'only members are mentions');
      assert.equal(c.body.author, 'ann');
      assert.equal((await ann.post(url, { body: '   ' })).status, 400);

      const list = (await bob.get(url)).body.comments;
      assert.equal(list.length, 1);
      const edit = await bob.patch(`${url}/${c.body.id}`, { body: 'mine now' });
      assert.equal(edit.status, 403);
      assert.equal(edit.body.error.code, 'not_your_comment');
      const edited = await ann.patch(`${url}/${c.body.id}`, { body: 'Rounding is wrong in **finance**; @bob please check.' });
      assert.equal(edited.status, 200);
      assert.deepEqual(edited.body.mentions, ['bob']);

      const found = (await bob.get('/api/v1/projects/ACC/search?q=rounding')).body.results;
      assert.equal(found.length, 1);
      assert.equal(found[0].hit.kind, 'comment');
      assert.ok(found[0].hit.snippet.some((p: { hit: boolean; text: string }) => p.hit && /rounding/i.test(p.text)));

      const events = (await ann.get(`/api/v1/projects/ACC/records/${rec.id}/history`)).body.events as { kind: string; actor: string }[];
      assert.deepEqual(
        events.map((e) => e.kind),
        ['created', 'comment.added'],
      );
      assert.equal((await bob.delete(`${url}/${c.body.id}`)).status, 403);
      assert.equal((await ann.delete(`${url}/${c.body.id}`)).status, 204);
      assert.deepEqual((await ann.get(url)).body.comments, []);
      assert.equal((await bob.get('/api/v1/projects/ACC/search?q=rounding')).body.results.length, 0, 'a deleted comment is not found');
      assert.equal((await ann.get(`/api/v1/projects/ACC/records/${rec.id}/history`)).body.events.at(-1).kind, 'comment.deleted');
    });

    test('files: upload bytes, list, download exactly, preview only images and PDF, remove; history and search by name', { timeout: 60_000 }, async (t) => {
      const h = await startTestApp(t, kind);
      if (!h) return;
      await h.admin.post('/api/v1/projects', { key: 'ACC', name: 'Accounting' });
      const dev = await h.user('dev', { project: 'ACC' });
      const rec = (await dev.post('/api/v1/projects/ACC/records', { type: 'defect', title: 'Totals' })).body as { id: string };
      const base = `/api/v1/projects/ACC/records/${rec.id}/files`;
      const png = await upload(dev, base, 'screenshot of totals.png', 'image/png', PNG);
      assert.equal(png.status, 201, JSON.stringify(png.body));
      assert.equal(png.body.size, PNG.length);
      assert.equal(png.body.previewable, true);
      const html = await upload(dev, base, '../../evil.html', 'text/html; charset=utf-8', Buffer.from('<script>alert(1)</script>'));
      assert.equal(html.status, 201);
      assert.equal(html.body.filename, 'evil.html', 'no folders in names');
      assert.equal(html.body.previewable, false);
      assert.equal((await upload(dev, base, 'empty.txt', 'text/plain', Buffer.alloc(0))).status, 400);

      const list = (await dev.get(base)).body.files as { id: string; filename: string }[];
      assert.deepEqual(
        list.map((f) => f.filename),
        ['screenshot of totals.png', 'evil.html'],
      );
      const get = (id: string, q = '') =>
        h.app.inject({ method: 'GET', url: `/api/v1/projects/ACC/files/${id}${q}`, headers: { authorization: `Bearer ${dev.token}` } });
      const dl = await get(png.body.id);
      assert.equal(dl.statusCode, 200);
      assert.deepEqual(dl.rawPayload, PNG);
      assert.match(String(dl.headers['content-disposition']), /^attachment; .*filename\*=UTF-8''screenshot%20of%20totals\.png/);
      const preview = await get(png.body.id, '?inline=1');
      assert.match(String(preview.headers['content-disposition']), /^inline/);
      assert.equal(preview.headers['content-type'], 'image/png');
      assert.match(String(preview.headers['content-security-policy']), /sandbox/);
      const htmlPreview = await get(html.body.id, '?inline=1');
      assert.match(String(htmlPreview.headers['content-disposition']), /^attachment/, 'HTML is never shown inline');
      assert.equal(htmlPreview.headers['content-type'], 'application/octet-stream');

      const found = (await dev.get('/api/v1/projects/ACC/search?q=screenshot')).body.results;
      assert.equal(found[0]?.hit.kind, 'file');
      await h.user('outsider');
      const outsider = await h.login('outsider', 'user-password-123');
      assert.equal((await outsider.get(`/api/v1/projects/ACC/files/${png.body.id}`)).status, 404);

      assert.equal((await dev.delete(`/api/v1/projects/ACC/files/${html.body.id}`)).status, 204);
      assert.deepEqual(
        (await dev.get(base)).body.files.map((f: { filename: string }) => f.filename),
        ['screenshot of totals.png'],
      );
      assert.equal((await get(html.body.id)).statusCode, 404);
      const events = (await dev.get(`/api/v1/projects/ACC/records/${rec.id}/history`)).body.events as {
        kind: string;
        changes: { old: string | null; new: string | null }[];
      }[];
      assert.deepEqual(
        events.filter((e) => e.kind.startsWith('file.')).map((e) => [e.kind, e.changes[0]!.new ?? e.changes[0]!.old]),
        [
          ['file.added', 'screenshot of totals.png'],
          ['file.added', 'evil.html'],
          ['file.removed', 'evil.html'],
        ],
      );
    });
  });
}
