import type { FastifyError, FastifyInstance } from 'fastify';
import { AppError } from '../errors.js';

export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

export function errorBody(code: string, message: string, details?: Record<string, unknown>): ErrorBody {
  return { error: details ? { code, message, details } : { code, message } };
}

const MAX_VALIDATION_ERRORS = 5;
const clip = (text: string): string => (text.length > 120 ? `${text.slice(0, 120)}…` : text);

/** One error handler: AppErrors keep their code, validation errors become 400s, 5xx details stay in the log. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | AppError | Error, request, reply) => {
    if (err instanceof AppError) {
      return reply.status(err.status).send(errorBody(err.code, err.message, err.details));
    }
    const fe = err as FastifyError;
    if (fe.validation) {
      const where = fe.validationContext ?? 'body';
      // Bounded: the message echoes names from the request, which an attacker chooses.
      const detail = fe.validation
        .slice(0, MAX_VALIDATION_ERRORS)
        .map((v) => {
          const path = clip(`${where}${v.instancePath.replace(/\//g, '.')}`);
          if (v.keyword === 'additionalProperties') return `${path} has an unknown field "${clip(String(v.params.additionalProperty))}"`;
          return `${path} ${clip(v.message ?? 'is invalid')}`;
        })
        .join('; ');
      return reply.status(400).send(errorBody('invalid_request', `Invalid request: ${detail}.`));
    }
    const status = fe.statusCode ?? 500;
    if (status >= 500) {
      request.log.error({ err }, 'request failed');
      return reply.status(status).send(errorBody('internal_error', 'Something went wrong on the server; the error is in the server log.'));
    }
    const code = fe.code ? fe.code.replace(/^FST_ERR_/, '').toLowerCase() : 'bad_request';
    return reply.status(status).send(errorBody(code, fe.message));
  });
}
