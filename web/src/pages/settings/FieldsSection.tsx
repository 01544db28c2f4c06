import { useState, type FormEvent } from 'react';
import { api, enc, fieldErrors, unplaced } from '../../api/client';
import { useResource } from '../../api/hooks';
import type { CustomField, FieldKind, RecordType } from '../../api/types';
import { FIELD_KINDS, RECORD_TYPES } from '../../api/types';
import { DialogActions, Section, SettingsTable } from '../../components/Section';
import { Checkbox, Dialog, Empty, ErrorNote, Flash, SelectField, Spinner, TextArea, TextField, cx, useFlash } from '../../components/ui';
import { TYPE_INFO } from '../../recordTypes';

export const KIND_LABEL: Record<FieldKind, string> = {
  text: 'Text',
  number: 'Number',
  date: 'Date',
  choice: 'Single choice',
  multiChoice: 'Multiple choice',
  user: 'Project member',
};
const KIND_HINT: Record<FieldKind, string> = {
  text: 'Any text, up to 10,000 characters.',
  number: 'A number; sorts as a number.',
  date: 'A day, like 2026-12-31.',
  choice: 'One of the options you list.',
  multiChoice: 'Any of the options you list.',
  user: 'A member of this project.',
};
const hasOptions = (k: FieldKind) => k === 'choice' || k === 'multiChoice';

/** The options a person typed, one a line, without blank lines. */
const optionsOf = (text: string) =>
  text
    .split('\n')
    .map((o) => o.trim())
    .filter(Boolean);

