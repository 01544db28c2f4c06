import { pino, type Logger } from 'pino';

export type { Logger };

/** The one logger. JSON lines to stdout; `LOG_LEVEL=silent` in tests. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { pid: process.pid }, redact: ['req.headers.authorization', 'req.headers.cookie', '*.password'] });
}

export const silentLogger: Logger = pino({ level: 'silent' });
