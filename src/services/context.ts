import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/metrics.js';
import type { DNSResolver } from 'mailauth';
import type { BlobStore } from '../store/blobs.js';
import type { Store } from '../store/db.js';
import type { RecordEventHandler } from './records.service.js';

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
