import { useState } from 'react';
import type { FieldChange, RecordEvent } from '../api/types';
import { diffLines, diffWords, type DiffOp } from '../diff';
import { cleanSubject, displayName, fullDate, relative } from '../format';
import { Avatar, Icon } from './ui';

/** Long texts (the description, custom text fields) are shown as a diff, not as old → new. */
const TEXT_FIELDS = new Set(['description', 'steps', 'requirements']);

/** Lines of a change with the words that changed marked inside a changed line pair. */
export function TextDiff({ old, next }: { old: string; next: string }) {
  const ops = diffLines(old, next);
  const rows: { kind: DiffOp['kind']; parts: DiffOp[] }[] = [];
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    const after = ops[i + 1];
    // A removed line followed by an added one is a rewording: mark the words.
    if (op.kind === 'del' && after?.kind === 'add' && ops[i - 1]?.kind !== 'del' && ops[i + 2]?.kind !== 'add') {
      const words = diffWords(op.text, after.text);
      rows.push({ kind: 'del', parts: words.filter((w) => w.kind !== 'add') });
      rows.push({ kind: 'add', parts: words.filter((w) => w.kind !== 'del') });
      i++;
    } else rows.push({ kind: op.kind, parts: [{ kind: 'same', text: op.text }] });
  }
  // Unchanged stretches longer than a few lines fold so the change stands out.
  const shown = rows.map((r, i) => r.kind !== 'same' || rows.slice(Math.max(0, i - 2), i + 3).some((n) => n.kind !== 'same'));
  return (
    <pre className="text-diff" aria-label="Changes to the text">
      {rows.map((r, i) =>
        shown[i] ? (
          <div key={i} className={`diff-line diff-${r.kind}`}>
            <span className="diff-sign" aria-hidden="true">
              {r.kind === 'add' ? '+' : r.kind === 'del' ? '−' : ' '}
            </span>
            {r.kind === 'add' && <span className="sr-only">added: </span>}
            {r.kind === 'del' && <span className="sr-only">removed: </span>}
            {r.parts.map((p, k) => (p.kind === 'same' ? <span key={k}>{p.text}</span> : p.kind === 'add' ? <ins key={k}>{p.text}</ins> : <del key={k}>{p.text}</del>))}
            {r.parts.length === 0 || (r.parts.length === 1 && r.parts[0]!.text === '') ? ' ' : null}
          </div>
        ) : shown[i - 1] ? (
          <div key={i} className="diff-line diff-fold muted">
            ⋯
          </div>
        ) : null,
      )}
    </pre>
  );
}

function ChangeLine({ c, label, val }: { c: FieldChange; label: string; val: (field: string, v: string | null) => string }) {
  const [open, setOpen] = useState(false);
  if (TEXT_FIELDS.has(c.field)) {
    return (
      <li>
        <span className="change-field">{label}</span>{' '}
        <button type="button" className="link-button" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
          {open ? 'hide the changes' : 'edited — show the changes'}
        </button>
        {open && <TextDiff old={c.old ?? ''} next={c.new ?? ''} />}
      </li>
    );
  }
  return (
    <li>
      <span className="change-field">{label}</span> <del>{val(c.field, c.old)}</del> <span aria-hidden="true">→</span>
      <span className="sr-only">to</span> <ins>{val(c.field, c.new)}</ins>
    </li>
  );
}

function emailSentence(ev: RecordEvent, who: string): { actor: string; text: string } {
  const e = ev.email;
  const subject = e?.subject ? `“${cleanSubject(e.subject)}”` : 'an email';
  switch (ev.kind) {
    case 'email.sent':
      return { actor: ev.actor ? who : 'A notification rule', text: `sent ${subject} to ${(e?.to ?? []).map(displayName).join(', ')}` };
    case 'email.failed':
      return { actor: ev.actor ? who : 'A notification rule', text: `could not send ${subject}${e?.error ? `: ${e.error}` : ''}` };
    case 'email.received':
      return { actor: e?.from ? displayName(e.from) : 'Someone', text: `replied: ${subject}` };
    case 'email.forwarded':
      return { actor: 'Mailtrail', text: `forwarded the reply ${subject}${e?.forwardedTo ? ` to ${e.forwardedTo}` : ''}` };
    case 'email.deleted':
      return { actor: who, text: `deleted the email ${subject}` };
    default:
      return { actor: who, text: ev.kind };
  }
}

