import { PostgresAdapter, sql, type Kysely } from 'kysely';

// Frozen in time: never import app types here.
//
// Links between records (one row per link, read from both ends), comments (internal notes, with
// the @mentioned usernames kept for notifications), and files on a record (bytes in the blob
// store, named by SHA-256). Comments and file names become searchable through search_docs
// (migration 2026_12_02_zzzzz_i16_search), by triggers like the ones there.
export async function up(db: Kysely<unknown>): Promise<void> {
  const pg = db.getExecutor().adapter instanceof PostgresAdapter;
  const run = (text: string) => sql.raw(text).execute(db);

  await db.schema
    .createTable('record_links')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('from_id', 'text', (c) => c.notNull().references('records.id').onDelete('cascade'))
    .addColumn('to_id', 'text', (c) => c.notNull().references('records.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.references('users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('record_links_once', ['from_id', 'to_id', 'kind'])
    .execute();
  await db.schema.createIndex('record_links_to').on('record_links').column('to_id').execute();

  await db.schema
    .createTable('record_comments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('record_id', 'text', (c) => c.notNull().references('records.id').onDelete('cascade'))
    .addColumn('author_id', 'text', (c) => c.references('users.id'))
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('mentions', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('deleted_at', 'text')
    .execute();
  await db.schema.createIndex('record_comments_record').on('record_comments').columns(['record_id', 'created_at']).execute();

  await db.schema
    .createTable('record_files')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('record_id', 'text', (c) => c.notNull().references('records.id').onDelete('cascade'))
    .addColumn('filename', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('blob', 'text', (c) => c.notNull())
    .addColumn('uploaded_by', 'text', (c) => c.references('users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('deleted_at', 'text')
    .execute();
  await db.schema.createIndex('record_files_record').on('record_files').columns(['record_id', 'created_at']).execute();

  // search_docs for comments (their text) and files (their names).
  const kinds = [
    { table: 'record_comments', kind: 'comment', title: `''`, body: 'body', columns: 'body, deleted_at' },
    { table: 'record_files', kind: 'file', title: 'filename', body: `''`, columns: 'filename, deleted_at' },
  ];
  for (const k of kinds) {
    const val = (row: string) => `'${k.kind}', ${row}.id, ${row}.record_id, ${k.title === `''` ? `''` : `${row}.${k.title}`}, ${k.body === `''` ? `''` : `${row}.${k.body}`}`;
    if (pg) {
      await run(`create function search_${k.kind}_sync() returns trigger language plpgsql as $$
        begin
          delete from search_docs where kind = '${k.kind}' and source_id = old.id;
          if tg_op <> 'DELETE' and new.deleted_at is null then
            insert into search_docs (kind, source_id, record_id, title, body) values (${val('new')})
              on conflict (kind, source_id) do update set title = excluded.title, body = excluded.body;
          end if;
          return coalesce(new, old);
        end $$`);
      // INSERT has no OLD row: a statement of its own that only inserts.
      await run(`create function search_${k.kind}_insert() returns trigger language plpgsql as $$
        begin
          if new.deleted_at is null then
            insert into search_docs (kind, source_id, record_id, title, body) values (${val('new')});
          end if;
          return new;
        end $$`);
      await run(`create trigger search_${k.kind}_insert after insert on ${k.table} for each row execute function search_${k.kind}_insert()`);
      await run(`create trigger search_${k.kind}_sync after update of ${k.columns} or delete on ${k.table} for each row execute function search_${k.kind}_sync()`);
    } else {
      await run(`create trigger search_${k.kind}_ai after insert on ${k.table} when new.deleted_at is null begin
        insert into search_docs (kind, source_id, record_id, title, body) values (${val('new')});
      end`);
      await run(`create trigger search_${k.kind}_au after update of ${k.columns} on ${k.table} begin
        delete from search_docs where kind = '${k.kind}' and source_id in (old.id, new.id);
        insert into search_docs (kind, source_id, record_id, title, body) select ${val('new')} where new.deleted_at is null;
      end`);
      await run(`create trigger search_${k.kind}_ad after delete on ${k.table} begin
        delete from search_docs where kind = '${k.kind}' and source_id = old.id;
      end`);
    }
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const pg = db.getExecutor().adapter instanceof PostgresAdapter;
  const run = (text: string) => sql.raw(text).execute(db);
  await run(`delete from search_docs where kind in ('comment', 'file')`);
  for (const t of ['record_files', 'record_comments', 'record_links']) await db.schema.dropTable(t).execute();
  if (pg) for (const k of ['comment', 'file']) for (const f of ['sync', 'insert']) await run(`drop function search_${k}_${f}()`);
}
