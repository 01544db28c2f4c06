/**
 * The one error family of Mailtrail. Domain code throws AppError with a snake_case code;
 * the HTTP layer turns it into `{"error":{"code","message"}}` with the status below.
 * Expected outcomes of mail processing are values (result unions), not errors.
 */
export type ErrorKind = 'bad_request' | 'unauthorized' | 'forbidden' | 'not_found' | 'conflict' | 'too_many_requests' | 'unavailable' | 'internal';

const statusOfKind: Record<ErrorKind, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_many_requests: 429,
  unavailable: 503,
  internal: 500,
};

export class AppError extends Error {
  readonly kind: ErrorKind;
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;

  constructor(kind: ErrorKind, code: string, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'AppError';
    this.kind = kind;
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return statusOfKind[this.kind];
  }
}

export const badRequest = (code: string, message: string, details?: Record<string, unknown>) => new AppError('bad_request', code, message, details);
export const unauthorized = (message = 'Authentication required.') => new AppError('unauthorized', 'unauthorized', message);
export const forbidden = (code: string, message: string) => new AppError('forbidden', code, message);
export const notFound = (code: string, message: string) => new AppError('not_found', code, message);
export const conflict = (code: string, message: string) => new AppError('conflict', code, message);
