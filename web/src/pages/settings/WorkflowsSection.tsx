import { useRef, useState, type FormEvent } from 'react';
import { ApiError, api, enc } from '../../api/client';
import { useResource } from '../../api/hooks';
import type { RecordType, StatusCategory, Workflow } from '../../api/types';
import { RECORD_TYPES } from '../../api/types';
import { Section } from '../../components/Section';
import { Empty, ErrorNote, Flash, Spinner, cx, useFlash } from '../../components/ui';
import { TYPE_INFO } from '../../recordTypes';
import { CATEGORY_LABEL } from '../../tracker';

const CATEGORIES: StatusCategory[] = ['open', 'inProgress', 'done'];

export function WorkflowsSection({ base }: { base: string }) {
  const workflows = useResource<{ workflows: Workflow[] }>(`${base}/workflows`);
  const [type, setType] = useState<RecordType>('defect');
  const [flash, setFlash] = useFlash();
  const wf = workflows.data?.workflows.find((w) => w.type === type);
  return (
    <Section
      title="Workflows"
      intro="Each record type's statuses, the moves allowed between them and the status new records start in. The record page offers only the allowed moves."
    >
      {workflows.error ? (
        <ErrorNote error={workflows.error} what="Workflows" />
      ) : !workflows.data ? (
        <Spinner />
      ) : (
        <>
          <div className="pills" role="tablist" aria-label="Record types">
            {RECORD_TYPES.map((t) => {
              const n = workflows.data?.workflows.find((w) => w.type === t)?.statuses.length ?? 0;
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
                  <span className="pill-count" aria-label={`${n} statuses`}>
                    {n}
                  </span>
                </button>
              );
            })}
          </div>
          {wf ? (
            <WorkflowEditor
              key={type}
              base={base}
              workflow={wf}
              flash={flash}
              onSaved={(saved) => {
                workflows.setData((old) => ({ workflows: (old?.workflows ?? []).map((w) => (w.type === saved.type ? saved : w)) }));
                setFlash('Saved');
              }}
            />
          ) : (
            <Empty title="No workflow">The server sent no workflow for {TYPE_INFO[type].many.toLowerCase()}.</Empty>
          )}
        </>
      )}
    </Section>
  );
}

/** A status as the form holds it: `key` stays while the name is edited, `was` is its stored name (null for a new one). */
interface StatusRow {
  key: string;
  name: string;
  category: StatusCategory;
  was: string | null;
}

interface WorkflowForm {
  rows: StatusRow[];
  /** Stored statuses taken out and where they were, so a refused save can put one back with its moves. */
  removed: { row: StatusRow; at: number }[];
  /** `fromKey>toKey` for every allowed move. */
  moves: Set<string>;
  initial: string;
}

const move = (from: string, to: string) => `${from}>${to}`;

function formOf(wf: Workflow): WorkflowForm {
  const rows = wf.statuses.map((s, i) => ({ key: `s${i}`, name: s.name, category: s.category, was: s.name }));
  const keyOf = new Map(rows.map((r) => [r.name, r.key]));
  const moves = new Set<string>();
  for (const [from, tos] of Object.entries(wf.transitions)) {
    for (const to of tos) {
      const a = keyOf.get(from);
      const b = keyOf.get(to);
      if (a && b && a !== b) moves.add(move(a, b));
    }
  }
  return { rows, removed: [], moves, initial: keyOf.get(wf.initial) ?? rows[0]?.key ?? '' };
}

/** What PUT …/workflows/{type} takes: names from the rows, a rename for every stored status whose name changed. */
function bodyOf(f: WorkflowForm) {
  const name = (r: StatusRow) => r.name.trim();
  const renames: Record<string, string> = {};
  for (const r of f.rows) if (r.was !== null && r.was !== name(r)) renames[r.was] = name(r);
  return {
    statuses: f.rows.map((r) => ({ name: name(r), category: r.category })),
    transitions: Object.fromEntries(f.rows.map((from) => [name(from), f.rows.filter((to) => f.moves.has(move(from.key, to.key))).map(name)])),
    initial: name(f.rows.find((r) => r.key === f.initial) ?? f.rows[0]!),
    ...(Object.keys(renames).length > 0 ? { renames } : {}),
  };
}

/** The name problems the server would refuse, found before sending: row key → words. */
function nameProblems(rows: StatusRow[]): Map<string, string> {
  const out = new Map<string, string>();
  const seen = new Map<string, string>();
  for (const r of rows) {
    const n = r.name.trim().toLowerCase();
    if (n === '') out.set(r.key, 'Give the status a name.');
    else if (seen.has(n)) out.set(r.key, `“${r.name.trim()}” is already a status (names are compared without case).`);
    else seen.set(n, r.key);
  }
  return out;
}

