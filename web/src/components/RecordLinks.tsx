import { useState } from 'react';
import { ApiError, api, enc } from '../api/client';
import { useResource } from '../api/hooks';
import type { LinkRequestKind, RecordLink } from '../api/types';
import { recordPath } from '../paths';
import { Link } from '../router';
import { ErrorNote, Spinner, StatusPill } from './ui';

/** The link kinds as this record does them, in the words the list shows. */
const KINDS: { value: LinkRequestKind; label: string }[] = [
  { value: 'relates', label: 'relates to' },
  { value: 'blocks', label: 'blocks' },
  { value: 'blockedBy', label: 'is blocked by' },
  { value: 'duplicates', label: 'duplicates' },
  { value: 'duplicatedBy', label: 'is duplicated by' },
  { value: 'tests', label: 'tests' },
  { value: 'testedBy', label: 'is tested by' },
  { value: 'createdFrom', label: 'was created from' },
  { value: 'origin', label: 'is the origin of' },
];

/** Links to other records, as they read from this one; the other record shows the same link in its own words. */
export function RecordLinks({
  projectKey,
  recordId,
  tag,
  canEdit,
  onChanged,
}: {
  projectKey: string;
  recordId: string;
  tag: string;
  canEdit: boolean;
  onChanged: () => void;
}) {
  const path = `/projects/${enc(projectKey)}/records/${enc(recordId)}/links`;
  const links = useResource<{ links: RecordLink[] }>(path);
  const [kind, setKind] = useState<LinkRequestKind>('relates');
  const [to, setTo] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const list = links.data?.links ?? [];
  const add = async () => {
    if (!to.trim()) return;
    setBusy(true);
    setError(null);
    try {
      await api.post(path, { kind, to: to.trim() });
      setTo('');
      await links.reload();
      onChanged();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const remove = async (l: RecordLink) => {
    setError(null);
    try {
      await api.del(`${path}/${enc(l.id)}`);
      await links.reload();
      onChanged();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section className="card" aria-labelledby="links-title">
      <h2 className="card-title" id="links-title">
        Links
      </h2>
      {links.error && !(links.error instanceof ApiError && links.error.notAvailable) ? (
        <ErrorNote error={links.error} onRetry={() => void links.reload()} />
      ) : !links.data ? (
        <Spinner />
      ) : list.length === 0 ? (
        <p className="muted small">
          Not linked to other records yet.{canEdit ? ' Link the requirement it breaks, the test case that found it, a duplicate.' : ''}
        </p>
      ) : (
        <ul className="link-list" aria-label={`Links of ${tag}`}>
          {list.map((l) => (
            <li key={l.id} className="link-row">
              <span className="link-label muted">{l.label}</span>
              <span className="record-tag mono">{l.record.tag}</span>
              <Link to={recordPath(projectKey, l.record)} className="link-title">
                {l.record.title}
              </Link>
              <StatusPill status={l.record.status} />
              {canEdit && (
                <button type="button" className="icon-btn" aria-label={`Remove the link: ${l.label} ${l.record.tag}`} onClick={() => void remove(l)}>
                  ×
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {canEdit && (
        <form
          className="link-add"
          onSubmit={(e) => {
            e.preventDefault();
            void add();
          }}
        >
          <span className="muted small">{tag}</span>
          <select aria-label="Link kind" value={kind} onChange={(e) => setKind(e.target.value as LinkRequestKind)}>
            {KINDS.map((k) => (
              <option key={k.value} value={k.value}>
                {k.label}
              </option>
            ))}
          </select>
          <input type="text" aria-label="Record to link" placeholder={`${projectKey}-R1`} value={to} onChange={(e) => setTo(e.target.value)} />
          <button type="submit" className="btn btn-small" disabled={busy || !to.trim()}>
            {busy ? 'Linking…' : 'Add link'}
          </button>
        </form>
      )}
      <ErrorNote error={error} />
    </section>
  );
}
