import type { Kysely } from 'kysely';

// Frozen in time: never import app types here.
// Workflows per project and record type (statuses with a category, transitions, initial status)
// are one JSON document each. Free-text statuses of older records are adopted into their
// type's workflow the first time it is read (src/tracker/workflows.service.ts), by the same
// code every process runs, so this migration only adds the tables.
// Priority and severity are columns of the record; custom field values are rows of their own
// (one per choice of a multi-choice field), so filters and sorts are plain indexed SQL on both
// databases.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('records').addColumn('priority', 'text').execute();
  await db.schema.alterTable('records').addColumn('severity', 'text').execute();

  await db.schema
    .createTable('workflows')
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('record_type', 'text', (c) => c.notNull())
    .addColumn('definition', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('workflows_pk', ['project_id', 'record_type'])
    .execute();

  await db.schema
    .createTable('custom_fields')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('record_type', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('options', 'text', (c) => c.notNull())
    .addColumn('required', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('custom_fields_key', ['project_id', 'record_type', 'key'])
    .execute();

  await db.schema
    .createTable('record_field_values')
    .addColumn('record_id', 'text', (c) => c.notNull().references('records.id').onDelete('cascade'))
    .addColumn('field_id', 'text', (c) => c.notNull().references('custom_fields.id').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('value_text', 'text', (c) => c.notNull())
    .addColumn('value_number', 'double precision')
    .addPrimaryKeyConstraint('record_field_values_pk', ['record_id', 'field_id', 'position'])
    .execute();
  await db.schema.createIndex('record_field_values_field').on('record_field_values').columns(['field_id', 'value_text']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('record_field_values').execute();
  await db.schema.dropTable('custom_fields').execute();
  await db.schema.dropTable('workflows').execute();
  await db.schema.alterTable('records').dropColumn('severity').execute();
  await db.schema.alterTable('records').dropColumn('priority').execute();
}
