import { useState, type FormEvent } from 'react';
import { ApiError, api, enc, fieldErrors, query, unplaced } from '../../api/client';
import { useResource } from '../../api/hooks';
import type { EmailTemplate, RecordType, TrackerRecord } from '../../api/types';
import { RECORD_TYPES } from '../../api/types';
import { Section } from '../../components/Section';
import { Badge, Checkbox, Empty, ErrorNote, Flash, NotAvailable, SelectField, Spinner, TextArea, TextField, cx, useFlash } from '../../components/ui';
import { TYPE_INFO } from '../../recordTypes';
import { TemplatePreview } from './TemplatePreview';

type Draft = { name: string; subject: string; text: string; html: string; recordTypes: RecordType[] };

const NEW_DRAFT: Draft = { name: '', subject: '[{{ record.tag }}] {{ record.title }}', text: 'Hello {{ recipient.name }},\n\n', html: '', recordTypes: [] };

function draftOf(t: EmailTemplate | null): Draft {
  return t ? { name: t.name, subject: t.subject, text: t.text, html: t.html ?? '', recordTypes: t.recordTypes ?? [] } : NEW_DRAFT;
}

export function TemplatesSection({ base }: { base: string }) {
  const templates = useResource<{ templates: EmailTemplate[] }>(`${base}/email-templates`);
  const records = useResource<{ records: TrackerRecord[] }>(`${base}/records${query({ limit: 50, sort: 'updatedAt', order: 'desc' })}`);
  const [selected, setSelected] = useState<string | null>(null);
  const [isNew, setIsNew] = useState(false);
  // Bumped when the stored templates change (save, reset, delete): the editor starts over from them.
  const [revision, setRevision] = useState(0);
  const [chosenRecord, setChosenRecord] = useState('');
  const [flash, setFlash] = useFlash();
  const list = templates.data?.templates ?? [];
  const current = isNew ? null : (list.find((t) => t.name === selected) ?? list[0] ?? null);
  const missing = templates.error instanceof ApiError && templates.error.notAvailable;
  const recordList = records.data?.records ?? [];
  const recordId = chosenRecord || recordList[0]?.id || '';

  const changed = async (message: string, select?: string | null) => {
    await templates.reload();
    if (select !== undefined) setSelected(select);
    setIsNew(false);
    setRevision((r) => r + 1);
    setFlash(message);
  };

  return (
    <Section
      title="Email templates"
      intro={
        <>
          Liquid templates for tracked email and notifications. Variables: <code>record.*</code>, <code>project.*</code>, <code>sender.*</code>,{' '}
          <code>recipient.*</code>, <code>email.*</code>, <code>changes</code>.
        </>
      }
      actions={
        !missing && (
          <button type="button" className="btn" onClick={() => setIsNew(true)}>
            New template
          </button>
        )
      }
    >
      {missing ? (
        <NotAvailable what="Email templates" />
      ) : templates.error ? (
        <ErrorNote error={templates.error} />
      ) : !templates.data ? (
        <Spinner />
      ) : (
        <div className="split">
          <ul className="split-list" aria-label="Templates">
            {list.map((t) => (
              <li key={t.name}>
                <button
                  type="button"
                  className={cx('split-item', !isNew && current?.name === t.name && 'is-active')}
                  onClick={() => {
                    setIsNew(false);
                    setSelected(t.name);
                  }}
                >
                  <span>{t.name}</span>
                  {t.isStandard && <Badge tone={t.modified ? 'info' : 'muted'}>{t.modified ? 'edited' : 'standard'}</Badge>}
                </button>
              </li>
            ))}
            {isNew && (
              <li>
                <span className="split-item is-active">New template</span>
              </li>
            )}
          </ul>
          {!current && !isNew ? (
            <Empty title="No templates">Create one to reuse wording in tracked email and notifications.</Empty>
          ) : (
            <TemplateEditor
              key={`${current?.name ?? '+new'}:${revision}`}
              base={base}
              template={current}
              records={recordList}
              recordId={recordId}
              onRecordId={setChosenRecord}
              flash={flash}
              onChanged={changed}
              onCancel={() => setIsNew(false)}
            />
          )}
        </div>
      )}
    </Section>
  );
}

