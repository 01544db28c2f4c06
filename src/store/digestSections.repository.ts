import type { Executor } from './db.js';

/**
 * Table of migration 2026_12_05_i18_digests: one record section of a daily digest. The digest
 * itself is one tracked email (on its first section's record); each section is a tracked email
 * of its own on its own record, never sent alone, whose cookie its "Reply about" link carries.
 */
export type DigestSectionsTable = {
  digest_email_id: string;
  section_email_id: string;
  record_id: string;
  /** The record's tag when the digest was sent (`DEMO-D42`): what a reply names it by. */
  record_tag: string;
  position: number;
};

const digestDb = (db: Executor) => db.withTables<{ digest_sections: DigestSectionsTable }>();

export async function insertDigestSections(db: Executor, rows: DigestSectionsTable[]): Promise<void> {
  if (rows.length > 0) await digestDb(db).insertInto('digest_sections').values(rows).execute();
}

/** The sections of a digest email in the order it shows them; none when the email is no digest. */
export async function sectionsOfDigest(db: Executor, digestEmailId: string): Promise<DigestSectionsTable[]> {
  return digestDb(db).selectFrom('digest_sections').selectAll().where('digest_email_id', '=', digestEmailId).orderBy('position').execute();
}
