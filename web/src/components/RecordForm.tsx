import { useId, useState, type FormEvent } from 'react';
import { fieldErrors, unplaced } from '../api/client';
import type { CustomField, FieldValue, Member, TrackerRecord, Workflow } from '../api/types';
import { COMMON_STATUSES } from '../recordTypes';
import { PRIORITIES, PRIORITY_LABEL, SEVERITIES, SEVERITY_LABEL, statusChoices } from '../tracker';
import { ErrorNote, SelectField, TextArea, TextField } from './ui';

export interface RecordDraft {
  title: string;
  description: string;
  status: string;
  assignee: string | null;
  priority?: string | null;
  severity?: string | null;
  fields?: Record<string, FieldValue | null>;
}

export function draftOf(r: TrackerRecord | null): RecordDraft {
  return {
    title: r?.title ?? '',
    description: r?.description ?? '',
    status: r?.status ?? 'Open',
    assignee: r?.assignee ?? null,
    priority: r?.priority ?? null,
    severity: r?.severity ?? null,
    fields: { ...(r?.fields ?? {}) },
  };
}

/** What to PATCH: only what changed against `before` (custom fields one by one). */
export function patchOf(before: RecordDraft, d: RecordDraft): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const k of ['title', 'description', 'status', 'assignee', 'priority', 'severity'] as const)
    if ((d[k] ?? null) !== (before[k] ?? null)) patch[k] = d[k] ?? null;
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(d.fields ?? {}))
    if (JSON.stringify(v ?? null) !== JSON.stringify(before.fields?.[k] ?? null)) fields[k] = v === '' ? null : v;
  if (Object.keys(fields).length > 0) patch['fields'] = fields;
  return patch;
}

function FieldInput({
  field,
  value,
  members,
  onChange,
  error,
}: {
  field: CustomField;
  value: FieldValue | null | undefined;
  members: Member[];
  onChange: (v: FieldValue | null) => void;
  error?: string | undefined;
}) {
  const label = field.required ? `${field.label} (required)` : field.label;
  const name = `field-${field.key}`;
  switch (field.kind) {
    case 'number':
      return (
        <TextField
          label={label}
          name={name}
          type="number"
          step="any"
          value={value === null || value === undefined ? '' : String(value)}
          onChange={(e) => onChange(e.target.value === '' ? null : Number(e.target.value))}
          error={error}
        />
      );
    case 'date':
      return (
        <TextField
          label={label}
          name={name}
          type="date"
          value={typeof value === 'string' ? value : ''}
          onChange={(e) => onChange(e.target.value || null)}
          error={error}
        />
      );
    case 'choice':
      return (
        <SelectField label={label} name={name} value={typeof value === 'string' ? value : ''} onChange={(e) => onChange(e.target.value || null)} error={error}>
          <option value="">—</option>
          {field.options.map((o) => (
            <option key={o}>{o}</option>
          ))}
        </SelectField>
      );
    case 'multiChoice': {
      const list = Array.isArray(value) ? value : [];
      return (
        <fieldset className="field field-multi">
          <legend>{label}</legend>
          <div className="chips">
            {field.options.map((o) => (
              <label key={o} className="chip-check">
                <input
                  type="checkbox"
                  name={name}
                  value={o}
                  checked={list.includes(o)}
                  onChange={(e) => onChange(field.options.filter((x) => (x === o ? e.target.checked : list.includes(x))))}
                />{' '}
                {o}
              </label>
            ))}
          </div>
          {error && <div className="field-error">{error}</div>}
        </fieldset>
      );
    }
    case 'user':
      return (
        <SelectField label={label} name={name} value={typeof value === 'string' ? value : ''} onChange={(e) => onChange(e.target.value || null)} error={error}>
          <option value="">Nobody</option>
          {members.map((m) => (
            <option key={m.username} value={m.username}>
              {m.fullName || m.username}
            </option>
          ))}
        </SelectField>
      );
    default:
      return (
        <TextField
          label={label}
          name={name}
          value={typeof value === 'string' ? value : ''}
          onChange={(e) => onChange(e.target.value)}
          error={error}
          maxLength={10000}
        />
      );
  }
}

/**
 * Title, status, assignee and description; used to add a record and to edit one. The API's
 * complaints appear under the field they are about.
 */
