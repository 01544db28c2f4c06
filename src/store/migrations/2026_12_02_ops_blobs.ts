import { PostgresAdapter, type Kysely } from 'kysely';

// Frozen in time: never import app types here.
export async function up(db: Kysely<unknown>): Promise<void> {
  // The database blob backend (store/blobs.database.ts). A blob is listed in `blobs` only once
  // all its chunks are written, in the same transaction: whole or absent. Chunks of a streamed
  // upload sit under a temporary key ("tmp:<time>:<random>") until its hash is known.
  const bytes = db.getExecutor().adapter instanceof PostgresAdapter ? 'bytea' : 'blob';
  await db.schema
    .createTable('blobs')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('chunk_bytes', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('blob_chunks')
    .addColumn('blob_key', 'text', (c) => c.notNull())
    .addColumn('idx', 'integer', (c) => c.notNull())
    .addColumn('data', bytes, (c) => c.notNull())
    .addPrimaryKeyConstraint('blob_chunks_pk', ['blob_key', 'idx'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('blob_chunks').execute();
  await db.schema.dropTable('blobs').execute();
}
