import { useEffect, useState, type FormEvent } from 'react';
import { api, enc } from '../api/client';
import { useResource } from '../api/hooks';
import type { InboundMessage, InboundPreview, Project, RecordType } from '../api/types';
import { RECORD_TYPES } from '../api/types';
import { TYPE_INFO } from '../recordTypes';
import { Checkbox, Dialog, ErrorNote, SelectField, Spinner, TextField } from './ui';

const who = (p: { name?: string; address: string }) => (p.name ? `${p.name} <${p.address}>` : p.address);

/**
 * "Create record" in the unmatched view: the message is shown as text first (sender,
 * recipients, body, attachment names), then it becomes the first inbound email of a new
 * record, its sender, To and Cc the participants.
 */
export function CreateRecordDialog({
  message,
  onClose,
  onDone,
}: {
  message: InboundMessage | null;
  onClose: () => void;
  onDone: (created: { recordId: string; projectKey: string }) => void;
}) {
  const projects = useResource<{ projects: Project[] }>(message ? '/projects' : null);
  const preview = useResource<InboundPreview>(message ? `/admin/inbound/${enc(message.id)}/preview` : null);
  const [projectKey, setProjectKey] = useState('');
  const [type, setType] = useState<RecordType>('defect');
  const [title, setTitle] = useState('');
  const [acknowledge, setAcknowledge] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const key = projectKey || projects.data?.projects[0]?.key || '';
  useEffect(() => {
    setError(null);
    setTitle('');
  }, [message]);
  useEffect(() => {
    if (preview.data) setTitle(preview.data.suggestedTitle);
  }, [preview.data]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!message || !key) return;
    setBusy(true);
    setError(null);
    try {
      const res = await api.post<{ outcome: { kind: string; recordId?: string } }>(`/admin/inbound/${enc(message.id)}/create-record`, {
        project: key,
        type,
        title: title.trim(),
        acknowledge,
      });
      onDone({ recordId: res.outcome.recordId ?? '', projectKey: key });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog open={!!message} title="Create a record from this email" onClose={onClose} wide>
      {message && (
        <form className="stack" onSubmit={submit}>
          {preview.error ? (
            <ErrorNote error={preview.error} what="The message" />
          ) : !preview.data ? (
            <Spinner label="Reading the message…" />
          ) : (
            <div className="mail-preview" aria-label="The email">
              <dl className="props">
                <dt>From</dt>
                <dd>{preview.data.from ? who(preview.data.from) : <span className="muted">unknown</span>}</dd>
                <dt>To</dt>
                <dd>{preview.data.to.map(who).join(', ') || <span className="muted">—</span>}</dd>
                {preview.data.cc.length > 0 && (
                  <>
                    <dt>Cc</dt>
                    <dd>{preview.data.cc.map(who).join(', ')}</dd>
                  </>
                )}
                <dt>Subject</dt>
                <dd>{preview.data.subject || <span className="muted">(no subject)</span>}</dd>
                {preview.data.attachments.length > 0 && (
                  <>
                    <dt>Attachments</dt>
                    <dd>{preview.data.attachments.map((a) => a.filename).join(', ')}</dd>
                  </>
                )}
              </dl>
              <pre className="mail-preview-body">{preview.data.text || '(no text)'}</pre>
            </div>
          )}
          <ErrorNote error={error} what="Creating the record" />
          <div className="grid-2">
            <SelectField label="Project" value={key} onChange={(e) => setProjectKey(e.target.value)}>
              {(projects.data?.projects ?? []).map((p) => (
                <option key={p.key} value={p.key}>
                  {p.key} — {p.name}
                </option>
              ))}
            </SelectField>
            <SelectField label="Type" value={type} onChange={(e) => setType(e.target.value as RecordType)}>
              {RECORD_TYPES.map((t) => (
                <option key={t} value={t}>
                  {TYPE_INFO[t].one}
                </option>
              ))}
            </SelectField>
          </div>
          <TextField
            label="Title"
            value={title}
            onChange={(e) => setTitle(e.target.value)}
            maxLength={500}
            hint="From the subject, without tags and Re:/Fwd:."
          />
          <Checkbox
            label="Send the acknowledgement"
            hint="The sender gets the new record's id from the project's notification account; their replies are filed on the record."
            checked={acknowledge}
            onChange={(e) => setAcknowledge(e.target.checked)}
          />
          <div className="form-actions">
            <button type="button" className="btn btn-ghost" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="btn btn-primary" disabled={busy || !key || !preview.data}>
              {busy ? 'Creating…' : 'Create record'}
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}
