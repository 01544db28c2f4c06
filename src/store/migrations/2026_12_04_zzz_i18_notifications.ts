import type { Kysely } from 'kysely';

// Frozen in time: never import app types here.
//
// Personal notifications (issue 18): one row per person and thing that happened to a record
// they follow (mentioned, assigned, a change or a comment on a record they watch). The row is
// the in-app inbox (read_at) and the delivery plan (delivery, email_state): sent at once, batched
// by the debounce window, gathered into the daily digest, or only shown in the app. The unique
// (user_id, source_key) is what makes "once per comment per person" and "once per change" hold
// across retries and several processes. notification_settings holds each person's choices per
// project (a JSON object event → delivery, the digest hour).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('notifications')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('record_id', 'text', (c) => c.notNull().references('records.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('source_key', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('summary', 'text', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('delivery', 'text', (c) => c.notNull())
    .addColumn('email_state', 'text', (c) => c.notNull())
    .addColumn('email_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('read_at', 'text')
    .addUniqueConstraint('notifications_once', ['user_id', 'source_key'])
    .execute();
  await db.schema.createIndex('notifications_inbox').on('notifications').columns(['user_id', 'read_at', 'created_at']).execute();
  await db.schema.createIndex('notifications_due').on('notifications').columns(['email_state', 'delivery', 'created_at']).execute();

  await db.schema
    .createTable('notification_settings')
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('events', 'text', (c) => c.notNull())
    .addColumn('digest_hour', 'integer', (c) => c.notNull())
    .addColumn('last_digest_at', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('notification_settings_pk', ['user_id', 'project_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('notification_settings').execute();
  await db.schema.dropTable('notifications').execute();
}
