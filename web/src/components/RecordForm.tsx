import { useId, useState, type FormEvent } from 'react';
import { fieldErrors, unplaced } from '../api/client';
import type { Member, TrackerRecord } from '../api/types';
import { COMMON_STATUSES } from '../recordTypes';
import { ErrorNote, SelectField, TextArea, TextField } from './ui';

export interface RecordDraft {
  title: string;
  description: string;
  status: string;
  assignee: string | null;
}

export function draftOf(r: TrackerRecord | null): RecordDraft {
  return { title: r?.title ?? '', description: r?.description ?? '', status: r?.status ?? 'Open', assignee: r?.assignee ?? null };
}

/**
 * Title, status, assignee and description; used to add a record and to edit one. The API's
 * complaints appear under the field they are about.
 */
export function RecordForm({
  initial,
  members,
  statuses,
  submitLabel,
  busyLabel,
  onSubmit,
  onCancel,
  autoFocus = true,
}: {
  initial: RecordDraft;
  members: Member[];
  statuses: string[];
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
  const fe = fieldErrors(error, ['title', 'description', 'status', 'assignee']);
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
      <TextField label="Title" name="title" value={draft.title} onChange={(e) => set('title', e.target.value)} autoFocus={autoFocus} maxLength={500} error={localTitleError ?? fe['title']} />
      <div className="grid-2">
        <TextField label="Status" name="status" list={listId} value={draft.status} onChange={(e) => set('status', e.target.value)} maxLength={100} error={fe['status']} hint="Pick one or type your own." />
        <datalist id={listId}>
          {statusOptions.map((s) => (
            <option key={s} value={s} />
          ))}
        </datalist>
        <SelectField label="Assignee" name="assignee" value={draft.assignee ?? ''} onChange={(e) => set('assignee', e.target.value || null)} error={fe['assignee']}>
          <option value="">Unassigned</option>
          {!assigneeKnown && <option value={draft.assignee ?? ''}>{draft.assignee}</option>}
          {members.map((m) => (
            <option key={m.username} value={m.username}>
              {m.fullName ? `${m.fullName} (${m.username})` : m.username}
            </option>
          ))}
        </SelectField>
      </div>
      <TextArea label="Description" name="description" rows={8} value={draft.description} onChange={(e) => set('description', e.target.value)} error={fe['description']} hint="Steps, expectations, context. Ctrl+Enter saves." />
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
