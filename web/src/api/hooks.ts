import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { ApiError, api } from './client';

export interface Resource<T> {
  data: T | undefined;
  error: ApiError | Error | undefined;
  loading: boolean;
  /** Fetches again; keeps showing the old data meanwhile. */
  reload: () => Promise<void>;
  setData: (update: T | ((old: T | undefined) => T)) => void;
}

/**
 * GETs `path` (null: nothing to load) and re-fetches whenever it changes. With `keep`, the old
 * data stays on screen while the new path loads (lists whose filters change), instead of clearing.
 */
export function useResource<T>(path: string | null, opts: { keep?: boolean } = {}): Resource<T> {
  const keep = opts.keep === true;
  const [data, setDataState] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | Error | undefined>(undefined);
  const [loading, setLoading] = useState<boolean>(path !== null);
  const current = useRef<string | null>(path);
  current.current = path;

  const load = useCallback(
    async (signal?: AbortSignal) => {
      if (path === null) {
        setLoading(false);
        return;
      }
      setLoading(true);
      try {
        const result = await api.get<T>(path, signal);
        if (current.current !== path || signal?.aborted) return;
        setDataState(result);
        setError(undefined);
      } catch (err) {
        if (signal?.aborted || current.current !== path) return;
        if (err instanceof DOMException && err.name === 'AbortError') return;
        setError(err instanceof Error ? err : new Error(String(err)));
      } finally {
        if (current.current === path && !signal?.aborted) setLoading(false);
      }
    },
    [path],
  );

  useEffect(() => {
    const ctrl = new AbortController();
    if (!keep) setDataState(undefined);
    setError(undefined);
    void load(ctrl.signal);
    return () => ctrl.abort();
  }, [load, keep]);

  const reload = useCallback(() => load(), [load]);
  const setData = useCallback((update: T | ((old: T | undefined) => T)) => {
    setDataState((old) => (typeof update === 'function' ? (update as (o: T | undefined) => T)(old) : update));
  }, []);
  return { data, error, loading, reload, setData };
}

/** Runs `fn` every `ms` while `active`. */
export function useInterval(fn: () => void, ms: number, active: boolean): void {
  const saved = useRef(fn);
  saved.current = fn;
  useEffect(() => {
    if (!active) return;
    const id = window.setInterval(() => saved.current(), ms);
    return () => window.clearInterval(id);
  }, [ms, active]);
}

/** The value, `ms` after it last changed. */
export function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const id = window.setTimeout(() => setV(value), ms);
    return () => window.clearTimeout(id);
  }, [value, ms]);
  return v;
}

export interface Submit {
  busy: boolean;
  /** What the last run threw, until the next run starts. */
  error: unknown;
  /** A form's onSubmit: prevents the page load, then runs `action` once at a time. */
  handler: (action: () => Promise<void>) => (e: FormEvent) => Promise<void>;
}

/** The busy flag and error of a form that posts to the API: one place for the try/finally every form wrote. */
export function useSubmit(): Submit {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const handler = useCallback(
    (action: () => Promise<void>) => async (e: FormEvent) => {
      e.preventDefault();
      setBusy(true);
      setError(null);
      try {
        await action();
      } catch (err) {
        setError(err);
      } finally {
        setBusy(false);
      }
    },
    [],
  );
  return { busy, error, handler };
}
