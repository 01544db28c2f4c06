import { enc } from './api/client';

/**
 * Where a record lives in the web client: by its readable id, /projects/DEMO/records/DEMO-D4
 * (an address people can read out and share; the old /records/<internal id> form redirects here).
 */
export function recordPath(projectKey: string, record: { tag: string }, opts: { tab?: 'email' } = {}): string {
  return `/projects/${enc(projectKey)}/records/${enc(record.tag)}${opts.tab ? `?tab=${opts.tab}` : ''}`;
}

export function searchPath(projectKey: string, q: string): string {
  return `/projects/${enc(projectKey)}/search?q=${encodeURIComponent(q)}`;
}

/** Text that reads as a record id (DEMO-D4, D4, TC12, #4): Enter in the jump box opens the record. */
export function looksLikeRecordId(text: string): boolean {
  return /^\s*(?:[A-Za-z][A-Za-z0-9]*-)?(?:RD|TC|TR|D|R|#)\d{1,9}\s*$/i.test(text);
}
