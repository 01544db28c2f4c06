import { useState } from 'react';
import { api, enc } from '../api/client';
import { useResource } from '../api/hooks';
import type { OverallResult, TestRun, TestRunSummary, TestStep, TrackerRecord } from '../api/types';
import { relative } from '../format';
import { recordPath } from '../paths';
import { Link, useNavigate } from '../router';
import { ErrorNote, Spinner, cx } from './ui';

export const RESULT_LABEL: Record<OverallResult, string> = { notRun: 'Not run', inProgress: 'In progress', passed: 'Passed', failed: 'Failed', blocked: 'Blocked' };

/** A test result as a coloured badge: the same colours in the run, the runs list and the test case. */
export function ResultBadge({ result, large }: { result: OverallResult; large?: boolean }) {
  return <span className={cx('result', `result-${result}`, large && 'result-large')}>{RESULT_LABEL[result]}</span>;
}

function StepForm({ initial, submitLabel, onSubmit, onCancel }: { initial: { action: string; expected: string }; submitLabel: string; onSubmit: (s: { action: string; expected: string }) => Promise<void>; onCancel?: () => void }) {
  const [action, setAction] = useState(initial.action);
  const [expected, setExpected] = useState(initial.expected);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  return (
    <form
      className="step-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (!action.trim()) return;
        setBusy(true);
        setError(null);
        onSubmit({ action, expected })
          .then(() => {
            if (!onCancel) {
              setAction('');
              setExpected('');
            }
          })
          .catch(setError)
          .finally(() => setBusy(false));
      }}
      onKeyDown={(e) => {
        if (e.key === 'Escape' && onCancel) onCancel();
      }}
    >
      <label className="step-form-field">
        <span>Action</span>
        <textarea rows={2} value={action} onChange={(e) => setAction(e.target.value)} placeholder="What the tester does" required />
      </label>
      <label className="step-form-field">
        <span>Expected result</span>
        <textarea rows={2} value={expected} onChange={(e) => setExpected(e.target.value)} placeholder="What should happen" />
      </label>
      <div className="step-form-buttons">
        <button type="submit" className="btn btn-small btn-primary" disabled={busy || !action.trim()}>
          {busy ? 'Saving…' : submitLabel}
        </button>
        {onCancel && (
          <button type="button" className="btn btn-small btn-ghost" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
      <ErrorNote error={error} />
    </form>
  );
}

/**
 * A test case's steps (action and expected result) in order, editable in place, and the button
 * that runs the test: a new test run with these steps, opened right away.
 */
