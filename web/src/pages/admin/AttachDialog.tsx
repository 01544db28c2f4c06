import { useState, type FormEvent } from 'react';
import { api, enc, query } from '../../api/client';
import { useDebounced, useResource } from '../../api/hooks';
import type { InboundMessage, Project, TrackedEmail, TrackerRecord } from '../../api/types';
import { Dialog, ErrorNote, SelectField, Spinner, TextField, cx } from '../../components/ui';
import { cleanSubject, shortDate } from '../../format';

/** Where an admin files the message: on the record itself, or under one of its emails (by id). */
const ON_RECORD = 'record';

/**
 * Files an inbound message by hand on a record: as a reply under one of its tracked emails
 * (forwarded like any reply), or on the record itself as a conversation of its own (never
 * forwarded; the only choice when the record has no email yet).
 */
export function AttachDialog({ message, onClose, onDone }: { message: InboundMessage | null; onClose: () => void; onDone: (outcome: string) => void }) {
  return (
    <Dialog open={!!message} title="Attach to a record" onClose={onClose} wide>
      {message && <AttachForm key={message.id} message={message} onClose={onClose} onDone={onDone} />}
    </Dialog>
  );
}

/** Keyed by the message: another message starts with nothing chosen. */
function AttachForm({ message, onClose, onDone }: { message: InboundMessage; onClose: () => void; onDone: (outcome: string) => void }) {
  const projects = useResource<{ projects: Project[] }>('/projects');
  const [projectKey, setProjectKey] = useState('');
  const [q, setQ] = useState('');
  const [record, setRecord] = useState<TrackerRecord | null>(null);
  const [target, setTarget] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const key = projectKey || projects.data?.projects[0]?.key || '';
  // A string, so the search waits for typing to pause and does not ask on every key.
  const search = useDebounced(q, 250);
  const records = useResource<{ records: TrackerRecord[] }>(
    key ? `/projects/${enc(key)}/records${query({ q: search, limit: 20, sort: 'updatedAt', order: 'desc' })}` : null,
    { keep: true },
  );
  const emails = useResource<{ emails: TrackedEmail[] }>(record ? `/projects/${enc(key)}/records/${enc(record.id)}/emails` : null);

  const list = emails.data?.emails ?? [];
  // Without an email to reply under, the record itself is the only place.
  const chosen = record && emails.data && list.length === 0 ? ON_RECORD : target;

  const attach = async (body: { emailId: string } | { recordId: string }) => {
    setBusy(true);
    setError(null);
    try {
      const res = await api.post<{ outcome?: { kind?: string } }>(`/admin/inbound/${enc(message.id)}/attach`, body);
      onDone(res.outcome?.kind ?? 'attached');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!record || !chosen) return;
    void attach(chosen === ON_RECORD ? { recordId: record.id } : { emailId: chosen });
  };

  return (
    <form className="stack" onSubmit={submit}>
      <p className="muted small">
        “{message.subject || '(no subject)'}” from {message.from || 'an unknown sender'}. Filed as a reply under an email you pick, it is forwarded like any
        reply; filed on the record itself, it starts a conversation of its own and is not forwarded.
      </p>
      <ErrorNote error={error} what="Attaching mail" />
      {message.targetEmailId && (
        <div className="notice notice-muted">
          <span>The message names a tracked email.</span>
          <button type="button" className="btn btn-small" disabled={busy} onClick={() => void attach({ emailId: message.targetEmailId! })}>
            Attach it there
          </button>
        </div>
      )}
      <div className="grid-2">
        <SelectField
          label="Project"
          value={key}
          onChange={(e) => {
            setProjectKey(e.target.value);
            setRecord(null);
            setTarget('');
          }}
        >
          {(projects.data?.projects ?? []).map((p) => (
            <option key={p.key} value={p.key}>
              {p.key} — {p.name}
            </option>
          ))}
        </SelectField>
        <TextField label="Find the record" type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder="Words in title or description" />
      </div>
      <div className="pick-list" role="radiogroup" aria-label="Record">
        {records.error ? (
          <ErrorNote error={records.error} />
        ) : !records.data ? (
          <Spinner />
        ) : records.data.records.length === 0 ? (
          <p className="muted small">No records match.</p>
        ) : (
          records.data.records.map((r) => (
            <label key={r.id} className={cx('pick', record?.id === r.id && 'is-on')}>
              <input
                type="radio"
                name="record"
                checked={record?.id === r.id}
                onChange={() => {
                  setRecord(r);
                  setTarget('');
                }}
              />
              <span className="mono">{r.tag}</span> {r.title}
            </label>
          ))
        )}
      </div>
      {record &&
        (emails.error ? (
          <ErrorNote error={emails.error} what="Tracked email" />
        ) : !emails.data ? (
          <Spinner />
        ) : list.length === 0 ? (
          <p className="muted small" role="note">
            {record.tag} has no tracked email yet: the message starts a conversation on {record.tag} and is not forwarded. Reply to it from the record to answer
            its sender.
          </p>
        ) : (
          <SelectField label="File it" value={target} onChange={(e) => setTarget(e.target.value)}>
            <option value="">Choose where in {record.tag}…</option>
            <option value={ON_RECORD}>On {record.tag} itself, as a conversation of its own (not forwarded)</option>
            <optgroup label="As a reply to (forwarded like any reply)">
              {list.map((em) => (
                <option key={em.id} value={em.id}>
                  {shortDate(em.date)} · {cleanSubject(em.subject)} ({em.fromName || em.from})
                </option>
              ))}
            </optgroup>
          </SelectField>
        ))}
      <div className="form-actions">
        <button type="button" className="btn btn-ghost" onClick={onClose}>
          Cancel
        </button>
        <button type="submit" className="btn btn-primary" disabled={!record || !chosen || busy}>
          {busy ? 'Attaching…' : record && chosen === ON_RECORD ? `Attach to ${record.tag}` : 'Attach'}
        </button>
      </div>
    </form>
  );
}
