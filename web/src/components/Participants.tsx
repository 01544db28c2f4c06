import { useState, type FormEvent } from 'react';
import { api, enc } from '../api/client';
import { useResource } from '../api/hooks';
import type { Participant } from '../api/types';
import { ErrorNote, Spinner } from './ui';

const SOURCE_LABEL: Record<Participant['source'], string> = {
  import: 'from the imported email',
  reply: 'from a reply',
  manual: 'added by hand',
  command: 'added by email command',
};

/**
 * The record's email participants: senders and recipients of imported mail and replies, and
 * anyone added here or with /add-participant. With "forward to all participants" on, replies
 * are forwarded to each of them.
 */
export function Participants({ projectKey, recordId, canEdit }: { projectKey: string; recordId: string; canEdit: boolean }) {
  const path = `/projects/${enc(projectKey)}/records/${enc(recordId)}/participants`;
  const list = useResource<{ participants: Participant[] }>(path);
  const [address, setAddress] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const add = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const p = await api.post<Participant>(path, { address: address.trim() });
      list.setData((old) => ({ participants: [...(old?.participants ?? []).filter((x) => x.address !== p.address), p] }));
      setAddress('');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const remove = async (a: string) => {
    setError(null);
    try {
      await api.del(`${path}/${enc(a)}`);
      list.setData((old) => ({ participants: (old?.participants ?? []).filter((x) => x.address !== a) }));
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section className="card" aria-label="Email participants">
      <h2 className="card-title">Email participants</h2>
      <ErrorNote error={error} what="Participants" />
      {list.error ? (
        <ErrorNote error={list.error} onRetry={() => void list.reload()} />
      ) : !list.data ? (
        <Spinner />
      ) : list.data.participants.length === 0 ? (
        <p className="muted small">Nobody yet. Senders, To and Cc of mail on this record are added as it arrives.</p>
      ) : (
        <ul className="participants">
          {list.data.participants.map((p) => (
            <li key={p.address} className="participant">
              <span>
                {p.name ? (
                  <>
                    {p.name} <span className="muted">&lt;{p.address}&gt;</span>
                  </>
                ) : (
                  p.address
                )}
                <small className="muted"> · {SOURCE_LABEL[p.source]}</small>
              </span>
              {canEdit && (
                <button type="button" className="btn btn-small btn-ghost" aria-label={`Remove ${p.address}`} onClick={() => void remove(p.address)}>
                  Remove
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {canEdit && (
        <form className="inline-form" onSubmit={add}>
          <label className="sr-only" htmlFor="participant-address">
            Add a participant
          </label>
          <input id="participant-address" type="email" placeholder="name@example.com" value={address} onChange={(e) => setAddress(e.target.value)} required />
          <button type="submit" className="btn btn-small" disabled={busy || address.trim() === ''}>
            {busy ? 'Adding…' : 'Add'}
          </button>
        </form>
      )}
    </section>
  );
}
