import { createHmac } from 'node:crypto';

/**
 * The backup file: a POSIX tar (tar.ts) whose entries come in this order —
 *
 *   mailtrail-backup.json          the manifest (format, version, source, migrations, tables)
 *   blobs/<sha256>                 every raw message and attachment, one entry each
 *   tables/<table>/<nnnnnn>.ndjson the rows, a page at a time, tables referenced tables first
 *   summary.json                   rows per table and blob count: a file without it is cut short
 *
 * Rows are JSON objects, one a line; a binary value is `{"$b64": "…"}`. Blobs come before rows
 * so a restore can store them first and insert every row in one transaction after.
 */
export const FORMAT = 'mailtrail-backup';
export const VERSION = 1;
export const MANIFEST = 'mailtrail-backup.json';
export const SUMMARY = 'summary.json';
export const BLOB_PREFIX = 'blobs/';
export const TABLE_PREFIX = 'tables/';
/** A page of rows is written once it holds this many bytes or PAGE_ROWS rows. */
export const PAGE_BYTES = 4 * 1024 * 1024;
export const PAGE_ROWS = 1000;

export interface Manifest {
  format: typeof FORMAT;
  version: typeof VERSION;
  createdAt: string;
  source: { dialect: 'sqlite' | 'postgres'; blobs: 'folder' | 'database'; mailtrail: string };
  migrations: string[];
  tables: string[];
  /**
   * HMAC of a constant under MAILTRAIL_SECRET: stored mail passwords and tracking cookies need
   * the same secret, and the restore refuses another one rather than restore what it cannot read.
   */
  secretCheck: string;
}

export interface Summary {
  rows: Record<string, number>;
  blobs: number;
  blobBytes: number;
}

export function secretCheck(secret: string): string {
  return createHmac('sha256', secret).update('mailtrail-backup-secret-check').digest('hex').slice(0, 16);
}

export function pageName(table: string, page: number): string {
  return `${TABLE_PREFIX}${table}/${String(page).padStart(6, '0')}.ndjson`;
}

export type Row = Record<string, unknown>;

/** A database value as JSON: binary as base64, dates as ISO text, bigints as numbers. */
export function encodeValue(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return { $b64: value.toString('base64') };
  if (value instanceof Uint8Array) return { $b64: Buffer.from(value).toString('base64') };
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return Number(value);
  return value;
}

export function decodeValue(value: unknown, dialect: 'sqlite' | 'postgres'): unknown {
  if (value !== null && typeof value === 'object' && '$b64' in value && typeof value.$b64 === 'string') return Buffer.from(value.$b64, 'base64');
  // SQLite binds no booleans; the schema keeps booleans as 0/1 on both, this is for safety.
  if (typeof value === 'boolean' && dialect === 'sqlite') return value ? 1 : 0;
  if (value !== null && typeof value === 'object') return JSON.stringify(value);
  return value;
}
