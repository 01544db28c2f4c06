import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { freshStore, requirePostgres, STORE_KINDS } from '../../test/support/stores.js';
import { seedAllProjects, seedStandardTemplates } from '../templates/seed.js';
import { STANDARD_TEMPLATES } from '../templates/standard.js';
import { openStore } from './db.js';
import { insertProject } from './projects.repository.js';
import * as repo from './templates.repository.js';

const at = '2026-11-27T10:00:00.000Z';
const project = (id: string, key: string) => ({
  id,
  key,
  name: key,
  sending_enabled: 1,
  tracking_enabled: 1,
  notification_name: '',
  notification_address: '',
  tracking_account_id: null,
  created_at: at,
  updated_at: at,
});

for (const kind of STORE_KINDS) {
  describe(`email template storage on ${kind}`, () => {
    test('start-up seeding is idempotent, concurrent-safe and keeps project templates that use a standard name', async (t) => {
      if (kind === 'postgres' && !(await requirePostgres(t))) return;
      const s = await freshStore(kind);
      t.after(() => s.close());
      const db = s.store.db;
      await insertProject(db, project('p1', 'ONE'));
      await insertProject(db, project('p2', 'TWO'));
      await repo.insertTemplate(db, {
        id: 'custom',
        project_id: 'p2',
        name: 'Status update',
        subject: 'mine',
        text_body: 'mine',
        html_body: null,
        record_types: '[]',
        is_standard: 0,
        created_at: at,
        updated_at: at,
      });

      // Two "processes" starting at once on the same database.
      const second = await openStore(s.db.config, { poolSize: 4 });
      t.after(() => second.close());
      await Promise.all([seedAllProjects(db), seedAllProjects(second.db), seedStandardTemplates(db, 'p1'), seedStandardTemplates(second.db, 'p1')]);
      await seedAllProjects(db);

      const one = await repo.listTemplates(db, 'p1');
      assert.deepEqual(one.map((r) => r.name).sort(), STANDARD_TEMPLATES.map((x) => x.name).sort());
      assert.ok(one.every((r) => r.is_standard === 1));
      const two = await repo.listTemplates(db, 'p2');
      assert.equal(two.length, STANDARD_TEMPLATES.length);
      const mine = two.find((r) => r.name === 'Status update');
      assert.deepEqual({ id: mine?.id, is_standard: mine?.is_standard, subject: mine?.subject }, { id: 'custom', is_standard: 0, subject: 'mine' });

      assert.deepEqual(await repo.projectsMissingStandardTemplates(db, STANDARD_TEMPLATES.length), ['p2']);
      assert.equal(await repo.insertTemplate(db, { ...mine!, id: 'again' }), false, 'a taken name is reported, not thrown');
    });

    test('templates go with their project', async (t) => {
      if (kind === 'postgres' && !(await requirePostgres(t))) return;
      const s = await freshStore(kind);
      t.after(() => s.close());
      const db = s.store.db;
      await insertProject(db, project('p1', 'ONE'));
      await seedStandardTemplates(db, 'p1');
      await db.deleteFrom('projects').where('id', '=', 'p1').execute();
      assert.equal((await repo.listTemplates(db, 'p1')).length, 0);
    });
  });
}
