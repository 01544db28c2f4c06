/** Small building blocks shared by every page. */
import {
  useEffect,
  useId,
  useRef,
  useState,
  type KeyboardEvent as ReactKeyboardEvent,
  type ReactNode,
  type SelectHTMLAttributes,
  type InputHTMLAttributes,
  type TextareaHTMLAttributes,
} from 'react';
import { ApiError, messageOf } from '../api/client';
import { initials } from '../format';

export function cx(...names: (string | false | null | undefined)[]): string {
  return names.filter(Boolean).join(' ');
}

const ICON_PATHS = {
  paperclip: 'M14.5 7.5l-5.8 5.8a2.3 2.3 0 01-3.3-3.3l6.2-6.2a3.4 3.4 0 014.8 4.8l-6.4 6.4a4.5 4.5 0 01-6.4-6.4L9.2 3',
  trash: 'M3.5 5.5h13M8 5.5V3.5h4v2M5.5 5.5l.8 11h7.4l.8-11M8.5 8.5v5M11.5 8.5v5',
  plus: 'M10 4v12M4 10h12',
} as const;

/**
 * A line icon drawn inline: emoji (📎, 🗑) need a colour-emoji font that many desktops and
 * headless browsers lack, and then show as empty boxes.
 */
export function Icon({ name, size = 14 }: { name: keyof typeof ICON_PATHS; size?: number }) {
  return (
    <svg className="icon" viewBox="0 0 20 20" width={size} height={size} aria-hidden="true" focusable="false">
      <path d={ICON_PATHS[name]} fill="none" stroke="currentColor" strokeWidth="1.7" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}

export function Spinner({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      <span>{label}</span>
    </div>
  );
}

/** A feature whose API route the server does not have yet. */
export function NotAvailable({ what }: { what: string }) {
  return (
    <div className="notice notice-muted" role="note">
      <strong>{what}: not available on this server yet.</strong>
      <span>This part of Mailtrail lights up once the server offers it.</span>
    </div>
  );
}

/** An error from the API (or anything thrown), shown where it happened. */
export function ErrorNote({ error, what, onRetry }: { error: unknown; what?: string; onRetry?: () => void }) {
  if (!error) return null;
  if (error instanceof ApiError && error.notAvailable) return <NotAvailable what={what ?? 'This feature'} />;
  const forbidden = error instanceof ApiError && error.status === 403;
  return (
    <div className={cx('notice', forbidden ? 'notice-warn' : 'notice-error')} role="alert">
      <span>{messageOf(error)}</span>
      {onRetry && (
        <button type="button" className="btn btn-small btn-ghost" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Empty({ title, children, action }: { title: string; children?: ReactNode; action?: ReactNode }) {
  return (
    <div className="empty">
      <div className="empty-art" aria-hidden="true">
        <svg viewBox="0 0 48 48" width="40" height="40">
          <rect x="6" y="12" width="36" height="26" rx="4" fill="none" stroke="currentColor" strokeWidth="2" />
          <path d="M6 16l18 12 18-12" fill="none" stroke="currentColor" strokeWidth="2" strokeLinejoin="round" />
        </svg>
      </div>
      <h3>{title}</h3>
      {children && <p>{children}</p>}
      {action && <div className="empty-action">{action}</div>}
    </div>
  );
}

const BADGE_TONE: Record<string, string> = {
  queued: 'info',
  sending: 'info',
  sent: 'ok',
  failed: 'bad',
  received: 'accent',
  forwarded: 'muted',
  unmatched: 'warn',
  rejected: 'bad',
};

export function Badge({ tone, children, title }: { tone?: string; children: ReactNode; title?: string }) {
  return (
    <span className={cx('badge', tone && `badge-${tone}`)} title={title}>
      {children}
    </span>
  );
}

export function EmailStatusBadge({ status, error }: { status: string; error?: string | null | undefined }) {
  return (
    <Badge tone={BADGE_TONE[status] ?? 'muted'} title={error ?? undefined}>
      {status === 'queued' && <span className="dot-pulse" aria-hidden="true" />}
      {status}
    </Badge>
  );
}

/** Record statuses get a stable colour from their text, so "Open" always looks the same. */
export function StatusPill({ status }: { status: string }) {
  const s = status.toLowerCase();
  const tone = /clos|done|verif|pass/.test(s)
    ? 'ok'
    : /resolv|fixed/.test(s)
      ? 'accent'
      : /progress|review|active|running/.test(s)
        ? 'info'
        : /reject|fail|block|wont|won't/.test(s)
          ? 'bad'
          : /open|new/.test(s)
            ? 'warn'
            : 'muted';
  return <span className={cx('pill', `pill-${tone}`)}>{status}</span>;
}

export function Avatar({ name, size = 24 }: { name: string; size?: number }) {
  let hash = 0;
  for (const ch of name) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  const hue = hash % 360;
  return (
    <span
      className="avatar"
      aria-hidden="true"
      style={{ width: size, height: size, fontSize: size * 0.42, background: `hsl(${hue} 55% 88%)`, color: `hsl(${hue} 45% 30%)` }}
    >
      {initials(name)}
    </span>
  );
}

interface FieldProps {
  label: string;
  error?: string | undefined;
  hint?: ReactNode;
  children: (id: string, describedBy: string | undefined) => ReactNode;
  className?: string;
}

/** A label, the control, and the hint or error under it (wired with aria-describedby). */
export function Field({ label, error, hint, children, className }: FieldProps) {
  const id = useId();
  const noteId = `${id}-note`;
  return (
    <div className={cx('field', error && 'field-invalid', className)}>
      <label htmlFor={id}>{label}</label>
      {children(id, error || hint ? noteId : undefined)}
      {error ? (
        <div className="field-error" id={noteId}>
          {error}
        </div>
      ) : hint ? (
        <div className="field-hint" id={noteId}>
          {hint}
        </div>
      ) : null}
    </div>
  );
}

export function TextField({
  label,
  error,
  hint,
  className,
  ...input
}: InputHTMLAttributes<HTMLInputElement> & { label: string; error?: string | undefined; hint?: ReactNode }) {
  return (
    <Field label={label} error={error} hint={hint} className={className}>
      {(id, describedBy) => <input id={id} aria-invalid={error ? true : undefined} aria-describedby={describedBy} {...input} />}
    </Field>
  );
}

export function TextArea({
  label,
  error,
  hint,
  className,
  ...input
}: TextareaHTMLAttributes<HTMLTextAreaElement> & { label: string; error?: string | undefined; hint?: ReactNode }) {
  return (
    <Field label={label} error={error} hint={hint} className={className}>
      {(id, describedBy) => <textarea id={id} aria-invalid={error ? true : undefined} aria-describedby={describedBy} {...input} />}
    </Field>
  );
}

export function SelectField({
  label,
  error,
  hint,
  className,
  children,
  ...select
}: SelectHTMLAttributes<HTMLSelectElement> & { label: string; error?: string | undefined; hint?: ReactNode }) {
  return (
    <Field label={label} error={error} hint={hint} className={className}>
      {(id, describedBy) => (
        <select id={id} aria-invalid={error ? true : undefined} aria-describedby={describedBy} {...select}>
          {children}
        </select>
      )}
    </Field>
  );
}

export function Checkbox({ label, hint, ...input }: InputHTMLAttributes<HTMLInputElement> & { label: ReactNode; hint?: ReactNode }) {
  return (
    <label className="check">
      <input type="checkbox" {...input} />
      <span>
        {label}
        {hint && <small className="check-hint">{hint}</small>}
      </span>
    </label>
  );
}

/**
 * A modal on the native <dialog>: focus stays inside, Esc closes it, the page behind is inert.
 */
export function Dialog({ open, title, onClose, children, wide }: { open: boolean; title: string; onClose: () => void; children: ReactNode; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) {
      d.showModal();
      // showModal focuses the first focusable element (the close button); start where the work is.
      d.querySelector<HTMLElement>(
        '.dialog-body > :not(.dialog-head) :is([data-autofocus], input:not([type="hidden"]):not([disabled]), select, textarea)',
      )?.focus();
    }
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      className={cx('dialog', wide && 'dialog-wide')}
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
      onClick={(e) => {
        if (e.target === ref.current) onClose();
      }}
    >
      {open && (
        <div className="dialog-body">
          <header className="dialog-head">
            <h2 id={titleId}>{title}</h2>
            <button type="button" className="icon-btn" aria-label="Close" onClick={onClose}>
              ×
            </button>
          </header>
          {children}
        </div>
      )}
    </dialog>
  );
}

/** A button that opens a small menu; Esc or a click elsewhere closes it. */
export function Menu({
  label,
  children,
  align = 'right',
  buttonClass,
}: {
  label: ReactNode;
  children: (close: () => void) => ReactNode;
  align?: 'left' | 'right';
  buttonClass?: string;
}) {
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (!open) return;
    const onDown = (e: PointerEvent) => {
      if (ref.current && !ref.current.contains(e.target as Node)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        setOpen(false);
        button.current?.focus();
      }
    };
    document.addEventListener('pointerdown', onDown);
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('pointerdown', onDown);
      document.removeEventListener('keydown', onKey);
    };
  }, [open]);
  useEffect(() => {
    if (open) ref.current?.querySelector<HTMLElement>('[role="menuitem"]')?.focus();
  }, [open]);
  const onMenuKey = (e: ReactKeyboardEvent) => {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    e.preventDefault();
    const items = [...(ref.current?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? [])];
    const i = items.indexOf(document.activeElement as HTMLElement);
    const next = items[(i + (e.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length];
    next?.focus();
  };
  return (
    <div className="menu" ref={ref}>
      <button
        ref={button}
        type="button"
        className={buttonClass ?? 'btn btn-ghost'}
        aria-haspopup="menu"
        aria-expanded={open}
        onClick={() => setOpen((o) => !o)}
      >
        {label}
      </button>
      {open && (
        <div className={cx('menu-pop', `menu-${align}`)} role="menu" onKeyDown={onMenuKey}>
          {children(() => setOpen(false))}
        </div>
      )}
    </div>
  );
}

/** Tabs as buttons (role=tab) with arrow-key movement. */
export function Tabs<T extends string>({
  tabs,
  value,
  onChange,
  label,
}: {
  tabs: { id: T; label: ReactNode }[];
  value: T;
  onChange: (id: T) => void;
  label: string;
}) {
  const onKey = (e: ReactKeyboardEvent, i: number) => {
    if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
    const next = tabs[(i + (e.key === 'ArrowRight' ? 1 : tabs.length - 1)) % tabs.length];
    if (next) {
      onChange(next.id);
      (e.currentTarget.parentElement?.querySelector(`[data-tab="${next.id}"]`) as HTMLElement | null)?.focus();
    }
  };
  return (
    <div className="tabs" role="tablist" aria-label={label}>
      {tabs.map((t, i) => (
        <button
          key={t.id}
          type="button"
          role="tab"
          data-tab={t.id}
          aria-selected={t.id === value}
          tabIndex={t.id === value ? 0 : -1}
          className={cx('tab', t.id === value && 'tab-active')}
          onClick={() => onChange(t.id)}
          onKeyDown={(e) => onKey(e, i)}
        >
          {t.label}
        </button>
      ))}
    </div>
  );
}

export type MailFormat = 'text' | 'html';

/** Text / HTML buttons over a message or a preview; `order` puts the one shown first on the left. */
export function FormatToggle({
  value,
  onChange,
  label,
  order = ['text', 'html'],
  small,
}: {
  value: MailFormat;
  onChange: (format: MailFormat) => void;
  label: string;
  order?: readonly MailFormat[];
  small?: boolean;
}) {
  return (
    <div className={cx('seg', small && 'seg-small')} role="group" aria-label={label}>
      {order.map((format) => (
        <button key={format} type="button" className={cx(value === format && 'is-on')} aria-pressed={value === format} onClick={() => onChange(format)}>
          {format === 'text' ? 'Text' : 'HTML'}
        </button>
      ))}
    </div>
  );
}

/** A transient "Saved" line next to a form's buttons. */
export function useFlash(): [string | null, (msg: string) => void] {
  const [msg, setMsg] = useState<string | null>(null);
  const timer = useRef<number | undefined>(undefined);
  const flash = (m: string) => {
    setMsg(m);
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(() => setMsg(null), 3000);
  };
  useEffect(() => () => window.clearTimeout(timer.current), []);
  return [msg, flash];
}

export function Flash({ msg }: { msg: string | null }) {
  return (
    <span className="flash" role="status" aria-live="polite">
      {msg}
    </span>
  );
}
