/**
 * Pieces the server-connection forms (sending, the default tracking account, the account dialog)
 * share: ports, security, the write-only password, the tracking options, test results, a settings resource.
 */
import type { ReactNode } from 'react';
import { ApiError } from '../../api/client';
import { useResource } from '../../api/hooks';
import type { Security, TestResult, TrackingSettings } from '../../api/types';
import { Checkbox, ErrorNote, NotAvailable, SelectField, Spinner, TextField, cx } from '../../components/ui';

export function TestOutcome({ result }: { result: TestResult | null }) {
  if (!result) return null;
  return (
    <div className={cx('notice', result.ok ? 'notice-ok' : 'notice-error')} role="status">
      <strong>{result.ok ? 'Connected.' : 'Connection failed.'}</strong> {result.message}
    </div>
  );
}

/** The usual port of each protocol under each security; Microsoft Graph is HTTPS (graph.microsoft.com:443, TLS). */
export const DEFAULT_PORT: Record<'smtp' | 'pop3' | 'imap' | 'graph', Record<Security, number>> = {
  smtp: { none: 25, starttls: 587, tls: 465 },
  graph: { none: 80, starttls: 443, tls: 443 },
  pop3: { none: 110, starttls: 110, tls: 995 },
  imap: { none: 143, starttls: 143, tls: 993 },
};

type Protocol = keyof typeof DEFAULT_PORT;

/** `next`, with the port moved to the new protocol's or security's usual one, unless it was typed by hand. */
export function followDefaultPort<F extends { protocol: Protocol; security: Security; port: string }>(before: F, next: F): F {
  if (next.protocol === before.protocol && next.security === before.security) return next;
  if (Number(before.port) !== DEFAULT_PORT[before.protocol][before.security]) return next;
  return { ...next, port: String(DEFAULT_PORT[next.protocol][next.security]) };
}

interface ServerFieldsProps {
  protocol: ReactNode;
  form: MailboxForm;
  /** A method, so that the setter of a larger form (the account dialog's) fits too. */
  set<K extends keyof MailboxForm>(k: K, v: MailboxForm[K]): void;
  fe: Record<string, string>;
  hostPlaceholder?: string;
  passwordStored: boolean | undefined;
  passwordHint?: string;
}

/**
 * Host, port, security, username and password of a mailbox, under the form's own protocol choice:
 * two rows of the form.
 */
export function ServerFields({ protocol, form, set, fe, hostPlaceholder, passwordStored, passwordHint }: ServerFieldsProps) {
  return (
    <>
      <div className="grid-3">
        {protocol}
        <TextField label="Host" value={form.host} onChange={(e) => set('host', e.target.value)} placeholder={hostPlaceholder} required error={fe['host']} />
        <TextField label="Port" type="number" min={1} max={65535} value={form.port} onChange={(e) => set('port', e.target.value)} required error={fe['port']} />
      </div>
      <div className="grid-3">
        <SecuritySelect value={form.security} onChange={(s) => set('security', s)} error={fe['security']} />
        <TextField
          label="Username"
          value={form.username}
          onChange={(e) => set('username', e.target.value)}
          autoComplete="off"
          required
          error={fe['username']}
        />
        <PasswordField value={form.password} onChange={(v) => set('password', v)} stored={passwordStored} hint={passwordHint} error={fe['password']} />
      </div>
    </>
  );
}

/** A password the server never sends back: the field starts empty and says whether one is stored. */
export function PasswordField({
  value,
  onChange,
  stored,
  hint = 'Write-only: leave empty to keep the stored one. Type it again when the host or port changes: the stored one goes only to the server it was saved for.',
  error,
}: {
  value: string;
  onChange: (v: string) => void;
  stored: boolean | undefined;
  hint?: string;
  error?: string | undefined;
}) {
  return (
    <TextField
      label="Password"
      type="password"
      value={value}
      onChange={(e) => onChange(e.target.value)}
      autoComplete="new-password"
      placeholder={stored ? '•••••••• (stored)' : 'not set'}
      hint={hint}
      error={error}
    />
  );
}

/** The tracking mailbox's own address: the Reply-To of the tracked email it serves. */
export function AddressField({
  value,
  onChange,
  placeholder,
  hint,
  error,
}: {
  value: string;
  onChange: (v: string) => void;
  placeholder: string;
  hint: string;
  error?: string | undefined;
}) {
  return (
    <TextField
      label="Address"
      className="span-2"
      type="email"
      value={value}
      onChange={(e) => onChange(e.target.value)}
      placeholder={placeholder}
      required
      error={error}
      hint={hint}
    />
  );
}

