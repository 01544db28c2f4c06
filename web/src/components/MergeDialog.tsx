import { useMemo, useState } from 'react';
import type { EditConflict, Member } from '../api/types';
import { merge3 } from '../diff';
import { draftOf, type RecordDraft } from './RecordForm';
import { TextDiff } from './RecordHistory';
import { Dialog, ErrorNote, TextArea } from './ui';

type Key = 'title' | 'description' | 'status' | 'assignee' | 'priority' | 'severity';
const LABEL: Record<string, string> = {
  title: 'Title',
  description: 'Description',
  status: 'Status',
  assignee: 'Assignee',
  priority: 'Priority',
  severity: 'Severity',
};

/**
 * Someone saved the record after you opened it. Shows what they changed; fields only you changed
 * keep your value, fields only they changed keep theirs; where you both changed a field you pick,
 * and a description both of you edited is merged line by line (conflicting lines are marked for
 * you to resolve in the text box).
 */
export function MergeDialog({
  conflict,
  base,
  mine,
  members,
  onSave,
  onDiscardMine,
  onClose,
}: {
  conflict: EditConflict;
  base: RecordDraft;
  mine: RecordDraft;
  members: Member[];
  onSave: (merged: RecordDraft, version: number) => Promise<void>;
  onDiscardMine: () => void;
  onClose: () => void;
}) {
  const cur = conflict.current;
  const theirs: RecordDraft = draftOf(cur);
  const by = [...new Set(conflict.changes.flatMap((c) => c.by))];
  const name = (u: string) => members.find((m) => m.username === u)?.fullName || u;
  const theirName = by.map(name).join(', ') || 'someone';
  const keys: Key[] = ['title', 'status', 'assignee', 'priority', 'severity', 'description'];
  const mineChanged = (k: Key) => (mine[k] ?? null) !== (base[k] ?? null);
  const theirsChanged = (k: Key) => (theirs[k] ?? null) !== (base[k] ?? null);
  const both = keys.filter((k) => mineChanged(k) && theirsChanged(k) && mine[k] !== theirs[k]);
  const auto = useMemo(
    () => merge3(base.description, mine.description, theirs.description, { mine: 'yours', theirs: theirName }),
    [base.description, mine.description, theirs.description, theirName],
  );
  const [pick, setPick] = useState<Partial<Record<Key, 'mine' | 'theirs'>>>({});
  const [description, setDescription] = useState(auto.text);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const unresolved = both.includes('description') && /^(<<<<<<<|=======|>>>>>>>)/m.test(description);

  const merged = (): RecordDraft => {
    const out: RecordDraft = { ...theirs, fields: { ...theirs.fields } };
    const set = (k: Key, v: string | null | undefined) => Object.assign(out, { [k]: v ?? null });
    for (const k of keys) {
      if (!mineChanged(k)) continue;
      if (k === 'description' && both.includes(k)) out.description = description;
      else if (both.includes(k)) set(k, pick[k] === 'theirs' ? theirs[k] : mine[k]);
      else set(k, mine[k]);
    }
    // Custom fields: the ones you changed keep your value.
    for (const [f, v] of Object.entries(mine.fields ?? {})) if (JSON.stringify(v ?? null) !== JSON.stringify(base.fields?.[f] ?? null)) out.fields![f] = v;
    return out;
  };
  const show = (k: string, v: string | null | undefined) => (k === 'assignee' ? (v ? name(v) : 'Unassigned') : v || '(empty)');

  return (
    <Dialog open title={`${cur.tag} was changed while you edited it`} onClose={onClose} wide>
      <div className="stack merge-dialog" data-testid="merge-dialog">
        <p>
          <strong>{theirName}</strong> saved a change after you opened this {cur.type === 'defect' ? 'defect' : 'record'}. Nothing of yours is lost: review and
          save the merge below.
        </p>
        <section>
          <h3 className="card-title">What {theirName} changed</h3>
          <ul className="changes">
            {conflict.changes.map((c) => (
              <li key={c.field}>
                <span className="change-field">{LABEL[c.field] ?? c.field.replace(/^fields\./, '')}</span>{' '}
                {c.field === 'description' ? (
                  <TextDiff old={c.old ?? ''} next={c.new ?? ''} />
                ) : (
                  <>
                    <del>{show(c.field, c.old)}</del> → <ins>{show(c.field, c.new)}</ins>
                  </>
                )}
              </li>
            ))}
          </ul>
        </section>
        {both
          .filter((k) => k !== 'description')
          .map((k) => (
            <fieldset key={k} className="merge-choice">
              <legend>{LABEL[k]}: you both changed it</legend>
              <label>
                <input type="radio" name={`pick-${k}`} checked={pick[k] !== 'theirs'} onChange={() => setPick((p) => ({ ...p, [k]: 'mine' }))} /> Yours:{' '}
                <strong>{show(k, mine[k])}</strong>
              </label>
              <label>
                <input type="radio" name={`pick-${k}`} checked={pick[k] === 'theirs'} onChange={() => setPick((p) => ({ ...p, [k]: 'theirs' }))} /> {theirName}
                's: <strong>{show(k, theirs[k])}</strong>
              </label>
            </fieldset>
          ))}
        {both.includes('description') && (
          <TextArea
            label="Description, merged"
            name="merged-description"
            rows={10}
            value={description}
            onChange={(e) => setDescription(e.target.value)}
            error={unresolved ? 'Remove the conflict markers (<<<<<<<, =======, >>>>>>>) before saving.' : undefined}
            hint={
              auto.conflicts === 0
                ? `Your edit and ${theirName}'s touch different lines; both are in the text.`
                : `${auto.conflicts === 1 ? 'One place was' : `${auto.conflicts} places were`} changed by both of you: between <<<<<<< yours and >>>>>>> ${theirName}, keep what should stay and delete the markers.`
            }
          />
        )}
        <ErrorNote error={error} />
        <div className="form-actions">
          <button type="button" className="btn btn-ghost" onClick={onDiscardMine}>
            Discard mine, keep theirs
          </button>
          <button
            type="button"
            className="btn btn-primary"
            disabled={busy || unresolved}
            onClick={async () => {
              setBusy(true);
              setError(null);
              try {
                await onSave(merged(), cur.version);
              } catch (err) {
                setError(err);
              } finally {
                setBusy(false);
              }
            }}
          >
            {busy ? 'Saving…' : 'Save the merge'}
          </button>
        </div>
      </div>
    </Dialog>
  );
}
