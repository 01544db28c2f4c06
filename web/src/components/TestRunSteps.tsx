import { useState } from 'react';
import { api, enc } from '../api/client';
import { useResource } from '../api/hooks';
import type { OverallResult, StepResult, TestRun, TestRunStep, TrackerRecord } from '../api/types';
import { relative } from '../format';
import { recordPath } from '../paths';
import { Link } from '../router';
import { RESULT_LABEL, ResultBadge } from './TestSteps';
import { ErrorNote, Spinner, cx } from './ui';

const BUTTONS: { result: StepResult; label: string; className: string }[] = [
  { result: 'passed', label: 'Pass', className: 'run-btn-pass' },
  { result: 'failed', label: 'Fail', className: 'run-btn-fail' },
  { result: 'blocked', label: 'Blocked', className: 'run-btn-blocked' },
];

/** The box grows with what was written (up to five lines), so a long actual result reads whole. */
const rowsFor = (text: string) => Math.min(5, text.split('\n').reduce((n, line) => n + Math.max(1, Math.ceil(line.length / 72)), 0));

function RunStep({ step, canEdit, onRecord }: { step: TestRunStep; canEdit: boolean; onRecord: (input: { result?: StepResult; actual?: string }) => Promise<void> }) {
  const [actual, setActual] = useState(step.actual);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const dirty = actual.trim() !== step.actual;
  const send = async (input: { result?: StepResult; actual?: string }) => {
    setBusy(true);
    setError(null);
    try {
      await onRecord(input);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <li className={cx('run-step', `run-step-${step.result}`)} aria-label={`Step ${step.number}`}>
      <div className="run-step-head">
        <span className="step-num" aria-hidden="true">
          {step.number}
        </span>
        <div className="step-text">
          <div className="step-action">{step.action}</div>
          {step.expected && (
            <div className="step-expected">
              <span className="step-expected-label">Expected</span> {step.expected}
            </div>
          )}
        </div>
        <ResultBadge result={step.result} />
      </div>
      {canEdit ? (
        <div className="run-step-body">
          <div className="run-step-buttons" role="group" aria-label={`Result of step ${step.number}`}>
            {BUTTONS.map((b) => (
              <button
                key={b.result}
                type="button"
                className={cx('btn btn-small run-btn', b.className, step.result === b.result && 'is-on')}
                aria-pressed={step.result === b.result}
                disabled={busy}
                // The actual result typed so far travels with the verdict, so a failure is never saved without its words.
                onClick={() => void send({ result: step.result === b.result ? 'notRun' : b.result, ...(dirty ? { actual } : {}) })}
              >
                {b.label}
              </button>
            ))}
          </div>
          <label className="run-actual">
            <span className="sr-only">Actual result of step {step.number}</span>
            <textarea rows={rowsFor(actual)} value={actual} placeholder="Actual result (what happened, when it differs)" onChange={(e) => setActual(e.target.value)} />
          </label>
          {dirty && (
            <button type="button" className="btn btn-small" disabled={busy} onClick={() => void send({ actual })}>
              Save
            </button>
          )}
          {step.updatedBy && step.updatedAt && (
            <span className="muted small run-step-who">
              {step.updatedBy} · {relative(step.updatedAt)}
            </span>
          )}
        </div>
      ) : (
        step.actual && (
          <div className="run-step-actual">
            <span className="step-expected-label">Actual</span> {step.actual}
          </div>
        )
      )}
      <ErrorNote error={error} />
    </li>
  );
}

function Override({ run, canEdit, onSet }: { run: TestRun; canEdit: boolean; onSet: (input: { result: OverallResult | null; reason?: string }) => Promise<void> }) {
  const [open, setOpen] = useState(false);
  const [result, setResult] = useState<OverallResult>(run.result.computed === 'passed' ? 'failed' : 'passed');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<unknown>(null);
  const o = run.result.override;
  if (o) {
    return (
      <p className="run-override small">
        Set by hand{o.by ? ` by ${o.by}` : ''} {relative(o.at)}: “{o.reason}”. The steps say <ResultBadge result={run.result.computed} />.{' '}
        {canEdit && (
          <button type="button" className="link-button" onClick={() => void onSet({ result: null }).catch(setError)}>
            Use the steps’ result
          </button>
        )}
        <ErrorNote error={error} />
      </p>
    );
  }
  if (!canEdit) return null;
  if (!open) {
    return (
      <button type="button" className="link-button small" onClick={() => setOpen(true)}>
        Set the overall result by hand…
      </button>
    );
  }
  return (
    <form
      className="run-override-form"
      onSubmit={(e) => {
        e.preventDefault();
        setError(null);
        onSet({ result, reason })
          .then(() => setOpen(false))
          .catch(setError);
      }}
    >
      <select aria-label="Overall result" value={result} onChange={(e) => setResult(e.target.value as OverallResult)}>
        {(Object.keys(RESULT_LABEL) as OverallResult[]).map((r) => (
          <option key={r} value={r}>
            {RESULT_LABEL[r]}
          </option>
        ))}
      </select>
      <input type="text" aria-label="Reason" placeholder="Why (kept with the result)" value={reason} onChange={(e) => setReason(e.target.value)} required />
      <button type="submit" className="btn btn-small" disabled={!reason.trim()}>
        Set result
      </button>
      <button type="button" className="btn btn-small btn-ghost" onClick={() => setOpen(false)}>
        Cancel
      </button>
      <ErrorNote error={error} />
    </form>
  );
}

/**
 * Executing a test run: each step with its action and expected result, Pass / Fail / Blocked and
 * the actual result, and the overall result above, recomputed by the server after every click.
 */
export function TestRunSteps({ projectKey, record, canEdit, onChanged }: { projectKey: string; record: TrackerRecord; canEdit: boolean; onChanged: () => void }) {
  const base = `/projects/${enc(projectKey)}/records/${enc(record.id)}/test-run`;
  const run = useResource<TestRun>(base);
  if (run.error) return <ErrorNote error={run.error} onRetry={() => void run.reload()} />;
  if (!run.data) return <Spinner />;
  const r = run.data;
  const c = r.result.counts;
  const done = c.total - c.notRun;
  const record1 = async (stepId: string, input: { result?: StepResult; actual?: string }) => {
    run.setData(await api.patch<TestRun>(`${base}/steps/${enc(stepId)}`, input));
    onChanged();
  };
  const setResult = async (input: { result: OverallResult | null; reason?: string }) => {
    run.setData(await api.put<TestRun>(`${base}/result`, input));
    onChanged();
  };
  return (
    <section className="card run-card" aria-labelledby="run-title">
      <div className="card-title-row">
        <h2 className="card-title" id="run-title">
          Test run
        </h2>
        {r.testCase && (
          <span className="muted small run-origin">
            of <span className="record-tag mono">{r.testCase.tag}</span>{' '}
            <Link to={recordPath(projectKey, r.testCase)}>{r.testCase.title}</Link>
          </span>
        )}
      </div>
      {r.steps.length === 0 ? (
        <p className="muted small">This test run was not made from a test case, so it has no steps to record. Open a test case and use “Run this test” to run it step by step.</p>
      ) : (
        <>
          <div className={cx('run-summary', `run-summary-${r.result.value}`)} aria-live="polite">
            <div className="run-summary-main">
              <span className="muted small">Overall result</span>
              <ResultBadge result={r.result.value} large />
            </div>
            <div className="run-summary-side">
              <div className="run-bar" role="img" aria-label={`${c.passed} passed, ${c.failed} failed, ${c.blocked} blocked, ${c.notRun} not run`}>
                {(['passed', 'failed', 'blocked', 'notRun'] as const).map((k) => (c[k] > 0 ? <span key={k} className={`run-bar-${k}`} style={{ flexGrow: c[k] }} /> : null))}
              </div>
              <span className="small">
                {done} of {c.total} steps run · <strong className="run-count-passed">{c.passed} passed</strong>
                {c.failed > 0 && <> · <strong className="run-count-failed">{c.failed} failed</strong></>}
                {c.blocked > 0 && <> · <strong className="run-count-blocked">{c.blocked} blocked</strong></>}
              </span>
              <Override run={r} canEdit={canEdit} onSet={setResult} />
            </div>
          </div>
          <ol className="run-steps">
            {r.steps.map((s) => (
              <RunStep key={s.id} step={s} canEdit={canEdit} onRecord={(input) => record1(s.id, input)} />
            ))}
          </ol>
        </>
      )}
    </section>
  );
}