export function FieldsSection({ base }: { base: string }) {
  const fields = useResource<{ fields: CustomField[] }>(`${base}/fields`);
  const [type, setType] = useState<RecordType>('defect');
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<CustomField | null>(null);
  const [removing, setRemoving] = useState<CustomField | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [flash, setFlash] = useFlash();
  const all = fields.data?.fields ?? [];
  const list = all.filter((f) => f.recordType === type).sort((a, b) => a.position - b.position);
  const info = TYPE_INFO[type];

  // Positions are rewritten for the two fields that trade places, so the order is what people see.
  const shift = async (i: number, by: -1 | 1) => {
    const a = list[i];
    const b = list[i + by];
    if (!a || !b) return;
    setError(null);
    try {
      await api.patch(`${base}/fields/${enc(a.id)}`, { position: i + by });
      await api.patch(`${base}/fields/${enc(b.id)}`, { position: i });
    } catch (err) {
      setError(err);
    }
    await fields.reload();
  };

  return (
    <Section
      title="Custom fields"
      intro={
        <>
          Fields of each record type beyond title, status, assignee, priority and severity. They show on the record, filter and sort the list (the first three
          are its columns), and appear in email templates as <code>{'{{ record.fields.key }}'}</code>.
        </>
      }
      actions={
        <div className="row">
          <Flash msg={flash} />
          <button type="button" className="btn" onClick={() => setAdding(true)} disabled={!fields.data}>
            New field
          </button>
        </div>
      }
    >
      {fields.error ? (
        <ErrorNote error={fields.error} what="Custom fields" />
      ) : !fields.data ? (
        <Spinner />
      ) : (
        <>
          <div className="pills" role="tablist" aria-label="Record types">
            {RECORD_TYPES.map((t) => {
              const n = all.filter((f) => f.recordType === t).length;
              return (
                <button
                  key={t}
                  type="button"
                  role="tab"
                  aria-selected={t === type}
                  className={cx('pill-tab', t === type && 'is-active')}
                  onClick={() => setType(t)}
                >
                  {TYPE_INFO[t].many}
                  <span className="pill-count" aria-label={`${n} fields`}>
                    {n}
                  </span>
                </button>
              );
            })}
          </div>
          <ErrorNote error={error} />
          {list.length === 0 ? (
            <Empty
              title={`No custom fields on ${info.many.toLowerCase()}`}
              action={
                <button type="button" className="btn btn-primary" onClick={() => setAdding(true)}>
                  Add a field
                </button>
              }
            >
              For example a customer, the version found in, or the platforms affected.
            </Empty>
          ) : (
            <SettingsTable
              columns={['Field', 'Kind', { label: 'Options', className: 'hide-narrow' }]}
              className="fields-table"
              caption={<>Custom fields of {info.many.toLowerCase()}</>}
            >
              {list.map((f, i) => (
                <tr key={f.id}>
                  <td>
                    <strong>{f.label}</strong>
                    {f.required && <span className="muted small"> · required</span>}
                    <div className="muted small mono">{f.key}</div>
                  </td>
                  <td className="small">{KIND_LABEL[f.kind]}</td>
                  <td className="hide-narrow small">{hasOptions(f.kind) ? f.options.join(', ') : <span className="muted">—</span>}</td>
                  <td className="actions">
                    <button type="button" className="icon-btn" aria-label={`Move ${f.label} up`} disabled={i === 0} onClick={() => void shift(i, -1)}>
                      ↑
                    </button>
                    <button
                      type="button"
                      className="icon-btn"
                      aria-label={`Move ${f.label} down`}
                      disabled={i === list.length - 1}
                      onClick={() => void shift(i, 1)}
                    >
                      ↓
                    </button>
                    <button type="button" className="btn btn-small btn-ghost" aria-label={`Edit ${f.label}`} onClick={() => setEditing(f)}>
                      Edit
                    </button>
                    <button type="button" className="btn btn-small btn-ghost btn-danger-text" aria-label={`Remove ${f.label}`} onClick={() => setRemoving(f)}>
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </SettingsTable>
          )}
        </>
      )}

      <Dialog open={adding} title={`New field on ${info.many.toLowerCase()}`} onClose={() => setAdding(false)}>
        <FieldForm
          base={base}
          type={type}
          field={null}
          taken={list.map((f) => f.key)}
          onClose={() => setAdding(false)}
          onSaved={async (saved) => {
            setAdding(false);
            await fields.reload();
            setFlash(`Added ${saved.label}`);
          }}
        />
      </Dialog>
      <Dialog open={editing !== null} title={`Edit ${editing?.label ?? 'field'}`} onClose={() => setEditing(null)}>
        {editing && (
          <FieldForm
            base={base}
            type={type}
            field={editing}
            taken={[]}
            onClose={() => setEditing(null)}
            onSaved={async (saved) => {
              setEditing(null);
              await fields.reload();
              setFlash(`Saved ${saved.label}`);
            }}
          />
        )}
      </Dialog>
      <Dialog open={removing !== null} title={`Remove ${removing?.label ?? 'field'}?`} onClose={() => setRemoving(null)}>
        {removing && (
          <RemoveField
            base={base}
            field={removing}
            onClose={() => setRemoving(null)}
            onRemoved={async () => {
              setRemoving(null);
              await fields.reload();
              setFlash(`Removed ${removing.label}`);
            }}
          />
        )}
      </Dialog>
    </Section>
  );
}

/** A new field (`field` null) or an existing one: its key and kind stay once made (values and templates use them). */
function FieldForm({
  base,
  type,
  field,
  taken,
  onClose,
  onSaved,
}: {
  base: string;
  type: RecordType;
  field: CustomField | null;
  taken: string[];
  onClose: () => void;
  onSaved: (f: CustomField) => Promise<void>;
}) {
  const [label, setLabel] = useState(field?.label ?? '');
  const [key, setKey] = useState('');
  const [kind, setKind] = useState<FieldKind>(field?.kind ?? 'text');
  const [options, setOptions] = useState((field?.options ?? []).join('\n'));
  const [required, setRequired] = useState(field?.required ?? false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const clash = !field && key.trim() !== '' && taken.includes(key.trim());

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const opts = hasOptions(kind) ? optionsOf(options) : [];
    try {
      const saved = field
        ? await api.patch<CustomField>(`${base}/fields/${enc(field.id)}`, { label: label.trim(), required, ...(hasOptions(kind) ? { options: opts } : {}) })
        : await api.post<CustomField>(`${base}/fields`, {
            recordType: type,
            label: label.trim(),
            kind,
            required,
            ...(key.trim() ? { key: key.trim() } : {}),
            ...(hasOptions(kind) ? { options: opts } : {}),
          });
      await onSaved(saved);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  const fe = fieldErrors(error, ['label', 'key', 'kind', 'options', 'option']);
  const optionsError = fe['options'] ?? fe['option'];
  return (
    <form className="stack" onSubmit={submit}>
      <ErrorNote error={unplaced(error, fe)} />
      <TextField label="Label" value={label} onChange={(e) => setLabel(e.target.value)} required maxLength={100} autoFocus error={fe['label']} />
      {field ? (
        <p className="muted small">
          Key <code>{field.key}</code> · {KIND_LABEL[field.kind]}. Key and kind stay as they are: records' values and templates use them.
        </p>
      ) : (
        <div className="grid-2">
          <SelectField label="Kind" value={kind} onChange={(e) => setKind(e.target.value as FieldKind)} hint={KIND_HINT[kind]} error={fe['kind']}>
            {FIELD_KINDS.map((k) => (
              <option key={k} value={k}>
                {KIND_LABEL[k]}
              </option>
            ))}
          </SelectField>
          <TextField
            label="Key"
            value={key}
            onChange={(e) => setKey(e.target.value)}
            placeholder="made from the label"
            pattern="[a-z][a-zA-Z0-9_]{0,39}"
            maxLength={40}
            className="mono-input"
            error={fe['key'] ?? (clash ? `${TYPE_INFO[type].many} already have a field “${key.trim()}”.` : undefined)}
            hint={
              <>
                For filters, the API and templates (<code>{`record.fields.${key.trim() || 'key'}`}</code>). “Customer name” makes <code>customerName</code>.
              </>
            }
          />
        </div>
      )}
      {hasOptions(kind) && (
        <TextArea
          label="Options"
          rows={5}
          value={options}
          onChange={(e) => setOptions(e.target.value)}
          error={optionsError}
          hint={
            field
              ? 'One a line, in the order offered. A removed option stays on records that have it until they are edited.'
              : 'One a line, in the order offered.'
          }
        />
      )}
      <Checkbox label="Required" hint="New records need a value; an edit cannot clear it." checked={required} onChange={(e) => setRequired(e.target.checked)} />
      <DialogActions
        onCancel={onClose}
        busy={busy}
        label={field ? 'Save field' : 'Add field'}
        busyLabel={field ? 'Saving…' : 'Adding…'}
        disabled={!label.trim() || clash}
      />
    </form>
  );
}

function RemoveField({ base, field, onClose, onRemoved }: { base: string; field: CustomField; onClose: () => void; onRemoved: () => Promise<void> }) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.del(`${base}/fields/${enc(field.id)}`);
      await onRemoved();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <form className="stack" onSubmit={submit}>
      <ErrorNote error={error} />
      <p>
        Every {TYPE_INFO[field.recordType as RecordType]?.one.toLowerCase() ?? 'record'}'s value of <strong>{field.label}</strong> is deleted with it. The
        record history keeps the changes made so far.
      </p>
      <DialogActions onCancel={onClose} busy={busy} label="Remove field" busyLabel="Removing…" />
    </form>
  );
}
