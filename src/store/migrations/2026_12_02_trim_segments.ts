import type { Kysely } from 'kysely';

// Frozen in time: never import app types here.
export async function up(db: Kysely<unknown>): Promise<void> {
  // JSON array of {kind: 'reply' | 'quote', text}: a bottom-posted or interleaved reply in
  // order, so the web client can show each quoted question above its answer. Null for
  // top-posted replies, replies without a quote and outbound mail.
  await db.schema.alterTable('emails').addColumn('reply_segments', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('emails').dropColumn('reply_segments').execute();
}