/** One type's workflow; keyed by the type, so picking another starts from its stored workflow. */
function WorkflowEditor({ base, workflow, flash, onSaved }: { base: string; workflow: Workflow; flash: string | null; onSaved: (wf: Workflow) => void }) {
  const [form, setForm] = useState<WorkflowForm>(() => formOf(workflow));
  const [dirty, setDirty] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [tried, setTried] = useState(false);
  const nextKey = useRef(workflow.statuses.length);
  const info = TYPE_INFO[workflow.type];

  const change = (fn: (f: WorkflowForm) => WorkflowForm) => {
    setForm(fn);
    setDirty(true);
  };
  const setRow = (key: string, patch: Partial<StatusRow>) => change((f) => ({ ...f, rows: f.rows.map((r) => (r.key === key ? { ...r, ...patch } : r)) }));
  const toggleMove = (from: string, to: string, on: boolean) =>
    change((f) => {
      const moves = new Set(f.moves);
      if (on) moves.add(move(from, to));
      else moves.delete(move(from, to));
      return { ...f, moves };
    });
  const add = () => {
    const key = `s${nextKey.current++}`;
    change((f) => ({ ...f, rows: [...f.rows, { key, name: '', category: 'inProgress', was: null }] }));
    // The new row's name input is the last one; focus it once it is there.
    requestAnimationFrame(() => document.querySelector<HTMLInputElement>(`[data-status-key="${key}"]`)?.focus());
  };
  const remove = (key: string) =>
    change((f) => {
      const rows = f.rows.filter((r) => r.key !== key);
      const at = f.rows.findIndex((r) => r.key === key);
      const gone = f.rows[at];
      return {
        ...f,
        rows,
        removed: gone && gone.was !== null ? [...f.removed, { row: gone, at }] : f.removed,
        initial: f.initial === key ? (rows[0]?.key ?? '') : f.initial,
      };
    });
  const restore = (stored: string) =>
    change((f) => {
      const gone = f.removed.find((r) => r.row.was === stored);
      if (!gone) return f;
      const rows = [...f.rows];
      rows.splice(Math.min(gone.at, rows.length), 0, gone.row);
      return { ...f, rows, removed: f.removed.filter((r) => r !== gone) };
    });
  const shift = (key: string, by: -1 | 1) =>
    change((f) => {
      const i = f.rows.findIndex((r) => r.key === key);
      const j = i + by;
      if (i < 0 || j < 0 || j >= f.rows.length) return f;
      const rows = [...f.rows];
      [rows[i], rows[j]] = [rows[j]!, rows[i]!];
      return { ...f, rows };
    });

  const problems = nameProblems(form.rows);
  const save = async (e: FormEvent) => {
    e.preventDefault();
    setTried(true);
    setError(null);
    if (problems.size > 0 || form.rows.length === 0) return;
    setBusy(true);
    try {
      const saved = await api.put<Workflow>(`${base}/workflows/${enc(workflow.type)}`, bodyOf(form));
      nextKey.current = saved.statuses.length;
      setForm(formOf(saved));
      setDirty(false);
      setTried(false);
      onSaved(saved);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const reset = () => {
    setForm(formOf(workflow));
    setDirty(false);
    setError(null);
    setTried(false);
  };

  const inUse = error instanceof ApiError && error.code === 'status_in_use' ? (error.details as { status?: unknown; count?: unknown } | undefined) : undefined;
  const inUseStatus = typeof inUse?.status === 'string' ? inUse.status : null;
  const inUseCount = typeof inUse?.count === 'number' ? inUse.count : null;
  const rows = form.rows;
  const label = (r: StatusRow) => r.name.trim() || 'New status';

  return (
    <form className="stack" onSubmit={save} aria-label={`Workflow of ${info.many.toLowerCase()}`}>
      {inUseStatus !== null ? (
        <div className="notice notice-error" role="alert">
          <span>
            {inUseCount === 1 ? 'One record is' : `${inUseCount ?? 'Some'} records are`} in “{inUseStatus}”, so it cannot be removed. Rename it instead (its
            records move along), or move them to another status first. Nothing was saved.
          </span>
          {form.removed.some((r) => r.row.was === inUseStatus) && (
            <button type="button" className="btn btn-small" onClick={() => restore(inUseStatus)}>
              Keep “{inUseStatus}”
            </button>
          )}
        </div>
      ) : (
        <ErrorNote error={error} />
      )}
      {tried && rows.length === 0 && (
        <div className="notice notice-error" role="alert">
          A workflow needs at least one status.
        </div>
      )}

      <div className="wf-head">
        <h3>Statuses</h3>
        <p className="muted small">In the order people see them. Renaming a status moves its records along.</p>
      </div>
      <div className="status-row status-row-labels hide-narrow" aria-hidden="true">
        <span />
        <span>Name</span>
        <span>Category</span>
        <span>Start</span>
        <span />
      </div>
      <ol className="status-rows" aria-label="Statuses">
        {rows.map((r, i) => {
          const problem = tried ? problems.get(r.key) : undefined;
          return (
            <li key={r.key} className={cx('status-row', problem && 'field-invalid')}>
              <span className="status-row-order">
                <button type="button" className="icon-btn" aria-label={`Move ${label(r)} up`} disabled={i === 0} onClick={() => shift(r.key, -1)}>
                  ↑
                </button>
                <button
                  type="button"
                  className="icon-btn"
                  aria-label={`Move ${label(r)} down`}
                  disabled={i === rows.length - 1}
                  onClick={() => shift(r.key, 1)}
                >
                  ↓
                </button>
              </span>
              <span className="status-row-name">
                <input
                  data-status-key={r.key}
                  aria-label={`Name of status ${i + 1}`}
                  aria-invalid={problem ? true : undefined}
                  value={r.name}
                  maxLength={100}
                  placeholder="Status name"
                  onChange={(e) => setRow(r.key, { name: e.target.value })}
                />
                {r.was !== null && r.was !== r.name.trim() && r.name.trim() !== '' && <span className="field-hint">Renamed from “{r.was}”</span>}
                {problem && <span className="field-error">{problem}</span>}
              </span>
              <select
                className="status-row-category"
                aria-label={`Category of ${label(r)}`}
                value={r.category}
                onChange={(e) => setRow(r.key, { category: e.target.value as StatusCategory })}
              >
                {CATEGORIES.map((c) => (
                  <option key={c} value={c}>
                    {CATEGORY_LABEL[c]}
                  </option>
                ))}
              </select>
              <label className="status-row-initial" title="New records start here">
                <input
                  type="radio"
                  name={`initial-${workflow.type}`}
                  aria-label={`New records start in ${label(r)}`}
                  checked={form.initial === r.key}
                  onChange={() => change((f) => ({ ...f, initial: r.key }))}
                />
                <span className="only-narrow">New records start here</span>
              </label>
              <button
                type="button"
                className="btn btn-small btn-ghost btn-danger-text status-row-remove"
                aria-label={`Remove ${label(r)}`}
                onClick={() => remove(r.key)}
              >
                Remove
              </button>
            </li>
          );
        })}
      </ol>
      <div>
        <button type="button" className="btn btn-small" onClick={add}>
          + Add status
        </button>
      </div>

      <div className="wf-head">
        <h3>Allowed moves</h3>
        <p className="muted small">Tick where a record in the status on the left may go next.</p>
      </div>
      {rows.length > 0 && (
        <div className="table-wrap">
          <table className="matrix moves">
            <caption className="sr-only">Allowed moves between the statuses of {info.many.toLowerCase()}: from the row to the column</caption>
            <thead>
              <tr>
                <th scope="col">From ↓ · to →</th>
                {rows.map((to) => (
                  <th scope="col" key={to.key}>
                    {label(to)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((from) => (
                <tr key={from.key}>
                  <th scope="row">{label(from)}</th>
                  {rows.map((to) => (
                    <td key={to.key}>
                      {from.key === to.key ? (
                        <span className="muted" aria-hidden="true">
                          ·
                        </span>
                      ) : (
                        <input
                          type="checkbox"
                          aria-label={`${label(from)} → ${label(to)}`}
                          checked={form.moves.has(move(from.key, to.key))}
                          onChange={(e) => toggleMove(from.key, to.key, e.target.checked)}
                        />
                      )}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <div className="form-actions">
        <Flash msg={flash} />
        {dirty && (
          <button type="button" className="btn btn-ghost" onClick={reset}>
            Undo changes
          </button>
        )}
        <button type="submit" className="btn btn-primary" disabled={busy || !dirty}>
          {busy ? 'Saving…' : dirty ? 'Save workflow' : 'Saved'}
        </button>
      </div>
    </form>
  );
}
