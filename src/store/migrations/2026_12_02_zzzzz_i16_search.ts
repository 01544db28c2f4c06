import { PostgresAdapter, sql, type Kysely } from 'kysely';

// Frozen in time: never import app types here.
//
// Full-text search over records (title, description) and their tracked email (subject, and the
// new part of a reply — its quotes would make every reply match the email it answers). One
// row per searchable thing in `search_docs`, kept up to date by triggers on the tables it
// copies, so every way of writing a record or an email (API, import, poller, demo seeding, a
// script on the database) keeps search current without remembering to.
//
// SQLite: an FTS5 index with `search_docs` as its external content (doc_id is an INTEGER
// PRIMARY KEY, so VACUUM cannot renumber it), Porter stemming over unicode61.
// PostgreSQL: a stored tsvector column (English stemming, titles weighted A, bodies B) with a
// GIN index. Both stem English, so "exports" finds "export" on either database.
//
// Later kinds (comments, files) add their own triggers in their own migrations.

const EMAIL_BODY = `case when new.direction = 'inbound' and coalesce(new.reply_text, '') <> '' then new.reply_text else new.text_body end`;

export async function up(db: Kysely<unknown>): Promise<void> {
  const pg = db.getExecutor().adapter instanceof PostgresAdapter;
  const run = (text: string) => sql.raw(text).execute(db);

  await run(`create table search_docs (
    doc_id ${pg ? 'bigserial' : 'integer'} primary key,
    kind text not null,
    source_id text not null,
    record_id text not null,
    title text not null,
    body text not null
    ${pg ? `, tsv tsvector generated always as (setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', body), 'B')) stored` : ''}
  )`);
  await run(`create unique index search_docs_source on search_docs (kind, source_id)`);
  await run(`create index search_docs_record on search_docs (record_id)`);

  if (pg) {
    await run(`create index search_docs_tsv on search_docs using gin (tsv)`);
    await run(`create function search_records_sync() returns trigger language plpgsql as $$
      begin
        if tg_op = 'DELETE' then
          delete from search_docs where record_id = old.id;
          return old;
        end if;
        insert into search_docs (kind, source_id, record_id, title, body)
          values ('record', new.id, new.id, new.title, new.description)
          on conflict (kind, source_id) do update set title = excluded.title, body = excluded.body;
        return new;
      end $$`);
    await run(`create trigger search_records_sync after insert or update of title, description or delete on records
      for each row execute function search_records_sync()`);
    await run(`create function search_emails_sync() returns trigger language plpgsql as $$
      begin
        if tg_op = 'DELETE' or (tg_op = 'UPDATE' and new.deleted_at is not null) then
          delete from search_docs where kind = 'email' and source_id = old.id;
          return coalesce(new, old);
        end if;
        if tg_op = 'UPDATE' and new.id <> old.id then
          delete from search_docs where kind = 'email' and source_id = old.id;
        end if;
        if new.deleted_at is not null then return new; end if;
        insert into search_docs (kind, source_id, record_id, title, body)
          values ('email', new.id, new.record_id, new.subject, ${EMAIL_BODY})
          on conflict (kind, source_id) do update set record_id = excluded.record_id, title = excluded.title, body = excluded.body;
        return new;
      end $$`);
    await run(`create trigger search_emails_sync after insert or update of id, record_id, subject, text_body, reply_text, deleted_at or delete on emails
      for each row execute function search_emails_sync()`);
  } else {
    await run(`create virtual table search_fts using fts5(title, body, content='search_docs', content_rowid='doc_id', tokenize='porter unicode61 remove_diacritics 2')`);
    // The documented external-content triggers: the index follows search_docs.
    await run(`create trigger search_docs_ai after insert on search_docs begin
      insert into search_fts (rowid, title, body) values (new.doc_id, new.title, new.body);
    end`);
    await run(`create trigger search_docs_ad after delete on search_docs begin
      insert into search_fts (search_fts, rowid, title, body) values ('delete', old.doc_id, old.title, old.body);
    end`);
    await run(`create trigger search_docs_au after update on search_docs begin
      insert into search_fts (search_fts, rowid, title, body) values ('delete', old.doc_id, old.title, old.body);
      insert into search_fts (rowid, title, body) values (new.doc_id, new.title, new.body);
    end`);
    await run(`create trigger search_records_ai after insert on records begin
      insert into search_docs (kind, source_id, record_id, title, body) values ('record', new.id, new.id, new.title, new.description);
    end`);
    await run(`create trigger search_records_au after update of title, description on records begin
      update search_docs set title = new.title, body = new.description where kind = 'record' and source_id = new.id;
    end`);
    await run(`create trigger search_records_ad after delete on records begin
      delete from search_docs where record_id = old.id;
    end`);
    await run(`create trigger search_emails_ai after insert on emails when new.deleted_at is null begin
      insert into search_docs (kind, source_id, record_id, title, body) values ('email', new.id, new.record_id, new.subject, ${EMAIL_BODY});
    end`);
    // Both ids: an update that renames the email (a restore that re-keys rows) must not meet its own copy.
    await run(`create trigger search_emails_au after update of id, record_id, subject, text_body, reply_text, deleted_at on emails begin
      delete from search_docs where kind = 'email' and source_id in (old.id, new.id);
      insert into search_docs (kind, source_id, record_id, title, body)
        select 'email', new.id, new.record_id, new.subject, ${EMAIL_BODY} where new.deleted_at is null;
    end`);
    await run(`create trigger search_emails_ad after delete on emails begin
      delete from search_docs where kind = 'email' and source_id = old.id;
    end`);
  }

  // Backfill what exists (the triggers above fill the FTS5 index row by row).
  await run(`insert into search_docs (kind, source_id, record_id, title, body) select 'record', id, id, title, description from records`);
  await run(`insert into search_docs (kind, source_id, record_id, title, body)
    select 'email', id, record_id, subject, ${EMAIL_BODY.replaceAll('new.', '')} from emails where deleted_at is null`);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const pg = db.getExecutor().adapter instanceof PostgresAdapter;
  const run = (text: string) => sql.raw(text).execute(db);
  if (pg) {
    await run(`drop trigger search_emails_sync on emails`);
    await run(`drop trigger search_records_sync on records`);
    await run(`drop function search_emails_sync()`);
    await run(`drop function search_records_sync()`);
  } else {
    for (const t of ['search_emails_ad', 'search_emails_au', 'search_emails_ai', 'search_records_ad', 'search_records_au', 'search_records_ai']) await run(`drop trigger ${t}`);
    await run(`drop table search_fts`);
  }
  await run(`drop table search_docs`);
}
