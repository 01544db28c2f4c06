import { useState } from 'react';

/**
 * The condition tree of a rule (notification or escalation; docs/notifications.md): a list of
 * predicates joined by "all" or "any". A tree nested deeper than that (written through the API)
 * is edited as JSON, so nothing of it is lost by opening the dialog.
 */
export type Leaf = { field: string; op: string; value?: string | string[]; minutes?: number };
export type Condition = { all: Condition[] } | { any: Condition[] } | Leaf;

const TEXT_FIELDS: [string, string][] = [
  ['status', 'Status'],
  ['statusCategory', 'Status category'],
  ['priority', 'Priority'],
  ['severity', 'Severity'],
  ['assignee', 'Assignee'],
  ['creator', 'Creator'],
  ['type', 'Record type'],
  ['participants', 'Participants'],
];
const DURATION_FIELDS: [string, string][] = [
  ['age', 'Age'],
  ['sinceLastChange', 'Time since last change'],
  ['sinceLastInbound', 'Time since last inbound email'],
];
const TEXT_OPS: [string, string][] = [
  ['is', 'is'],
  ['isNot', 'is not'],
  ['in', 'is one of'],
  ['notIn', 'is none of'],
  ['contains', 'contains'],
  ['isEmpty', 'is empty'],
  ['isNotEmpty', 'is not empty'],
];
const DURATION_OPS: [string, string][] = [
  ['moreThan', 'more than'],
  ['lessThan', 'less than'],
];
const UNITS: [number, string][] = [
  [1, 'minutes'],
  [60, 'hours'],
  [1440, 'days'],
];

const isDuration = (field: string) => DURATION_FIELDS.some(([f]) => f === field);
const isList = (op: string) => op === 'in' || op === 'notIn';

interface Flat {
  join: 'all' | 'any';
  leaves: Leaf[];
}

/** The tree as one join of predicates, or undefined when it nests deeper. */
function flatten(c: Condition): Flat | undefined {
  if ('field' in c) return { join: 'all', leaves: [c] };
  const join = 'all' in c ? 'all' : 'any';
  const list = 'all' in c ? c.all : c.any;
  if (!list.every((x) => 'field' in x)) return undefined;
  return { join, leaves: list as Leaf[] };
}

const toTree = (f: Flat): Condition => (f.join === 'all' ? { all: f.leaves } : { any: f.leaves });

function valueText(l: Leaf): string {
  return Array.isArray(l.value) ? l.value.join(', ') : (l.value ?? '');
}

function bestUnit(minutes: number): number {
  return minutes > 0 && minutes % 1440 === 0 ? 1440 : minutes > 0 && minutes % 60 === 0 ? 60 : 1;
}

function LeafRow({
  leaf,
  index,
  onChange,
  onRemove,
  customFields,
}: {
  leaf: Leaf;
  index: number;
  onChange: (l: Leaf) => void;
  onRemove: () => void;
  customFields: string[];
}) {
  const n = index + 1;
  const setField = (field: string) => {
    if (field === 'changed') onChange({ field, op: 'anyOf', value: [] });
    else if (isDuration(field)) onChange({ field, op: 'moreThan', minutes: leaf.minutes ?? 1440 });
    else onChange({ field, op: isDuration(leaf.field) || leaf.field === 'changed' ? 'is' : leaf.op, value: valueText(leaf) });
  };
  const unit = bestUnit(leaf.minutes ?? 0);
  return (
    <div className="condition-row">
      <select aria-label={`Condition ${n} field`} value={leaf.field} onChange={(e) => setField(e.target.value)}>
        {[
          ...TEXT_FIELDS,
          ...customFields.map((k): [string, string] => [`fields.${k}`, k]),
          ...DURATION_FIELDS,
          ['changed', 'Changed fields'] as [string, string],
        ].map(([f, label]) => (
          <option key={f} value={f}>
            {label}
          </option>
        ))}
        {![...TEXT_FIELDS, ...DURATION_FIELDS].some(([f]) => f === leaf.field) && leaf.field !== 'changed' && !customFields.includes(leaf.field.slice(7)) && (
          <option value={leaf.field}>{leaf.field}</option>
        )}
      </select>
      {leaf.field === 'changed' ? (
        <>
          <span className="muted small">include any of</span>
          <input
            aria-label={`Condition ${n} value`}
            placeholder="status, priority, fields.KEY"
            value={valueText(leaf)}
            onChange={(e) => onChange({ ...leaf, value: e.target.value.split(',').map((v) => v.trim()) })}
          />
        </>
      ) : isDuration(leaf.field) ? (
        <>
          <select aria-label={`Condition ${n} operator`} value={leaf.op} onChange={(e) => onChange({ ...leaf, op: e.target.value })}>
            {DURATION_OPS.map(([o, label]) => (
              <option key={o} value={o}>
                {label}
              </option>
            ))}
          </select>
          <input
            aria-label={`Condition ${n} amount`}
            type="number"
            min={0}
            value={(leaf.minutes ?? 0) / unit}
            onChange={(e) => onChange({ ...leaf, minutes: Math.max(0, Number(e.target.value)) * unit })}
          />
          <select
            aria-label={`Condition ${n} unit`}
            value={unit}
            onChange={(e) => onChange({ ...leaf, minutes: ((leaf.minutes ?? 0) / unit) * Number(e.target.value) })}
          >
            {UNITS.map(([u, label]) => (
              <option key={u} value={u}>
                {label}
              </option>
            ))}
          </select>
        </>
      ) : (
        <>
          <select aria-label={`Condition ${n} operator`} value={leaf.op} onChange={(e) => onChange({ ...leaf, op: e.target.value })}>
            {TEXT_OPS.map(([o, label]) => (
              <option key={o} value={o}>
                {label}
              </option>
            ))}
          </select>
          {leaf.op !== 'isEmpty' && leaf.op !== 'isNotEmpty' && (
            <input
              aria-label={`Condition ${n} value`}
              placeholder={isList(leaf.op) ? 'a, b, c' : ''}
              value={valueText(leaf)}
              onChange={(e) => onChange({ ...leaf, value: e.target.value })}
            />
          )}
        </>
      )}
      <button type="button" className="chip-x" aria-label={`Remove condition ${n}`} onClick={onRemove}>
        ×
      </button>
    </div>
  );
}