export function PollSecondsField({ value, onChange, min, error }: { value: string; onChange: (v: string) => void; min: number; error?: string | undefined }) {
  return <TextField label="Poll every (seconds)" type="number" min={min} value={value} onChange={(e) => onChange(e.target.value)} required error={error} />;
}

interface TrackingOptions {
  deleteUntracked: boolean;
  allowSelfSigned: boolean;
  plusAddressing: boolean;
}

/** The switches of a tracking mailbox; `offered` leaves out the ones an older server does not know. */
export function TrackingChecks({
  form,
  set,
  offered = { allowSelfSigned: true, plusAddressing: true },
}: {
  form: TrackingOptions;
  set: <K extends keyof TrackingOptions>(k: K, v: TrackingOptions[K]) => void;
  offered?: { allowSelfSigned: boolean; plusAddressing: boolean };
}) {
  return (
    <div className="checks">
      <Checkbox
        label="Delete untracked mail"
        hint="Mail without a valid tracking cookie is deleted from the account. Off: it stays there, fetched once (and listed under Unmatched mail)."
        checked={form.deleteUntracked}
        onChange={(e) => set('deleteUntracked', e.target.checked)}
      />
      {offered.allowSelfSigned && (
        <Checkbox
          label="Accept self-signed certificates"
          hint="For test servers and internal mail hosts only."
          checked={form.allowSelfSigned}
          onChange={(e) => set('allowSelfSigned', e.target.checked)}
        />
      )}
      {offered.plusAddressing && (
        <Checkbox
          label="Plus addressing"
          hint="Reply-To becomes address+COOKIE@domain, so replies match even when a mail program drops headers. Some servers (Exchange) drop plus addresses."
          checked={form.plusAddressing}
          onChange={(e) => set('plusAddressing', e.target.checked)}
        />
      )}
    </div>
  );
}

/**
 * A settings resource that may be unset (404 other than route_not_found: the form starts empty)
 * or missing from the server. Its form is mounted once the settings are known, and starts from them.
 */
export function SettingsLoader<T>({
  path,
  what,
  children,
}: {
  path: string;
  what: string;
  children: (data: T | undefined, onSaved: (data: T) => void) => ReactNode;
}) {
  const res = useResource<T>(path);
  const missing = res.error instanceof ApiError && res.error.notAvailable;
  const unset = res.error instanceof ApiError && res.error.status === 404 && !missing;
  if (missing) return <NotAvailable what={what} />;
  if (!res.data && !unset) return res.error ? <ErrorNote error={res.error} onRetry={() => void res.reload()} /> : <Spinner />;
  return children(res.data, res.setData);
}

/** The mailbox fields of the default tracking account's form and of the account dialog's. */
export interface MailboxForm {
  protocol: 'pop3' | 'imap' | 'graph';
  host: string;
  port: string;
  security: Security;
  username: string;
  password: string;
  address: string;
  pollSeconds: string;
  deleteUntracked: boolean;
  allowSelfSigned: boolean;
  plusAddressing: boolean;
}

/** The form of stored settings; a new account starts at `protocol` on its TLS port. */
export function mailboxFormOf(s: TrackingSettings | undefined, protocol: 'pop3' | 'imap'): MailboxForm {
  return {
    protocol: s?.protocol ?? protocol,
    host: s?.host ?? '',
    port: String(s?.port ?? DEFAULT_PORT[protocol].tls),
    security: s?.security ?? 'tls',
    username: s?.username ?? '',
    password: '',
    address: s?.address ?? '',
    pollSeconds: String(s?.pollSeconds ?? 60),
    deleteUntracked: !!s?.deleteUntracked,
    allowSelfSigned: !!s?.allowSelfSigned,
    plusAddressing: !!s?.plusAddressing,
  };
}

/** What the server gets of those fields: trimmed, numbers as numbers, the password only when typed. */
export function mailboxBody(form: MailboxForm) {
  return {
    protocol: form.protocol,
    host: form.host.trim(),
    port: Number(form.port),
    security: form.security,
    username: form.username.trim(),
    ...(form.password ? { password: form.password } : {}),
    address: form.address.trim(),
    pollSeconds: Number(form.pollSeconds),
    deleteUntracked: form.deleteUntracked,
  };
}

export function SecuritySelect({ value, onChange, error }: { value: Security; onChange: (s: Security) => void; error?: string | undefined }) {
  return (
    <SelectField label="Security" value={value} onChange={(e) => onChange(e.target.value as Security)} error={error}>
      <option value="none">None (plain)</option>
      <option value="starttls">STARTTLS</option>
      <option value="tls">TLS (implicit)</option>
    </SelectField>
  );
}
