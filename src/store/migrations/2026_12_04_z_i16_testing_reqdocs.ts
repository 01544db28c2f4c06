import { PostgresAdapter, sql, type Kysely } from 'kysely';

// Frozen in time: never import app types here.
//
// Type-specific content (issue 16, item 3):
// - test_steps: a test case's steps (action, expected result), in order;
// - test_runs: what a test run record adds (the test case it ran, an overridden overall result);
// - test_run_steps: the steps as they were when the run was made (a later edit of the test case
//   does not rewrite what was tested), each with its result and the actual result text;
// - requirement_doc_items: the ordered requirements of a requirement document (a requirement
//   may sit in several documents, once in each).
// Steps (action and expected) and actual results are searchable as kind 'step' of search_docs
// (migration 2026_12_02_zzzzz_i16_search), by triggers like the ones there.
export async function up(db: Kysely<unknown>): Promise<void> {
  const pg = db.getExecutor().adapter instanceof PostgresAdapter;
  const run = (text: string) => sql.raw(text).execute(db);

  await db.schema
    .createTable('test_steps')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('record_id', 'text', (c) => c.notNull().references('records.id').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('expected', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('test_steps_record').on('test_steps').columns(['record_id', 'position']).execute();

  await db.schema
    .createTable('test_runs')
    .addColumn('record_id', 'text', (c) => c.primaryKey().references('records.id').onDelete('cascade'))
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('test_case_id', 'text', (c) => c.references('records.id').onDelete('set null'))
    .addColumn('override_result', 'text')
    .addColumn('override_reason', 'text')
    .addColumn('override_by', 'text', (c) => c.references('users.id'))
    .addColumn('override_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('test_runs_case').on('test_runs').column('test_case_id').execute();

  await db.schema
    .createTable('test_run_steps')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('run_id', 'text', (c) => c.notNull().references('records.id').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('source_step_id', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('expected', 'text', (c) => c.notNull())
    .addColumn('result', 'text', (c) => c.notNull().defaultTo('notRun'))
    .addColumn('actual', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('updated_by', 'text', (c) => c.references('users.id'))
    .addColumn('updated_at', 'text')
    .execute();
  await db.schema.createIndex('test_run_steps_run').on('test_run_steps').columns(['run_id', 'position']).execute();

  await db.schema
    .createTable('requirement_doc_items')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('document_id', 'text', (c) => c.notNull().references('records.id').onDelete('cascade'))
    .addColumn('requirement_id', 'text', (c) => c.notNull().references('records.id').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('added_by', 'text', (c) => c.references('users.id'))
    .addColumn('added_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('requirement_doc_items_once', ['document_id', 'requirement_id'])
    .execute();
  await db.schema.createIndex('requirement_doc_items_doc').on('requirement_doc_items').columns(['document_id', 'position']).execute();
  await db.schema.createIndex('requirement_doc_items_req').on('requirement_doc_items').column('requirement_id').execute();

  // search_docs kind 'step': a test case step (action and expected), a run step's actual result.
  const kinds = [
    { table: 'test_steps', record: 'record_id', body: (r: string) => `${r}.action || ' ' || ${r}.expected`, when: (_r: string) => 'true', columns: 'action, expected' },
    { table: 'test_run_steps', record: 'run_id', body: (r: string) => `${r}.actual`, when: (r: string) => `${r}.actual <> ''`, columns: 'actual' },
  ];
  for (const k of kinds) {
    const val = (r: string) => `'step', ${r}.id, ${r}.${k.record}, '', ${k.body(r)}`;
    if (pg) {
      await run(`create function search_${k.table}_sync() returns trigger language plpgsql as $$
        begin
          delete from search_docs where kind = 'step' and source_id = old.id;
          if tg_op <> 'DELETE' and ${k.when('new')} then
            insert into search_docs (kind, source_id, record_id, title, body) values (${val('new')});
          end if;
          return coalesce(new, old);
        end $$`);
      await run(`create function search_${k.table}_insert() returns trigger language plpgsql as $$
        begin
          if ${k.when('new')} then
            insert into search_docs (kind, source_id, record_id, title, body) values (${val('new')});
          end if;
          return new;
        end $$`);
      await run(`create trigger search_${k.table}_insert after insert on ${k.table} for each row execute function search_${k.table}_insert()`);
      await run(`create trigger search_${k.table}_sync after update of ${k.columns} or delete on ${k.table} for each row execute function search_${k.table}_sync()`);
    } else {
      await run(`create trigger search_${k.table}_ai after insert on ${k.table} when ${k.when('new')} begin
        insert into search_docs (kind, source_id, record_id, title, body) values (${val('new')});
      end`);
      await run(`create trigger search_${k.table}_au after update of ${k.columns} on ${k.table} begin
        delete from search_docs where kind = 'step' and source_id in (old.id, new.id);
        insert into search_docs (kind, source_id, record_id, title, body) select ${val('new')} where ${k.when('new')};
      end`);
      await run(`create trigger search_${k.table}_ad after delete on ${k.table} begin
        delete from search_docs where kind = 'step' and source_id = old.id;
      end`);
    }
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const pg = db.getExecutor().adapter instanceof PostgresAdapter;
  const run = (text: string) => sql.raw(text).execute(db);
  await run(`delete from search_docs where kind = 'step'`);
  for (const t of ['requirement_doc_items', 'test_run_steps', 'test_runs', 'test_steps']) await db.schema.dropTable(t).execute();
  if (pg) for (const t of ['test_steps', 'test_run_steps']) for (const f of ['sync', 'insert']) await run(`drop function search_${t}_${f}()`);
}
