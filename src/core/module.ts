import type { FastifyInstance } from 'fastify';
import type { AppContext, RecordEventHandler, RecordMailHandler, RecordNoteHandler } from './context.js';

/** A background task of the server process (sender, poller, …). */
export interface Worker {
  name: string;
  stop(): Promise<void>;
}

/**
 * A feature that plugs into the server: its routes, its hooks on record changes, its workers,
 * and what it adds to a new database. Keeps server start-up one list instead of a tangle.
 */
export interface Module {
  name: string;
  routes?: (app: FastifyInstance) => Promise<void>;
  recordEventHandlers?: (ctx: AppContext) => RecordEventHandler[];
  /** Hooks on comments added or edited, run inside their transaction. */
  recordNoteHandlers?: (ctx: AppContext) => RecordNoteHandler[];
  /** Hooks on email filed on a record or bounced, run inside the filing transaction. */
  recordMailHandlers?: (ctx: AppContext) => RecordMailHandler[];
  /** Runs once after migrations on every start (idempotent), before the HTTP server listens. */
  prepare?: (ctx: AppContext) => Promise<void>;
  /** Starts background work; only when config.workers is on. */
  start?: (ctx: AppContext, app: FastifyInstance) => Promise<Worker | undefined>;
}
