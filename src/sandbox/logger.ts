/**
 * The slice of pino the sandbox uses, so callers can pass the app's pino logger (or a child of
 * it) and tests can pass nothing. Kept structural so the sandbox does not depend on pino itself.
 */
export interface SandboxLogger {
  debug(obj: Record<string, unknown>, msg?: string): void;
  info(obj: Record<string, unknown>, msg?: string): void;
  warn(obj: Record<string, unknown>, msg?: string): void;
  error(obj: Record<string, unknown>, msg?: string): void;
}

const noop = (): void => {};

export const silentLogger: SandboxLogger = { debug: noop, info: noop, warn: noop, error: noop };