/**
 * Everything that happened to the record, newest first: who changed which field (texts as a
 * diff), and its email's life — sent, received, forwarded, deleted.
 */
/** Things done on the record (links, comments, files): one sentence each. */
function noteSentence(ev: RecordEvent): string | null {
  const c = ev.changes[0];
  const what = c?.new ?? c?.old ?? '';
  switch (ev.kind) {
    case 'link.added':
      return `linked this record: ${what}`;
    case 'link.removed':
      return `removed the link: ${what}`;
    case 'comment.added':
      return 'commented';
    case 'comment.deleted':
      return 'deleted a comment';
    case 'file.added':
      return `attached ${what}`;
    case 'file.removed':
      return `removed the file ${what}`;
    case 'watcher.added':
      return `added ${what} as a watcher`;
    case 'watcher.removed':
      return `removed ${what} from the watchers`;
    case 'step.added':
      return `added ${c?.field ?? 'a step'}: ${what.split('\n')[0]}`;
    case 'step.removed':
      return `removed ${c?.field ?? 'a step'}: ${what.split('\n')[0]}`;
    case 'step.edited':
      return 'edited a step';
    case 'steps.reordered':
      return 'reordered the steps';
    case 'testRun.step':
      return 'recorded a step';
    case 'testRun.result':
      return 'set the overall result';
    case 'requirements.reordered':
      return 'reordered the requirements';
    case 'requirement.added':
      return `added ${what} to this document`;
    case 'requirement.removed':
      return `took ${what} out of this document`;
    case 'document.added':
      return `put this requirement into ${what}`;
    case 'document.removed':
      return `took this requirement out of ${what}`;
    default:
      return null;
  }
}

/** Notes whose changes are shown under their sentence (old → new, or the reordered list as a diff). */
const NOTE_WITH_CHANGES = new Set(['step.edited', 'steps.reordered', 'testRun.step', 'testRun.result', 'requirements.reordered']);

export function RecordHistory({ events, names, labels = {} }: { events: RecordEvent[]; names: Map<string, string>; labels?: Record<string, string> }) {
  const who = (u: string | null) => (u ? (names.get(u) ?? u) : 'Mailtrail');
  const val = (field: string, v: string | null) => (v === null || v === '' ? (field === 'assignee' ? 'nobody' : 'empty') : field === 'assignee' ? (names.get(v) ?? v) : v);
  if (events.length === 0) return <p className="muted small">No changes yet.</p>;
  return (
    <ol className="history">
      {[...events].reverse().map((ev) => {
        const note = noteSentence(ev);
        const isEmail = ev.kind.startsWith('email.');
        const line = isEmail ? emailSentence(ev, who(ev.actor)) : note !== null ? { actor: who(ev.actor), text: note } : null;
        const actor = line ? line.actor : who(ev.actor);
        return (
          <li key={ev.id} className={`history-item${isEmail ? ' history-email' : ''}`} data-kind={ev.kind}>
            {isEmail ? (
              <span className="history-icon" aria-hidden="true">
                {ev.kind === 'email.received' ? '↙' : ev.kind === 'email.deleted' ? <Icon name="trash" size={12} /> : ev.kind === 'email.forwarded' ? '↪' : '↗'}
              </span>
            ) : (
              <Avatar name={actor} size={22} />
            )}
            <div className="history-body">
              <div>
                <strong>{actor}</strong> {line ? line.text : ev.kind === 'created' ? 'created this record' : ev.changes.length === 0 ? 'updated this record' : 'changed'}
                {!isEmail && ev.emailId && (
                  <span className="muted small"> · {ev.kind === 'created' ? 'from an email' : ev.actor ? 'by a command in an email' : 'because an email replied to it'}</span>
                )}
                <time className="muted small" dateTime={ev.at} title={fullDate(ev.at)}>
                  {' '}
                  · {relative(ev.at)}
                </time>
              </div>
              {ev.kind === 'comment.added' && ev.changes[0]?.new && <blockquote className="history-quote">{ev.changes[0].new}</blockquote>}
              {!isEmail && (note === null || NOTE_WITH_CHANGES.has(ev.kind)) && ev.kind !== 'created' && ev.changes.length > 0 && (
                <ul className="changes">
                  {ev.changes.map((c, i) => (
                    <ChangeLine key={i} c={c} label={labels[c.field] ?? c.field} val={val} />
                  ))}
                </ul>
              )}
            </div>
          </li>
        );
      })}
    </ol>
  );
}
