import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Metrics } from './metrics.js';
import type { DNSResolver } from 'mailauth';
import type { BlobStore } from '../store/blobs.js';
import type { RecordEvent, RecordMail, RecordNote } from '../domain/record.js';
import type { Store, Tx } from '../store/db.js';

/** What every service needs: the store, the config and the logger. */
export interface AppContext {
  store: Store;
  config: Config;
  log: Logger;
  /** Raw messages and attachments, by content hash (the folder or the database: store/blobs.ts). */
  blobs: BlobStore;
  /** Prometheus series of this process (absent in tools and hand-built test contexts). */
  metrics?: Metrics;
  /**
   * The record-change hooks of the running server (notification rules, …), for changes made
   * outside HTTP: records created from email, commands by email, reopen on reply. Set by
   * startServer; absent in a bare context (the CLI), where such changes fire no hooks.
   */
  recordEventHandlers?: readonly RecordEventHandler[];
  /** The hooks on email filed on a record or bounced (inbound/pipeline.ts tellRecord), set like recordEventHandlers. */
  recordMailHandlers?: readonly RecordMailHandler[];
  /**
   * DNS for the SPF/DKIM/DMARC check of inbound mail (inbound/mailAuth.ts); absent: the system's
   * name servers through a small cache. Tests pass a stub so they run offline.
   */
  mailAuthResolver?: DNSResolver;
}

/** The signed-in user on whose behalf a service acts. */
export interface Caller {
  userId: string;
  username: string;
  isAdmin: boolean;
}

/** Runs inside the transaction that changed the record, so its own writes commit with the change. */
export type RecordEventHandler = (tx: Tx, event: RecordEvent) => Promise<void>;

/** Runs inside the transaction of a comment added or edited, like a RecordEventHandler. */
export type RecordNoteHandler = (tx: Tx, note: RecordNote) => Promise<void>;

/** Runs inside the transaction that filed the email (or the bounce), like a RecordEventHandler. */
export type RecordMailHandler = (tx: Tx, mail: RecordMail) => Promise<void>;