/** One template (`template` null: a new one); keyed by name and revision, so it starts from what is stored. */
function TemplateEditor({
  base,
  template,
  records,
  recordId,
  onRecordId,
  flash,
  onChanged,
  onCancel,
}: {
  base: string;
  template: EmailTemplate | null;
  records: TrackerRecord[];
  recordId: string;
  onRecordId: (id: string) => void;
  flash: string | null;
  onChanged: (message: string, select?: string | null) => Promise<void>;
  onCancel: () => void;
}) {
  const [draft, setDraft] = useState(() => draftOf(template));
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body: Record<string, unknown> = { subject: draft.subject, text: draft.text, recordTypes: draft.recordTypes };
      if (!template) {
        body['name'] = draft.name.trim();
        if (draft.html.trim()) body['html'] = draft.html;
        await api.post(`${base}/email-templates`, body);
      } else {
        body['html'] = draft.html.trim() ? draft.html : null;
        await api.put(`${base}/email-templates/${enc(template.name)}`, body);
      }
      setBusy(false);
      await onChanged('Saved', template ? undefined : draft.name.trim());
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  /** Standard templates go back to the shipped text; others are deleted. */
  const remove = async () => {
    if (!template) return;
    setError(null);
    try {
      if (template.isStandard) {
        await api.post(`${base}/email-templates/${enc(template.name)}/reset`);
        await onChanged('Reset to the standard text');
      } else {
        await api.del(`${base}/email-templates/${enc(template.name)}`);
        await onChanged(`Deleted ${template.name}`, null);
      }
    } catch (err) {
      setError(err);
    }
  };

  const fe = fieldErrors(error, ['name', 'subject', 'text', 'html', 'recordTypes']);
  return (
    <form className="stack split-main" onSubmit={save}>
      <ErrorNote error={unplaced(error, fe)} what="Saving template" />
      {!template && (
        <TextField label="Name" value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} required autoFocus error={fe['name']} />
      )}
      <TextField
        label="Subject"
        className="mono-input"
        value={draft.subject}
        onChange={(e) => setDraft({ ...draft, subject: e.target.value })}
        error={fe['subject']}
      />
      <TextArea
        label="Text"
        className="mono-input"
        rows={9}
        value={draft.text}
        onChange={(e) => setDraft({ ...draft, text: e.target.value })}
        error={fe['text']}
      />
      <fieldset className="fieldset">
        <legend>Offered for</legend>
        <div className="checks checks-inline">
          {RECORD_TYPES.map((t) => (
            <Checkbox
              key={t}
              label={TYPE_INFO[t].many}
              checked={draft.recordTypes.includes(t)}
              onChange={(e) => setDraft({ ...draft, recordTypes: e.target.checked ? [...draft.recordTypes, t] : draft.recordTypes.filter((x) => x !== t) })}
            />
          ))}
        </div>
        <span className="field-hint">None ticked: every record type.</span>
      </fieldset>
      <details className="details">
        <summary>
          HTML version {draft.html.trim() ? '' : '(optional)'}
          {fe['html'] && <span className="field-error"> — has an error</span>}
        </summary>
        <TextArea
          label="HTML"
          className="mono-input"
          rows={7}
          value={draft.html}
          onChange={(e) => setDraft({ ...draft, html: e.target.value })}
          error={fe['html']}
        />
      </details>
      <div className="preview-controls">
        <SelectField label="Preview with record" value={recordId} onChange={(e) => onRecordId(e.target.value)}>
          {records.map((r) => (
            <option key={r.id} value={r.id}>
              {r.tag} — {r.title}
            </option>
          ))}
        </SelectField>
      </div>
      <TemplatePreview base={base} draft={draft} recordId={recordId} />
      <div className="form-actions">
        <Flash msg={flash} />
        {!template ? (
          <button type="button" className="btn btn-ghost" onClick={onCancel}>
            Cancel
          </button>
        ) : (
          <button type="button" className="btn btn-ghost btn-danger-text" onClick={() => void remove()} disabled={template.isStandard && !template.modified}>
            {template.isStandard ? 'Reset to standard' : 'Delete'}
          </button>
        )}
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Saving…' : !template ? 'Create template' : 'Save template'}
        </button>
      </div>
    </form>
  );
}
