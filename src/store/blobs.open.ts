import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.js';
import type { BlobBackend, BlobStore } from './blobs.js';
import { DatabaseBlobStore } from './blobs.database.js';
import { FolderBlobStore } from './blobs.folder.js';
import type { Store } from './db.js';

/** The database on PostgreSQL, the folder on SQLite, unless MAILTRAIL_BLOBS says otherwise. */
export function blobBackendOf(config: Pick<Config, 'blobs' | 'database'>): BlobBackend {
  return config.blobs ?? (config.database.kind === 'postgres' ? 'database' : 'folder');
}

export function openBlobBackend(backend: BlobBackend, config: Pick<Config, 'dataDir'>, store: Store, opts: { fallback?: boolean } = {}): BlobStore {
  if (backend === 'folder') return new FolderBlobStore(config.dataDir);
  // Blobs written to the folder before a move to the database stay readable from there until
  // `mailtrail blobs migrate --to database` has copied them.
  const folder =
    opts.fallback !== false && config.dataDir !== '' && existsSync(join(config.dataDir, 'blobs')) ? new FolderBlobStore(config.dataDir) : undefined;
  return new DatabaseBlobStore(store.blobDb ?? store.db, folder, { ownConnections: store.blobDb !== undefined, slicedReads: store.dialect === 'postgres' });
}

export async function openBlobStore(config: Pick<Config, 'blobs' | 'database' | 'dataDir'>, store: Store): Promise<BlobStore> {
  const blobs = openBlobBackend(blobBackendOf(config), config, store);
  if (blobs instanceof DatabaseBlobStore) await blobs.sweep();
  return blobs;
}

/**
 * Copies every blob of `from` that `to` lacks, one stream at a time; the source is left as it
 * was (remove the folder by hand once the server runs on the new backend).
 */
export async function migrateBlobs(
  from: BlobStore,
  to: BlobStore,
  onProgress?: (copied: number, skipped: number) => void,
): Promise<{ copied: number; skipped: number; bytes: number }> {
  let copied = 0;
  let skipped = 0;
  let bytes = 0;
  for await (const key of from.keys()) {
    if (await to.has(key)) {
      skipped++;
    } else {
      const ref = await to.put(from.stream(key));
      if (ref.key !== key) throw new Error(`blob ${key} read back as ${ref.key}: the source is damaged`);
      copied++;
      bytes += ref.size;
    }
    onProgress?.(copied, skipped);
  }
  return { copied, skipped, bytes };
}
