import type { Kysely } from 'kysely';

// Frozen in time: never import app types here.
//
// Watchers of a record (issue 18): one row per person who chose to watch it (watching = 1) or
// chose not to (watching = 0). The assignee and the creator watch without a row of their own;
// a row with watching = 0 is how they opt out, and it holds until they watch again.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('record_watchers')
    .addColumn('record_id', 'text', (c) => c.notNull().references('records.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('watching', 'integer', (c) => c.notNull())
    .addColumn('added_by', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('record_watchers_pk', ['record_id', 'user_id'])
    .execute();
  await db.schema.createIndex('record_watchers_user').on('record_watchers').columns(['user_id', 'watching']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('record_watchers').execute();
}
