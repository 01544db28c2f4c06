/**
 * The kit every admin and project-settings section is built from: the card a section sits in,
 * the buttons at the foot of its forms and dialogs, and the table of its items.
 *
 * Forms start from the data they edit (`useState(() => formOf(data))`) and are mounted only once
 * that data is there; to start over for another item, the parent gives the form a new React `key`
 * (the item's id). `Dialog` unmounts its body when closed, so a dialog's form starts fresh on
 * every open without an effect copying props into state.
 */
import { useId, type ReactNode } from 'react';

export function Section({ title, intro, children, actions }: { title: string; intro?: ReactNode; children: ReactNode; actions?: ReactNode }) {
  const titleId = useId();
  return (
    <section className="card settings-card" aria-labelledby={titleId}>
      <div className="card-title-row">
        <div>
          <h2 className="card-title" id={titleId}>
            {title}
          </h2>
          {intro && <p className="muted small intro">{intro}</p>}
        </div>
        {actions}
      </div>
      {children}
    </section>
  );
}

/** Cancel and the submit button of a dialog's form; `busy` says the submit is under way. */
export function DialogActions({
  onCancel,
  busy,
  label,
  busyLabel = 'Saving…',
  disabled,
}: {
  onCancel: () => void;
  busy: boolean;
  label: string;
  busyLabel?: string;
  disabled?: boolean;
}) {
  return (
    <div className="form-actions">
      <button type="button" className="btn btn-ghost" onClick={onCancel}>
        Cancel
      </button>
      <button type="submit" className="btn btn-primary" disabled={busy || disabled}>
        {busy ? busyLabel : label}
      </button>
    </div>
  );
}

/** One column of a `SettingsTable`: its heading, and `hide-narrow` for one phones may leave out. */
export type Column = string | { label: string; className: string };

/**
 * The table of a section's items: the header row of its columns, then a last, unlabelled one
 * for each row's buttons (named for screen readers). The rows are the children.
 */
export function SettingsTable({
  columns,
  label,
  caption,
  className,
  children,
}: {
  columns: Column[];
  /** The table's accessible name, when no caption names it. */
  label?: string;
  /** Read out, not shown. */
  caption?: ReactNode;
  className?: string;
  children: ReactNode;
}) {
  return (
    <div className="table-wrap">
      <table className={className ? `table ${className}` : 'table'} aria-label={label}>
        {caption && <caption className="sr-only">{caption}</caption>}
        <thead>
          <tr>
            {columns.map((c) =>
              typeof c === 'string' ? (
                <th scope="col" key={c}>
                  {c}
                </th>
              ) : (
                <th scope="col" key={c.label} className={c.className}>
                  {c.label}
                </th>
              ),
            )}
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
