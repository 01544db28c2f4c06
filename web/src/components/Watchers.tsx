import { useState } from 'react';
import { api, enc } from '../api/client';
import { useResource, type Resource } from '../api/hooks';
import type { Member, WatcherList } from '../api/types';
import { Avatar, ErrorNote, Spinner } from './ui';

const REASON_LABEL: Record<WatcherList['watchers'][number]['reason'], string> = {
  watching: '',
  assignee: 'assignee',
  creator: 'creator',
};

/** The record's watchers, loaded once for the Watch button and the list beside the details. */
export function useWatchers(projectKey: string, recordId: string | undefined): Resource<WatcherList> {
  return useResource<WatcherList>(recordId ? `/projects/${enc(projectKey)}/records/${enc(recordId)}/watchers` : null);
}

function path(projectKey: string, recordId: string, username: string) {
  return `/projects/${enc(projectKey)}/records/${enc(recordId)}/watchers/${enc(username)}`;
}

/** Watch / Unwatch for the signed-in person: watchers hear of changes by the rules that mail watchers. */
export function WatchButton({
  projectKey,
  recordId,
  username,
  watchers,
  onChanged,
}: {
  projectKey: string;
  recordId: string;
  username: string;
  watchers: Resource<WatcherList>;
  onChanged: () => void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  if (!watchers.data) return null;
  const watching = watchers.data.watching;
  const toggle = async () => {
    setBusy(true);
    setError(null);
    try {
      const url = path(projectKey, recordId, username);
      watchers.setData(watching ? await api.del<WatcherList>(url) : await api.put<WatcherList>(url, {}));
      onChanged();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button
        type="button"
        className={`btn${watching ? ' btn-watching' : ''}`}
        aria-pressed={watching}
        disabled={busy}
        onClick={() => void toggle()}
        title={watching ? 'You hear of changes to this record; click to stop' : 'Hear of changes to this record'}
      >
        {watching ? '★ Watching' : '☆ Watch'}
      </button>
      <ErrorNote error={error} what="Watching" />
    </>
  );
}

/** Who watches the record; with manageWatchers, add or remove others. */
export function WatcherListCard({
  projectKey,
  recordId,
  watchers,
  members,
  canManage,
  onChanged,
}: {
  projectKey: string;
  recordId: string;
  watchers: Resource<WatcherList>;
  members: Member[];
  canManage: boolean;
  onChanged: () => void;
}) {
  const [error, setError] = useState<unknown>(null);
  const run = async (fn: () => Promise<WatcherList>) => {
    setError(null);
    try {
      watchers.setData(await fn());
      onChanged();
    } catch (err) {
      setError(err);
    }
  };
  const list = watchers.data?.watchers ?? [];
  const others = members.filter((m) => !list.some((w) => w.username === m.username));
  return (
    <section className="watchers" aria-label="Watchers">
      <h2 className="card-title">Watchers</h2>
      <ErrorNote error={error ?? watchers.error} what="Watchers" />
      {!watchers.data ? (
        !watchers.error && <Spinner />
      ) : list.length === 0 ? (
        <p className="muted small">Nobody watches this record.</p>
      ) : (
        <ul className="watcher-list">
          {list.map((w) => (
            <li key={w.username} className="who">
              <Avatar name={w.fullName || w.username} size={20} />
              <span>
                {w.fullName || w.username}
                {REASON_LABEL[w.reason] && <small className="muted"> · {REASON_LABEL[w.reason]}</small>}
              </span>
              {canManage && (
                <button
                  type="button"
                  className="btn btn-small btn-ghost"
                  aria-label={`Stop ${w.username} watching`}
                  onClick={() => void run(() => api.del<WatcherList>(path(projectKey, recordId, w.username)))}
                >
                  ×
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {canManage && others.length > 0 && (
        <select
          aria-label="Add a watcher"
          value=""
          onChange={(e) => e.target.value && void run(() => api.put<WatcherList>(path(projectKey, recordId, e.target.value), {}))}
        >
          <option value="">+ Add a watcher…</option>
          {others.map((m) => (
            <option key={m.username} value={m.username}>
              {m.fullName || m.username}
            </option>
          ))}
        </select>
      )}
    </section>
  );
}