/** What the API takes: lists split, empty texts dropped. */
export function cleanCondition(c: Condition): Condition {
  if ('all' in c) return { all: c.all.map(cleanCondition) };
  if ('any' in c) return { any: c.any.map(cleanCondition) };
  if (c.field === 'changed') return { ...c, value: (Array.isArray(c.value) ? c.value : [c.value ?? '']).map((v) => v.trim()).filter(Boolean) };
  if (c.minutes !== undefined) return { field: c.field, op: c.op, minutes: c.minutes };
  if (c.op === 'isEmpty' || c.op === 'isNotEmpty') return { field: c.field, op: c.op };
  const text = valueText(c);
  return {
    field: c.field,
    op: c.op,
    value: isList(c.op)
      ? text
          .split(',')
          .map((v) => v.trim())
          .filter(Boolean)
      : text.trim(),
  };
}

export function ConditionEditor({
  value,
  onChange,
  customFields = [],
  error,
}: {
  value: Condition;
  onChange: (c: Condition) => void;
  customFields?: string[];
  error?: string | undefined;
}) {
  const flat = flatten(value);
  const [json, setJson] = useState(() => JSON.stringify(value, null, 2));
  const [jsonError, setJsonError] = useState<string | null>(null);
  if (!flat)
    return (
      <fieldset className="fieldset">
        <legend>Conditions (nested, as JSON)</legend>
        <textarea
          aria-label="Conditions as JSON"
          rows={8}
          value={json}
          onChange={(e) => {
            setJson(e.target.value);
            try {
              onChange(JSON.parse(e.target.value) as Condition);
              setJsonError(null);
            } catch {
              setJsonError('Not valid JSON yet.');
            }
          }}
        />
        {(jsonError || error) && <div className="field-error">{jsonError ?? error}</div>}
      </fieldset>
    );
  const set = (f: Flat) => onChange(toTree(f));
  return (
    <fieldset className="fieldset">
      <legend>Conditions</legend>
      {flat.leaves.length === 0 ? (
        <span className="muted small">None: every record of the chosen types.</span>
      ) : (
        <label className="small">
          Match{' '}
          <select aria-label="Match" value={flat.join} onChange={(e) => set({ ...flat, join: e.target.value as 'all' | 'any' })}>
            <option value="all">all</option>
            <option value="any">any</option>
          </select>{' '}
          of these
        </label>
      )}
      {flat.leaves.map((leaf, i) => (
        <LeafRow
          key={i}
          index={i}
          leaf={leaf}
          customFields={customFields}
          onChange={(l) => set({ ...flat, leaves: flat.leaves.map((x, j) => (j === i ? l : x)) })}
          onRemove={() => set({ ...flat, leaves: flat.leaves.filter((_, j) => j !== i) })}
        />
      ))}
      <div>
        <button type="button" className="btn btn-small" onClick={() => set({ ...flat, leaves: [...flat.leaves, { field: 'status', op: 'is', value: '' }] })}>
          + Condition
        </button>
      </div>
      {error && <div className="field-error">{error}</div>}
    </fieldset>
  );
}
