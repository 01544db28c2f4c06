import type { Kysely } from 'kysely';

// Frozen in time: never import app types here.
// Records carry a version so a stale edit is refused instead of silently overwriting another
// person's change; each history event notes the version it produced, so a refused editor can be
// shown exactly what changed since the version they started from.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('records').addColumn('version', 'integer', (c) => c.notNull().defaultTo(1)).execute();
  await db.schema.alterTable('record_events').addColumn('version', 'integer').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('record_events').dropColumn('version').execute();
  await db.schema.alterTable('records').dropColumn('version').execute();
}
