import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Migrator, sql } from 'kysely';
import { createTrackingModule } from '../../src/inbound/index.js';
import { outboundModule } from '../../src/outbound/index.js';
import { Sender } from '../../src/outbound/sender.js';
import { fts5Query, searchTerms, snippetParts, tsQuery } from '../../src/search/query.js';
import { migrations } from '../../src/store/migrations/index.js';
import { migrateToLatest } from '../../src/store/db.js';
import { FakeMailbox } from '../inbound/fakeMailbox.js';
import { startTestApp, type ApiClient } from '../support/app.js';
import { SmtpSink } from '../support/smtpSink.js';
import { STORE_KINDS, freshStore, requirePostgres } from '../support/stores.js';

const TRACKING = 'tracking@example.test';
const CUSTOMER = 'customer@customer.example';

function reply(messageId: string, cookie: string, text: string): Buffer {
  return Buffer.from(
    [
      'MIME-Version: 1.0',
      'Date: Tue, 3 Mar 2026 10:15:02 +0100',
      `References: ${messageId}`,
      `In-Reply-To: ${messageId}`,
      `Message-ID: <reply-${cookie}@customer.example>`,
      'Subject: Re: Totals',
      `From: Customer Person <${CUSTOMER}>`,
      `To: ${TRACKING}`,
      'Content-Type: text/plain; charset=UTF-8',
      '',
      text,
      '',
      'On Tuesday you wrote:',
      '> quotedonlyword from the original',
      `> Mailtrail ref: ${cookie}`,
      '',
    ].join('\r\n'),
  );
}