export function TestSteps({ projectKey, record, canEdit, canRun, canSeeRuns, onChanged }: { projectKey: string; record: TrackerRecord; canEdit: boolean; canRun: boolean; canSeeRuns: boolean; onChanged: () => void }) {
  const base = `/projects/${enc(projectKey)}/records/${enc(record.id)}`;
  const steps = useResource<{ steps: TestStep[] }>(`${base}/steps`);
  const runs = useResource<{ runs: TestRunSummary[] }>(canSeeRuns ? `${base}/test-runs` : null);
  const [editing, setEditing] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [running, setRunning] = useState(false);
  const navigate = useNavigate();
  const list = steps.data?.steps ?? [];

  const changed = async () => {
    await steps.reload();
    onChanged();
  };
  const [busy, setBusy] = useState(false);
  // One change at a time: a second move computed from a list that is about to change would undo the first.
  const act = async (fn: () => Promise<unknown>) => {
    setError(null);
    setBusy(true);
    try {
      await fn();
      await changed();
    } catch (err) {
      setError(err);
      await steps.reload();
    } finally {
      setBusy(false);
    }
  };
  const move = (i: number, by: -1 | 1) => {
    const order = list.map((s) => s.id);
    const [moved] = order.splice(i, 1);
    order.splice(i + by, 0, moved!);
    void act(() => api.put(`${base}/steps/order`, { order }));
  };
  const run = async () => {
    setRunning(true);
    setError(null);
    try {
      const made = await api.post<{ record: TrackerRecord; run: TestRun }>(`${base}/test-runs`, {});
      navigate(recordPath(projectKey, made.record));
    } catch (err) {
      setError(err);
      setRunning(false);
    }
  };

  return (
    <section className="card" aria-labelledby="steps-title">
      <div className="card-title-row">
        <h2 className="card-title" id="steps-title">
          Steps{list.length > 0 && <span className="tab-count">{list.length}</span>}
        </h2>
        {canRun && (
          <button type="button" className="btn btn-small btn-primary" disabled={running || list.length === 0} title={list.length === 0 ? 'Add steps first' : undefined} onClick={() => void run()}>
            {running ? 'Starting…' : '▶ Run this test'}
          </button>
        )}
      </div>
      {steps.error ? (
        <ErrorNote error={steps.error} onRetry={() => void steps.reload()} />
      ) : !steps.data ? (
        <Spinner />
      ) : list.length === 0 ? (
        <p className="muted small">No steps yet.{canEdit ? ' Add what the tester does and what should happen, one step at a time.' : ''}</p>
      ) : (
        <ol className="step-list" aria-label={`Steps of ${record.tag}`}>
          {list.map((s, i) => (
            <li key={s.id} className="step-row">
              <span className="step-num" aria-hidden="true">
                {s.number}
              </span>
              {editing === s.id ? (
                <StepForm
                  initial={s}
                  submitLabel="Save step"
                  onCancel={() => setEditing(null)}
                  onSubmit={async (v) => {
                    await api.patch(`${base}/steps/${enc(s.id)}`, v);
                    setEditing(null);
                    await changed();
                  }}
                />
              ) : (
                <>
                  <div className="step-text">
                    <div className="step-action">{s.action}</div>
                    {s.expected && (
                      <div className="step-expected">
                        <span className="step-expected-label">Expected</span> {s.expected}
                      </div>
                    )}
                  </div>
                  {canEdit && (
                    <div className="step-tools">
                      <button type="button" className="icon-btn" aria-label={`Move step ${s.number} up`} disabled={busy || i === 0} onClick={() => move(i, -1)}>
                        ↑
                      </button>
                      <button type="button" className="icon-btn" aria-label={`Move step ${s.number} down`} disabled={busy || i === list.length - 1} onClick={() => move(i, 1)}>
                        ↓
                      </button>
                      <button type="button" className="icon-btn" aria-label={`Edit step ${s.number}`} onClick={() => setEditing(s.id)}>
                        ✎
                      </button>
                      <button type="button" className="icon-btn" aria-label={`Remove step ${s.number}`} disabled={busy} onClick={() => void act(() => api.del(`${base}/steps/${enc(s.id)}`))}>
                        ×
                      </button>
                    </div>
                  )}
                </>
              )}
            </li>
          ))}
        </ol>
      )}
      {canEdit && (
        <div className="step-add">
          <h3 className="card-subtitle">Add a step</h3>
          <StepForm
            initial={{ action: '', expected: '' }}
            submitLabel="Add step"
            onSubmit={async (v) => {
              await api.post(`${base}/steps`, v);
              await changed();
            }}
          />
        </div>
      )}
      <ErrorNote error={error} />
      {canSeeRuns && runs.data && runs.data.runs.length > 0 && (
        <div className="runs-of-case">
          <h3 className="card-subtitle">Runs</h3>
          <ul className="link-list" aria-label={`Runs of ${record.tag}`}>
            {runs.data.runs.map((r) => (
              <li key={r.id} className="link-row">
                <span className="record-tag mono">{r.tag}</span>
                <Link to={recordPath(projectKey, r)} className="link-title">
                  {r.title}
                </Link>
                <ResultBadge result={r.result} />
                <span className="muted small">
                  {r.counts.passed}/{r.counts.total} passed · {r.assignee ?? r.creator} · {relative(r.createdAt)}
                </span>
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
