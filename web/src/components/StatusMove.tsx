import { useState } from 'react';
import type { Workflow } from '../api/types';
import { CATEGORY_LABEL, statusChoices } from '../tracker';
import { ErrorNote, Menu, StatusPill } from './ui';

/**
 * "Move to": the statuses the record's workflow allows from where it is, one click each, so a
 * status change needs no trip through the edit form. `onMove` saves (and may open the merge).
 */
export function StatusMove({ workflow, status, onMove }: { workflow: Workflow | undefined; status: string; onMove: (to: string) => Promise<void> }) {
  const [error, setError] = useState<unknown>(null);
  const moves = statusChoices(workflow, status).slice(1);
  if (!workflow || moves.length === 0) return null;
  const categoryOf = (name: string) => workflow.statuses.find((s) => s.name === name)?.category;
  return (
    <>
      <Menu label={<>Move to <span aria-hidden="true">▾</span></>} buttonClass="btn btn-small" align="left">
        {(close) => (
          <>
            <div className="menu-label">Allowed from {status}</div>
            {moves.map((to) => {
              const category = categoryOf(to);
              return (
                <button
                  key={to}
                  type="button"
                  role="menuitem"
                  className="menu-item"
                  onClick={async () => {
                    close();
                    setError(null);
                    try {
                      await onMove(to);
                    } catch (err) {
                      setError(err);
                    }
                  }}
                >
                  <StatusPill status={to} />
                  {category && <span className="muted small"> {CATEGORY_LABEL[category]}</span>}
                </button>
              );
            })}
          </>
        )}
      </Menu>
      <ErrorNote error={error} what="Moving the record" />
    </>
  );
}