export function RecordForm({
  initial,
  members,
  statuses,
  workflow,
  fields = [],
  currentStatus = null,
  submitLabel,
  busyLabel,
  onSubmit,
  onCancel,
  autoFocus = true,
}: {
  initial: RecordDraft;
  members: Member[];
  statuses: string[];
  /** With a workflow, status is a choice of the allowed moves from `currentStatus` (all statuses for a new record). */
  workflow?: Workflow | undefined;
  fields?: CustomField[];
  currentStatus?: string | null;
  submitLabel: string;
  busyLabel: string;
  onSubmit: (draft: RecordDraft) => Promise<void>;
  onCancel: () => void;
  autoFocus?: boolean;
}) {
  const [draft, setDraft] = useState<RecordDraft>(initial);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [localTitleError, setLocalTitleError] = useState<string | undefined>(undefined);
  const listId = useId();
  const fe = fieldErrors(error, ['title', 'description', 'status', 'assignee', 'priority', 'severity']);
  const set = <K extends keyof RecordDraft>(k: K, v: RecordDraft[K]) => setDraft((d) => ({ ...d, [k]: v }));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!draft.title.trim()) {
      setError(null);
      setLocalTitleError('Give it a title.');
      return;
    }
    setLocalTitleError(undefined);
    setBusy(true);
    setError(null);
    try {
      await onSubmit({ ...draft, title: draft.title.trim(), status: draft.status.trim() });
    } catch (err) {
      setError(err);
    }
    // The form may stay open after a save that did not finish (an edit conflict being merged).
    setBusy(false);
  };
  const statusOptions = [...new Set([...COMMON_STATUSES, ...statuses])];
  const assigneeKnown = draft.assignee === null || members.some((m) => m.username === draft.assignee);

  return (
    <form
      onSubmit={submit}
      className="stack"
      onKeyDown={(e) => {
        // Ctrl/Cmd+Enter saves from the description too.
        if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void submit(e);
      }}
    >
      <ErrorNote error={unplaced(error, fe)} />
      <TextField
        label="Title"
        name="title"
        value={draft.title}
        onChange={(e) => set('title', e.target.value)}
        autoFocus={autoFocus}
        maxLength={500}
        error={localTitleError ?? fe['title']}
      />
      <div className="grid-2">
        {workflow ? (
          <SelectField
            label="Status"
            name="status"
            value={draft.status}
            onChange={(e) => set('status', e.target.value)}
            error={fe['status']}
            hint={currentStatus ? 'Only the moves this workflow allows from here.' : undefined}
          >
            {statusChoices(workflow, currentStatus).map((st) => (
              <option key={st} value={st}>
                {st === currentStatus ? `${st} (now)` : st}
              </option>
            ))}
          </SelectField>
        ) : (
          <>
            <TextField
              label="Status"
              name="status"
              list={listId}
              value={draft.status}
              onChange={(e) => set('status', e.target.value)}
              maxLength={100}
              error={fe['status']}
              hint="Pick one or type your own."
            />
            <datalist id={listId}>
              {statusOptions.map((s) => (
                <option key={s} value={s} />
              ))}
            </datalist>
          </>
        )}
        <SelectField
          label="Assignee"
          name="assignee"
          value={draft.assignee ?? ''}
          onChange={(e) => set('assignee', e.target.value || null)}
          error={fe['assignee']}
        >
          <option value="">Unassigned</option>
          {!assigneeKnown && <option value={draft.assignee ?? ''}>{draft.assignee}</option>}
          {members.map((m) => (
            <option key={m.username} value={m.username}>
              {m.fullName ? `${m.fullName} (${m.username})` : m.username}
            </option>
          ))}
        </SelectField>
      </div>
      <div className="grid-2">
        <SelectField
          label="Priority"
          name="priority"
          value={draft.priority ?? ''}
          onChange={(e) => set('priority', e.target.value || null)}
          error={fe['priority']}
        >
          <option value="">None</option>
          {PRIORITIES.map((p) => (
            <option key={p} value={p}>
              {PRIORITY_LABEL[p]}
            </option>
          ))}
        </SelectField>
        <SelectField
          label="Severity"
          name="severity"
          value={draft.severity ?? ''}
          onChange={(e) => set('severity', e.target.value || null)}
          error={fe['severity']}
        >
          <option value="">None</option>
          {SEVERITIES.map((p) => (
            <option key={p} value={p}>
              {SEVERITY_LABEL[p]}
            </option>
          ))}
        </SelectField>
      </div>
      {fields.length > 0 && (
        <div className="grid-2">
          {fields.map((f) => (
            <FieldInput
              key={f.key}
              field={f}
              value={draft.fields?.[f.key]}
              members={members}
              onChange={(v) => setDraft((d) => ({ ...d, fields: { ...(d.fields ?? {}), [f.key]: v } }))}
            />
          ))}
        </div>
      )}
      <TextArea
        label="Description"
        name="description"
        rows={8}
        value={draft.description}
        onChange={(e) => set('description', e.target.value)}
        error={fe['description']}
        hint="Steps, expectations, context. Ctrl+Enter saves."
      />
      <div className="form-actions">
        <button type="button" className="btn btn-ghost" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? busyLabel : submitLabel}
        </button>
      </div>
    </form>
  );
}
