import { sql, type Kysely } from 'kysely';

// Frozen in time: never import app types here.
// The claim query looks only at pending entries; a partial index keeps it from scanning and
// sorting the whole backlog (done and failed rows pile up over time) for every batch.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('outbox_pending_due')
    .on('outbox')
    .columns(['next_attempt_at', 'id'])
    .where(sql.ref('state'), '=', sql.lit('pending'))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('outbox_pending_due').execute();
}
