import { useId, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type { Member } from '../api/types';
import { cx } from './ui';

export interface Recipient {
  /** What is sent to the API: an address or a username. */
  value: string;
  label: string;
}

export function recipientFor(m: Member): Recipient {
  return { value: m.email || m.username, label: m.fullName || m.username };
}

const ADDRESS = /^[^\s@<>(),;:]+@[^\s@<>(),;:]+\.[^\s@<>(),;:]+$/;

/**
 * Recipients as chips: suggestions come from the project's members (by name, username or
 * address); any typed address is allowed too. Enter, comma or Tab adds; Backspace removes.
 */
export function RecipientInput({
  id,
  label,
  value,
  onChange,
  members,
  describedBy,
  autoFocus,
}: {
  id?: string;
  label: string;
  value: Recipient[];
  onChange: (next: Recipient[]) => void;
  members: Member[];
  describedBy?: string | undefined;
  autoFocus?: boolean;
}) {
  const [text, setText] = useState('');
  const [active, setActive] = useState(0);
  const [focused, setFocused] = useState(false);
  const [invalid, setInvalid] = useState<string | null>(null);
  const listId = useId();
  const input = useRef<HTMLInputElement>(null);

  const suggestions = useMemo(() => {
    const t = text.trim().toLowerCase();
    if (!t) return [];
    const taken = new Set(value.map((r) => r.value.toLowerCase()));
    return members
      .filter((m) => !taken.has((m.email || m.username).toLowerCase()))
      .filter((m) => m.username.toLowerCase().includes(t) || m.fullName.toLowerCase().includes(t) || m.email.toLowerCase().includes(t))
      .slice(0, 8);
  }, [text, members, value]);

  const add = (r: Recipient) => {
    if (!value.some((v) => v.value.toLowerCase() === r.value.toLowerCase())) onChange([...value, r]);
    setText('');
    setActive(0);
    setInvalid(null);
  };

  /** Adds what is typed: a member it names exactly, else an address. False if it is neither. */
  const commit = (): boolean => {
    const t = text.trim().replace(/[,;]$/, '');
    if (!t) return true;
    const exact = members.find((m) => m.username.toLowerCase() === t.toLowerCase() || m.email.toLowerCase() === t.toLowerCase());
    if (exact) {
      add({ value: exact.email || exact.username, label: exact.fullName || exact.username });
      return true;
    }
    const angle = /<([^>]+)>/.exec(t);
    const address = angle?.[1] ?? t;
    if (ADDRESS.test(address)) {
      add({ value: t, label: t });
      return true;
    }
    setInvalid(`"${t}" is not an email address or a member of this project.`);
    return false;
  };

  const onKey = (e: KeyboardEvent<HTMLInputElement>) => {
    const open = suggestions.length > 0;
    if (e.key === 'ArrowDown' && open) {
      e.preventDefault();
      setActive((a) => (a + 1) % suggestions.length);
    } else if (e.key === 'ArrowUp' && open) {
      e.preventDefault();
      setActive((a) => (a + suggestions.length - 1) % suggestions.length);
    } else if (e.key === 'Enter' || e.key === ',' || e.key === ';' || (e.key === 'Tab' && text.trim())) {
      if (!text.trim()) return; // Enter on an empty box submits the form.
      e.preventDefault();
      const pick = open ? suggestions[active] : undefined;
      if (pick) add(recipientFor(pick));
      else commit();
    } else if (e.key === 'Backspace' && !text && value.length > 0) {
      onChange(value.slice(0, -1));
    } else if (e.key === 'Escape' && text) {
      e.stopPropagation();
      setText('');
    }
  };

  return (
    <div className={cx('recipients', focused && 'is-focused', invalid && 'is-invalid')} onClick={() => input.current?.focus()}>
      {value.map((r) => (
        <span key={r.value} className="chip" title={r.value}>
          {r.label}
          <button
            type="button"
            className="chip-x"
            aria-label={`Remove ${r.label}`}
            onClick={(e) => {
              e.stopPropagation();
              onChange(value.filter((v) => v !== r));
            }}
          >
            ×
          </button>
        </span>
      ))}
      <input
        ref={input}
        id={id}
        aria-label={label}
        role="combobox"
        aria-expanded={suggestions.length > 0}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={suggestions.length > 0 ? `${listId}-${active}` : undefined}
        aria-describedby={describedBy}
        autoComplete="off"
        autoFocus={autoFocus}
        value={text}
        placeholder={value.length === 0 ? 'Name, username or address' : ''}
        onChange={(e) => {
          setText(e.target.value);
          setActive(0);
          setInvalid(null);
        }}
        onKeyDown={onKey}
        onFocus={() => setFocused(true)}
        onBlur={() => {
          setFocused(false);
          // An address typed and left is kept rather than lost.
          if (text.trim() && suggestions.length === 0) commit();
        }}
      />
      {suggestions.length > 0 && (
        <ul className="suggest" id={listId} role="listbox">
          {suggestions.map((m, i) => (
            <li
              key={m.username}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === active}
              className={cx(i === active && 'is-active')}
              onMouseDown={(e) => {
                e.preventDefault();
                add(recipientFor(m));
              }}
            >
              <strong>{m.fullName || m.username}</strong> <span className="muted">{m.email || m.username}</span>
            </li>
          ))}
        </ul>
      )}
      {invalid && <div className="recipients-error">{invalid}</div>}
    </div>
  );
}

/** The text being typed is not part of `value` until committed; forms call this on submit. */
export function recipientValues(list: Recipient[]): string[] {
  return list.map((r) => r.value);
}
