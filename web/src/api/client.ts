/**
 * The one way the web client talks to the server: JSON over fetch, the session cookie rides
 * along, every state-changing call carries the CSRF token, errors become ApiError.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The route is not on this server (yet): features that are still being built show a calm note. */
  get notAvailable(): boolean {
    return this.status === 404 && this.code === 'route_not_found';
  }
}

let csrfToken: string | null = null;
let onUnauthorized: (() => void) | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when a request comes back 401 (the session ended elsewhere). */
export function setUnauthorizedHandler(handler: (() => void) | null): void {
  onUnauthorized = handler;
}

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export const API = '/api/v1';

interface ErrorPayload {
  error?: { code?: unknown; message?: unknown; details?: unknown };
}

async function toError(res: Response): Promise<ApiError> {
  let payload: ErrorPayload | null;
  try {
    payload = (await res.json()) as ErrorPayload;
  } catch {
    payload = null;
  }
  const e = payload?.error;
  const code = typeof e?.code === 'string' ? e.code : `http_${res.status}`;
  const message = typeof e?.message === 'string' ? e.message : `The server answered ${res.status} ${res.statusText}.`;
  const details = e?.details && typeof e.details === 'object' ? (e.details as Record<string, unknown>) : undefined;
  return new ApiError(res.status, code, message, details);
}

export async function request<T>(method: Method, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(API + path, {
      method,
      headers,
      credentials: 'same-origin',
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      ...(signal ? { signal } : {}),
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'network_error', 'Could not reach the server. Check your connection and try again.');
  }
  if (!res.ok) {
    const error = await toError(res);
    if (res.status === 401 && path !== '/auth/session' && path !== '/me') onUnauthorized?.();
    throw error;
  }
  if (res.status === 204) return undefined as T;
  const type = res.headers.get('content-type') ?? '';
  if (!type.includes('json')) return (await res.text()) as T;
  return (await res.json()) as T;
}

/** Sends a file as the request body (POST …/files?filename=): the bytes as they are, with their type. */
export async function uploadFile<T>(path: string, file: File): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', 'content-type': file.type || 'application/octet-stream' };
  if (csrfToken) headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(`${API}${path}${path.includes('?') ? '&' : '?'}filename=${encodeURIComponent(file.name)}`, { method: 'POST', headers, credentials: 'same-origin', body: file });
  } catch {
    throw new ApiError(0, 'network_error', 'Could not reach the server. Check your connection and try again.');
  }
  if (!res.ok) throw await toError(res);
  return (await res.json()) as T;
}

export const api = {
  get: <T>(path: string, signal?: AbortSignal) => request<T>('GET', path, undefined, signal),
  post: <T>(path: string, body: unknown = {}) => request<T>('POST', path, body),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, body),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
  del: <T = void>(path: string) => request<T>('DELETE', path),
};

/** Builds a query string from the defined, non-empty values. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

export const enc = encodeURIComponent;

/** A message for people, from anything thrown. */
export function messageOf(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * The API's complaints about single fields, for showing under the inputs of a form: the
 * validator's "Invalid request: body.title must NOT have …", `details.field` / `details.part`
 * (templates name the part and line), or a code that names the field (unknown_assignee,
 * empty_status, invalid_email). Only the `fields` the form shows are returned; a form shows the
 * whole error as a banner when none of them matched (see `unplaced`).
 */
export function fieldErrors(err: unknown, fields: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (!(err instanceof ApiError) || (err.status !== 400 && err.status !== 409)) return out;
  const shown = new Set(fields);
  const put = (field: string | undefined, message: string) => {
    if (field && shown.has(field) && !out[field]) out[field] = message;
  };
  const text = err.message.replace(/^Invalid request:\s*/, '').replace(/\.$/, '');
  for (const part of text.split('; ')) {
    // "body.notificationAccount.address must …": the innermost field, else the outer one.
    const m = /^body\.([A-Za-z0-9_.]+)\s+(.*)$/.exec(part);
    if (m?.[1] && m[2]) {
      const path = m[1].split('.').filter((x) => !/^\d+$/.test(x));
      put(path.at(-1), m[2]);
      put(path[0], m[2]);
    }
  }
  for (const key of ['field', 'part']) {
    const named = err.details?.[key];
    if (typeof named === 'string') put(named, err.message);
  }
  if (Object.keys(out).length === 0) {
    for (const word of err.code.split('_')) put(word === 'email' && shown.has('address') && !shown.has('email') ? 'address' : word, err.message);
  }
  return out;
}

/** The error when no field of the form took it: the form shows it as a banner instead. */
export function unplaced(err: unknown, placed: Record<string, string>): unknown {
  return err && Object.keys(placed).length === 0 ? err : null;
}