type Result = {
  record: { tag: string; title: string };
  matchedBy: string;
  hit: { kind: string; id: string; snippet: { text: string; hit: boolean }[] } | null;
  matches: Record<string, number>;
};
const find = async (c: ApiClient, q: string, extra = ''): Promise<Result[]> => {
  const res = await c.get(`/api/v1/projects/ACC/search?q=${encodeURIComponent(q)}${extra}`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.results as Result[];
};
const tags = (rs: Result[]) => rs.map((r) => r.record.tag);
const hits = (r: Result) => r.hit!.snippet.filter((p) => p.hit).map((p) => p.text.toLowerCase());

describe('search terms', () => {
  test('only letters and digits survive; the last term is a prefix on both databases', () => {
    const t = searchTerms(`CSV "export" OR* NEAR(x) -drops's`);
    assert.deepEqual(t.words, ['csv', 'export', 'or', 'near', 'x', 'drops', 's']);
    assert.equal(fts5Query(searchTerms('csv expo')), '"csv" "expo"*');
    assert.equal(tsQuery(searchTerms('csv expo')), 'csv & expo:*');
    assert.deepEqual(searchTerms('  ——  ').words, []);
    assert.deepEqual(snippetParts('a \uE000b\uE001\uE000c\uE001 d'), [
      { text: 'a ', hit: false },
      { text: 'bc', hit: true },
      { text: ' d', hit: false },
    ]);
  });
});

for (const kind of STORE_KINDS) {
  describe(`search on ${kind}`, () => {
    test(
      'by id in every form, by stemmed and prefixed words, ranked, across types, within what the caller may view, current after edits',
      { timeout: 60_000 },
      async (t) => {
        const h = await startTestApp(t, kind);
        if (!h) return;
        await h.admin.post('/api/v1/projects', { key: 'ACC', name: 'Accounting' });
        await h.admin.post('/api/v1/projects', { key: 'OTH', name: 'Other' });
        const dev = await h.user('dev', { project: 'ACC' });
        const add = async (type: string, title: string, description = '') => {
          const r = await dev.post('/api/v1/projects/ACC/records', { type, title, description });
          assert.equal(r.status, 201, JSON.stringify(r.body));
          return r.body as { id: string; tag: string };
        };
        const d1 = await add('defect', 'Login page is slow', 'Takes ten seconds.');
        const d2 = await add('defect', 'CSV export drops the last row', 'Exporting invoices loses one line.');
        const r1 = await add('requirement', 'Invoices can be exported', 'Users export invoices as CSV files.');
        const d3 = await add('defect', 'Totals wrong', 'The export of totals is fine, the sum is not.');
        await h.admin.post('/api/v1/projects/OTH/records', { type: 'defect', title: 'CSV export elsewhere' });

        for (const q of ['ACC-D2', 'acc-d2', 'D2', 'd2']) assert.deepEqual(tags(await find(dev, q)).slice(0, 1), ['ACC-D2'], q);
        const hash = await find(dev, '#1');
        assert.deepEqual(tags(hash.filter((r) => r.matchedBy === 'id')).sort(), ['ACC-D1', 'ACC-R1'], 'a bare number is that number in every type');
        assert.deepEqual(tags(await find(dev, 'OTH-D1')), [], "another project's id is not this project's");

        // Stemming: "exports" finds export, exported, exporting; every record type; not the other project.
        const exp = await find(dev, 'exports');
        assert.deepEqual(tags(exp).sort(), ['ACC-D2', 'ACC-D3', 'ACC-R1']);
        assert.ok(exp.every((r) => r.matchedBy === 'text' && r.hit?.kind === 'record'));
        // Ranked: two title-and-body matches before a description-only one.
        assert.equal(exp[2]!.record.tag, 'ACC-D3');
        assert.ok(
          hits(exp[2]!).some((w) => w.startsWith('export')),
          JSON.stringify(exp[2]!.hit),
        );
        // Every word must match; the last one as a prefix.
        assert.deepEqual(tags(await find(dev, 'csv exp')).sort(), ['ACC-D2', 'ACC-R1']);
        assert.deepEqual(tags(await find(dev, 'csv login')), []);
        assert.deepEqual(tags(await find(dev, 'csv', '&type=requirement')), ['ACC-R1']);
        assert.deepEqual(tags(await find(dev, 'sec')), ['ACC-D1'], 'prefix: "sec" finds "seconds"');
        // Syntax of either engine is only text.
        assert.equal((await dev.get(`/api/v1/projects/ACC/search?q=${encodeURIComponent('csv" OR title:* NEAR( & | !')}`)).status, 200);
        assert.equal((await dev.get('/api/v1/projects/ACC/search?q=')).status, 400);

        // A user who may view only defects never sees a requirement.
        const group = await h.admin.post('/api/v1/projects/ACC/security-groups', { name: 'Defects only', commands: ['defects.view'] });
        assert.equal(group.status, 201);
        const viewer = await h.user('viewer', { project: 'ACC', group: 'Defects only' });
        assert.deepEqual(tags(await find(viewer, 'csv')), ['ACC-D2']);
        assert.deepEqual(tags(await find(viewer, 'R1')), []);
        assert.equal((await h.user('outsider')).token !== undefined, true);
        const outsider = await h.login('outsider', 'user-password-123');
        assert.equal((await outsider.get('/api/v1/projects/ACC/search?q=csv')).status, 404);

        // Writes keep the index current: an edited title and description are found by their new words only.
        assert.equal(
          (await dev.patch(`/api/v1/projects/ACC/records/${d1.id}`, { title: 'Sign-in page is sluggish', description: 'Twelve seconds now.' })).status,
          200,
        );
        assert.deepEqual(tags(await find(dev, 'login')), []);
        assert.deepEqual(tags(await find(dev, 'sluggish')), ['ACC-D1']);
        assert.deepEqual(tags(await find(dev, 'twelve')), ['ACC-D1']);
        // A record is also addressed by its readable id (the web client's /records/ACC-D2 pages).
        for (const ref of ['ACC-D2', 'D2', d2.id]) {
          const got = await dev.get(`/api/v1/projects/ACC/records/${ref}`);
          assert.equal(got.status, 200, ref);
          assert.equal(got.body.id, d2.id);
        }
        assert.equal((await dev.get('/api/v1/projects/ACC/records/ACC-D99')).status, 404);
        // Permission errors say what is not allowed, in words; the command is in details for scripts.
        const denied = await viewer.get(`/api/v1/projects/ACC/records/${r1.id}`);
        assert.equal(denied.status, 403);
        assert.equal(denied.body.error.code, 'missing_command');
        assert.match(denied.body.error.message, /^You are not allowed to see requirements in this project/);
        assert.equal(denied.body.error.details.command, 'requirements.view');
        void d3;
      },
    );

    test(
      'tracked email: a word only in a reply finds the record, quotes do not, deleted email stops matching, viewTrackedEmail is needed',
      { timeout: 60_000 },
      async (t) => {
        const sink = await new SmtpSink().start();
        t.after(() => sink.stop());
        const box = new FakeMailbox();
        const h = await startTestApp(t, kind, { modules: [outboundModule(), createTrackingModule({ pollOptions: { opener: box.opener } })] });
        if (!h) return;
        assert.equal((await h.admin.put('/api/v1/admin/email/sending', { host: '127.0.0.1', port: sink.port, security: 'none' })).status, 200);
        const put = await h.admin.put('/api/v1/admin/email/tracking', {
          protocol: 'pop3',
          host: 'mail.invalid',
          port: 110,
          security: 'none',
          username: 'tracking',
          password: 'secret-password',
          address: TRACKING,
          pollSeconds: 60,
          deleteUntracked: false,
        });
        assert.equal(put.status, 200);
        await h.admin.post('/api/v1/projects', { key: 'ACC', name: 'Accounting' });
        const dev = await h.user('dev', { project: 'ACC', email: 'dev@example.test' });
        const rec = await dev.post('/api/v1/projects/ACC/records', { type: 'defect', title: 'Totals' });
        const base = `/api/v1/projects/ACC/records/${rec.body.id}`;
        const sent = await dev.post(`${base}/emails`, { to: [CUSTOMER], subject: 'Totals', text: 'Could you check the ledger?' });
        assert.equal(sent.status, 202);
        const sender = new Sender(h.running.ctx);
        assert.equal(await sender.drain(), 1);
        const original = await h.running.ctx.store.db.selectFrom('emails').selectAll().where('id', '=', sent.body.id).executeTakeFirstOrThrow();
        box.add(reply(original.message_id!, original.cookie!, 'The spreadsheet says zebracorn, not totals.'));
        assert.equal((await h.admin.post('/api/v1/admin/email/tracking/poll')).body.imported, 1);
        await sender.drain();
        await sender.stop();

        const found = await find(dev, 'zebracorn');
        assert.deepEqual(tags(found), ['ACC-D1']);
        assert.equal(found[0]!.hit!.kind, 'email');
        assert.match((found[0]!.hit as { from?: string }).from ?? '', /customer@customer\.example/);
        assert.deepEqual(hits(found[0]!), ['zebracorn']);
        const replyId = found[0]!.hit!.id;
        assert.notEqual(replyId, sent.body.id);
        assert.deepEqual(tags(await find(dev, 'ledger')), ['ACC-D1'], 'the sent email is searchable too');
        assert.deepEqual(tags(await find(dev, 'quotedonlyword')), [], 'the quoted part of a reply is not indexed');
        const both = await find(dev, 'totals');
        assert.equal(both[0]!.matches['record'], 1);
        assert.ok((both[0]!.matches['email'] ?? 0) >= 2, JSON.stringify(both[0]!.matches));

        await h.admin.post('/api/v1/projects/ACC/security-groups', { name: 'No email', commands: ['defects.view'] });
        const quiet = await h.user('quiet', { project: 'ACC', group: 'No email' });
        assert.deepEqual(tags(await find(quiet, 'zebracorn')), [], 'email text needs viewTrackedEmail');
        assert.deepEqual(tags(await find(quiet, 'totals')), ['ACC-D1']);

        assert.equal((await h.admin.delete(`/api/v1/emails/${replyId}`)).status, 204);
        assert.deepEqual(tags(await find(dev, 'zebracorn')), [], 'a deleted email is no longer found');
      },
    );

    test('the migration indexes records and email that existed before it', { timeout: 60_000 }, async (t) => {
      if (kind === 'postgres' && !(await requirePostgres(t))) return;
      const s = await freshStore(kind);
      t.after(() => s.close());
      // freshStore migrated everything: go back to before search, write old rows, migrate again.
      const migrator = new Migrator({
        db: s.store.db,
        provider: { getMigrations: async () => migrations },
        ...(s.store.schema ? { migrationTableSchema: s.store.schema } : {}),
      });
      const names = Object.keys(migrations);
      const before = names[names.indexOf('2026_12_02_zzzzz_i16_search') - 1]!;
      const down = await migrator.migrateTo(before);
      assert.equal(down.error, undefined);
      const db = s.store.db;
      const at = new Date().toISOString();
      await db
        .insertInto('users')
        .values({
          id: 'u1',
          username: 'old',
          full_name: 'Old',
          email: 'old@example.test',
          password_hash: 'x',
          is_admin: 0,
          disabled: 0,
          created_at: at,
          updated_at: at,
        })
        .execute();
      await db
        .insertInto('projects')
        .values({
          id: 'p1',
          key: 'ACC',
          name: 'Accounting',
          sending_enabled: 1,
          tracking_enabled: 1,
          notification_name: 'N',
          notification_address: 'n@example.test',
          tracking_account_id: null,
          created_at: at,
          updated_at: at,
        })
        .execute();
      await db
        .insertInto('records')
        .values({
          id: 'r1',
          project_id: 'p1',
          type: 'defect',
          number: 1,
          title: 'Ancient defect',
          description: 'mentions a penguin',
          status: 'Open',
          assignee_id: null,
          creator_id: 'u1',
          created_at: at,
          updated_at: at,
          version: 1,
          priority: null,
          severity: null,
        })
        .execute();
      await migrateToLatest(s.store);
      const docs = await sql<{ kind: string; record_id: string }>`select kind, record_id from search_docs`.execute(db);
      assert.deepEqual(
        docs.rows.map((r) => [r.kind, r.record_id]),
        [['record', 'r1']],
      );
      const { matchDocs } = await import('../../src/search/search.repository.js');
      const m = await matchDocs(db, searchTerms('penguins'), { projectId: 'p1', types: ['defect'], emailTypes: [], limit: 10 });
      assert.deepEqual(
        m.map((d) => d.recordId),
        ['r1'],
      );
    });
  });
}
