/**
 * Built-in priority and severity, and the custom fields a project adds per record type.
 * Pure rules: which values a field takes and how a value typed by a person or a script is
 * read. Storage keeps every value as text (numbers also as a number, for sorting).
 */
export const PRIORITIES = ['urgent', 'high', 'normal', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];
export const SEVERITIES = ['critical', 'major', 'minor', 'trivial'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const FIELD_KINDS = ['text', 'number', 'date', 'choice', 'multiChoice', 'user'] as const;
export type FieldKind = (typeof FIELD_KINDS)[number];

export interface FieldDefinition {
  id: string;
  recordType: string;
  /** Stable name in the API, filters and templates (record.fields.<key>). */
  key: string;
  label: string;
  kind: FieldKind;
  /** For choice and multiChoice: the values offered, in order. */
  options: string[];
  required: boolean;
  position: number;
}

/** A field's value as the API carries it: text, number, date (YYYY-MM-DD), username; a list for multiChoice. */
export type FieldValue = string | number | string[];

export const FIELD_KEY_PATTERN = '^[a-z][a-zA-Z0-9_]{0,39}$';
const KEY_RE = new RegExp(FIELD_KEY_PATTERN);

/** A key made from a label ("Customer name" → "customerName"). */
export function keyFromLabel(label: string): string {
  const words = label
    .normalize('NFKD')
    .replace(/[^\w\s]/g, ' ')
    .trim()
    .split(/[\s_]+/)
    .filter(Boolean);
  const key = words.map((w, i) => (i === 0 ? w.toLowerCase() : w[0]!.toUpperCase() + w.slice(1).toLowerCase())).join('');
  const safe = /^[a-z]/.test(key) ? key : `f${key}`;
  return safe.slice(0, 40);
}

export type FieldProblem = { code: string; message: string };

export function checkDefinition(d: Pick<FieldDefinition, 'key' | 'label' | 'kind' | 'options'>): FieldProblem | undefined {
  if (!KEY_RE.test(d.key))
    return { code: 'invalid_field_key', message: `Field keys start with a lowercase letter and hold letters, digits and _ (at most 40): "${d.key}".` };
  if (d.label.trim() === '') return { code: 'invalid_field_label', message: 'A field needs a label.' };
  const choice = d.kind === 'choice' || d.kind === 'multiChoice';
  if (choice && d.options.length === 0)
    return { code: 'field_without_options', message: `A ${d.kind === 'choice' ? 'single' : 'multiple'} choice field needs at least one option.` };
  if (!choice && d.options.length > 0) return { code: 'options_not_allowed', message: `Only choice fields have options; "${d.label}" is a ${d.kind} field.` };
  const seen = new Set<string>();
  for (const o of d.options) {
    if (o.trim() === '') return { code: 'invalid_option', message: 'Options cannot be empty.' };
    if (seen.has(o.toLowerCase())) return { code: 'duplicate_option', message: `"${o}" is an option twice.` };
    seen.add(o.toLowerCase());
  }
  return undefined;
}

function isRealDate(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/**
 * Reads a value for a field: the stored texts (one per choice of a multiChoice) or a problem.
 * `null` or empty clears the field. Usernames are checked by the caller (it knows the members).
 */
export function readValue(def: FieldDefinition, value: unknown): { texts: string[]; number: number | null } | FieldProblem {
  const bad = (what: string): FieldProblem => ({ code: 'invalid_field_value', message: `${def.label}: ${what}` });
  if (value === null || value === '' || (Array.isArray(value) && value.length === 0)) return { texts: [], number: null };
  switch (def.kind) {
    case 'text':
      if (typeof value !== 'string') return bad('expected text.');
      if (value.length > 10_000) return bad('at most 10,000 characters.');
      return { texts: [value], number: null };
    case 'number': {
      const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
      if (!Number.isFinite(n)) return bad(`"${String(value)}" is not a number.`);
      return { texts: [String(n)], number: n };
    }
    case 'date':
      if (typeof value !== 'string' || !isRealDate(value)) return bad(`"${String(value)}" is not a date like 2026-12-31.`);
      return { texts: [value], number: null };
    case 'user':
      if (typeof value !== 'string') return bad('expected a username.');
      return { texts: [value], number: null };
    case 'choice': {
      if (typeof value !== 'string') return bad('expected one of the options.');
      const opt = def.options.find((o) => o.toLowerCase() === value.toLowerCase());
      if (!opt) return bad(`"${value}" is not one of ${def.options.join(', ')}.`);
      return { texts: [opt], number: null };
    }
    case 'multiChoice': {
      const list = Array.isArray(value) ? value : [value];
      const out: string[] = [];
      for (const v of list) {
        if (typeof v !== 'string') return bad('expected a list of options.');
        const opt = def.options.find((o) => o.toLowerCase() === v.toLowerCase());
        if (!opt) return bad(`"${v}" is not one of ${def.options.join(', ')}.`);
        if (!out.includes(opt)) out.push(opt);
      }
      // Kept in the options' order, so equal sets compare equal in history.
      return { texts: def.options.filter((o) => out.includes(o)), number: null };
    }
  }
}

/** The API form of stored texts. */
export function valueOf(def: FieldDefinition, texts: string[]): FieldValue | null {
  if (texts.length === 0) return null;
  if (def.kind === 'multiChoice') return texts;
  if (def.kind === 'number') return Number(texts[0]);
  return texts[0]!;
}

/** A value as one line of text, for history and templates. */
export function displayValue(v: FieldValue | null | undefined): string | null {
  if (v === null || v === undefined) return null;
  return Array.isArray(v) ? v.join(', ') : String(v);
}
