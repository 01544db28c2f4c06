import type { Kysely } from 'kysely';

// Frozen in time: never import app types here.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('notification_rules')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('record_types', 'text', (c) => c.notNull()) // JSON array; empty = all
    .addColumn('conditions', 'text', (c) => c.notNull()) // JSON object
    .addColumn('recipients', 'text', (c) => c.notNull()) // JSON array of recipient specs
    .addColumn('template', 'text', (c) => c.notNull())
    .addColumn('tracked', 'integer', (c) => c.notNull())
    .addColumn('notify_actor', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('notification_rules_project').on('notification_rules').column('project_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('notification_rules').execute();
}
