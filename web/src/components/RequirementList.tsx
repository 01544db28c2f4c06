import { useState } from 'react';
import { api, enc, query } from '../api/client';
import { useDebounced, useResource } from '../api/hooks';
import type { RequirementDocItem, RequirementDocumentRef, TrackerRecord } from '../api/types';
import { recordPath } from '../paths';
import { Link } from '../router';
import { ErrorNote, Spinner, StatusPill } from './ui';

/**
 * A requirement document's requirements, in order: add one by id or by words of its title,
 * move them up and down, take them out (the requirement itself stays).
 */
export function RequirementList({ projectKey, record, canEdit, onChanged }: { projectKey: string; record: TrackerRecord; canEdit: boolean; onChanged: () => void }) {
  const path = `/projects/${enc(projectKey)}/records/${enc(record.id)}/requirements`;
  const items = useResource<{ items: RequirementDocItem[] }>(path);
  const [text, setText] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const q = useDebounced(text.trim(), 200);
  const suggestions = useResource<{ records: TrackerRecord[] }>(canEdit && q ? `/projects/${enc(projectKey)}/records${query({ type: 'requirement', q, limit: 8, sort: 'number', order: 'asc' })}` : null);
  const list = items.data?.items ?? [];
  const present = new Set(list.map((i) => i.requirement.id));
  const offered = (suggestions.data?.records ?? []).filter((r) => !present.has(r.id));

  const act = async (fn: () => Promise<unknown>) => {
    setError(null);
    setBusy(true);
    try {
      await fn();
      await items.reload();
      onChanged();
      return true;
    } catch (err) {
      setError(err);
      await items.reload();
      return false;
    } finally {
      setBusy(false);
    }
  };
  const add = async (ref: string) => {
    if (await act(() => api.post(path, { requirement: ref }))) setText('');
  };
  const move = (i: number, by: -1 | 1) => {
    const order = list.map((it) => it.id);
    const [moved] = order.splice(i, 1);
    order.splice(i + by, 0, moved!);
    void act(() => api.put(`${path}/order`, { order }));
  };

  return (
    <section className="card" aria-labelledby="reqs-title">
      <h2 className="card-title" id="reqs-title">
        Requirements{list.length > 0 && <span className="tab-count">{list.length}</span>}
      </h2>
      {items.error ? (
        <ErrorNote error={items.error} onRetry={() => void items.reload()} />
      ) : !items.data ? (
        <Spinner />
      ) : list.length === 0 ? (
        <p className="muted small">This document holds no requirements yet.{canEdit ? ' Add them below, by id or by words of their title.' : ''}</p>
      ) : (
        <ol className="step-list" aria-label={`Requirements of ${record.tag}`}>
          {list.map((it, i) => (
            <li key={it.id} className="step-row req-row">
              <span className="step-num" aria-hidden="true">
                {it.number}
              </span>
              <span className="record-tag mono">{it.requirement.tag}</span>
              <Link to={recordPath(projectKey, it.requirement)} className="link-title">
                {it.requirement.title}
              </Link>
              <StatusPill status={it.requirement.status} />
              {canEdit && (
                <span className="step-tools">
                  <button type="button" className="icon-btn" aria-label={`Move ${it.requirement.tag} up`} disabled={busy || i === 0} onClick={() => move(i, -1)}>
                    ↑
                  </button>
                  <button type="button" className="icon-btn" aria-label={`Move ${it.requirement.tag} down`} disabled={busy || i === list.length - 1} onClick={() => move(i, 1)}>
                    ↓
                  </button>
                  <button type="button" className="icon-btn" aria-label={`Take ${it.requirement.tag} out of ${record.tag}`} disabled={busy} onClick={() => void act(() => api.del(`${path}/${enc(it.id)}`))}>
                    ×
                  </button>
                </span>
              )}
            </li>
          ))}
        </ol>
      )}
      {canEdit && (
        <form
          className="req-add"
          onSubmit={(e) => {
            e.preventDefault();
            // Enter takes the first match of the words typed, or the id as typed.
            const ref = offered[0]?.id ?? text.trim();
            if (ref) void add(ref);
          }}
        >
          <input type="search" aria-label="Add a requirement" placeholder={`Add a requirement: ${projectKey}-R4 or words of its title`} value={text} onChange={(e) => setText(e.target.value)} autoComplete="off" />
          <button type="submit" className="btn btn-small" disabled={busy || !text.trim()}>
            Add
          </button>
          {q && offered.length > 0 && (
            <ul className="req-suggestions" aria-label="Matching requirements">
              {offered.map((r) => (
                <li key={r.id}>
                  <button type="button" className="req-suggestion" onClick={() => void add(r.id)}>
                    <span className="record-tag mono">{r.tag}</span> {r.title}
                  </button>
                </li>
              ))}
            </ul>
          )}
        </form>
      )}
      <ErrorNote error={error} />
    </section>
  );
}

/** On a requirement: the documents it is in, with its place in each. */
export function InDocuments({ projectKey, record }: { projectKey: string; record: TrackerRecord }) {
  const docs = useResource<{ documents: RequirementDocumentRef[] }>(`/projects/${enc(projectKey)}/records/${enc(record.id)}/documents`);
  if (!docs.data || docs.data.documents.length === 0) return null;
  return (
    <section className="card" aria-labelledby="docs-title">
      <h2 className="card-title" id="docs-title">
        In requirement documents
      </h2>
      <ul className="link-list">
        {docs.data.documents.map((d) => (
          <li key={d.id} className="link-row">
            <span className="link-label muted">number {d.number} of</span>
            <span className="record-tag mono">{d.tag}</span>
            <Link to={recordPath(projectKey, d)} className="link-title">
              {d.title}
            </Link>
            <StatusPill status={d.status} />
          </li>
        ))}
      </ul>
    </section>
  );
}
