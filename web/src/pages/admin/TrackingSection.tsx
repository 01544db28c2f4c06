import { useState } from 'react';
import { api, fieldErrors, messageOf, unplaced } from '../../api/client';
import type { PollResult, Security, TestResult, TrackingSettings } from '../../api/types';
import { Section } from '../../components/Section';
import { Checkbox, ErrorNote, Flash, NotAvailable, SelectField, Spinner, TextField, useFlash } from '../../components/ui';
import { DEFAULT_PORT, SecuritySelect, TestOutcome, useSettings } from './connection';
import { PollCounts, StatusPanel } from './StatusPanel';
import { TrackingAccountsPanel } from './TrackingAccounts';

interface TrackingForm {
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

function formOf(data: TrackingSettings | undefined): TrackingForm {
  return {
    protocol: data?.protocol ?? 'pop3',
    host: data?.host ?? '',
    port: String(data?.port ?? 995),
    security: data?.security ?? 'tls',
    username: data?.username ?? '',
    password: '',
    address: data?.address ?? '',
    pollSeconds: String(data?.pollSeconds ?? 60),
    deleteUntracked: !!data?.deleteUntracked,
    allowSelfSigned: !!data?.allowSelfSigned,
    plusAddressing: !!data?.plusAddressing,
  };
}

export function TrackingSection() {
  const { res, missing, unset } = useSettings<TrackingSettings>('/admin/email/tracking');
  // Bumped after each poll from the form, so the account list and the status panel look again.
  const [pollKey, setPollKey] = useState(0);
  return (
    <>
      <TrackingAccountsPanel refreshKey={pollKey} />
      <Section
        title="Default tracking account"
        intro="The dedicated mailbox replies arrive in. Its address is the Reply-To of tracked email of every project without an account of its own."
      >
        {missing ? (
          <NotAvailable what="Email tracking settings" />
        ) : !res.data && !unset ? (
          res.error ? (
            <ErrorNote error={res.error} onRetry={() => void res.reload()} />
          ) : (
            <Spinner />
          )
        ) : (
          <TrackingSettingsForm data={res.data} onSaved={res.setData} onPolled={() => setPollKey((k) => k + 1)} />
        )}
      </Section>
      <StatusPanel show="poll" refreshKey={pollKey} />
    </>
  );
}

/** Mounted once the settings are known (or known to be unset); starts from them. */
function TrackingSettingsForm({
  data,
  onSaved,
  onPolled,
}: {
  data: TrackingSettings | undefined;
  onSaved: (s: TrackingSettings) => void;
  onPolled: () => void;
}) {
  const [form, setForm] = useState(() => formOf(data));
  const [dirty, setDirty] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<'save' | 'test' | 'poll' | null>(null);
  const [test, setTest] = useState<TestResult | null>(null);
  const [poll, setPoll] = useState<PollResult | null>(null);
  // A poll that failed (server unreachable, 409 another poll running) is said where its counts would be.
  const [pollError, setPollError] = useState<unknown>(null);
  const [flash, setFlash] = useFlash();

  const set = <K extends keyof typeof form>(k: K, v: (typeof form)[K]) => {
    // A connection test said something about the settings as they were; not any more.
    setTest(null);
    setForm((f) => {
      const next = { ...f, [k]: v };
      if ((k === 'security' || k === 'protocol') && Number(f.port) === DEFAULT_PORT[f.protocol][f.security]) {
        next.port = String(DEFAULT_PORT[next.protocol][next.security]);
      }
      return next;
    });
    setDirty(true);
  };

  const body = (): Record<string, unknown> => {
    const b: Record<string, unknown> = {
      protocol: form.protocol,
      host: form.host.trim(),
      port: Number(form.port),
      security: form.security,
      username: form.username.trim(),
      address: form.address.trim(),
      pollSeconds: Number(form.pollSeconds),
      deleteUntracked: form.deleteUntracked,
    };
    if (form.password) b['password'] = form.password;
    if (data && 'allowSelfSigned' in data) b['allowSelfSigned'] = form.allowSelfSigned;
    if (data && 'plusAddressing' in data) b['plusAddressing'] = form.plusAddressing;
    return b;
  };

  const save = async () => {
    const saved = await api.put<TrackingSettings>('/admin/email/tracking', body());
    if (saved && typeof saved === 'object') onSaved(saved);
    setForm((f) => ({ ...f, password: '' }));
    setDirty(false);
  };

  const act = async (kind: 'save' | 'test' | 'poll') => {
    setBusy(kind);
    setError(null);
    if (kind === 'test') setTest(null);
    if (kind === 'poll') {
      setPoll(null);
      setPollError(null);
    }
    try {
      // A test checks the form as typed, without saving it; saving and polling use the stored settings.
      if (kind === 'save' || (kind === 'poll' && dirty)) await save();
      if (kind === 'save') setFlash('Saved');
      if (kind === 'test') setTest(await api.post<TestResult>('/admin/email/tracking/test', dirty ? body() : {}));
      if (kind === 'poll') {
        try {
          setPoll(await api.post<PollResult>('/admin/email/tracking/poll'));
        } catch (err) {
          setPollError(err);
        }
        onPolled();
      }
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };

  const fe = fieldErrors(error, ['protocol', 'host', 'port', 'security', 'username', 'password', 'address', 'pollSeconds']);
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        void act('save');
      }}
      className="stack"
    >
      <ErrorNote error={unplaced(error, fe)} what="Tracking" />
      <div className="grid-3">
        <SelectField
          label="Protocol"
          value={form.protocol}
          onChange={(e) => set('protocol', e.target.value as 'pop3' | 'imap' | 'graph')}
          error={fe['protocol']}
        >
          <option value="pop3">POP3</option>
          <option value="imap">IMAP</option>
          {/* Graph needs OAuth2, its folder and removal choice: set in the account list's dialog. */}
          {form.protocol === 'graph' && <option value="graph">Microsoft Graph (edit in the account list)</option>}
        </SelectField>
        <TextField label="Host" value={form.host} onChange={(e) => set('host', e.target.value)} placeholder="pop.example.com" required error={fe['host']} />
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
        <TextField
          label="Password"
          type="password"
          value={form.password}
          onChange={(e) => set('password', e.target.value)}
          autoComplete="new-password"
          placeholder={data?.passwordSet ? '•••••••• (stored)' : 'not set'}
          hint="Write-only: leave empty to keep the stored one. Type it again when the host or port changes: the stored one goes only to the server it was saved for."
          error={fe['password']}
        />
      </div>
      <div className="grid-3">
        <TextField
          label="Address"
          className="span-2"
          type="email"
          value={form.address}
          onChange={(e) => set('address', e.target.value)}
          placeholder="tracker@example.com"
          required
          error={fe['address']}
          hint="Replies to tracked email are sent here."
        />
        <TextField
          label="Poll every (seconds)"
          type="number"
          min={5}
          value={form.pollSeconds}
          onChange={(e) => set('pollSeconds', e.target.value)}
          required
          error={fe['pollSeconds']}
        />
      </div>
      <div className="checks">
        <Checkbox
          label="Delete untracked mail"
          hint="Mail without a valid tracking cookie is deleted from the account. Off: it stays there, fetched once (and listed under Unmatched mail)."
          checked={form.deleteUntracked}
          onChange={(e) => set('deleteUntracked', e.target.checked)}
        />
        {data && 'allowSelfSigned' in data && (
          <Checkbox
            label="Accept self-signed certificates"
            hint="For test servers and internal mail hosts only."
            checked={form.allowSelfSigned}
            onChange={(e) => set('allowSelfSigned', e.target.checked)}
          />
        )}
        {data && 'plusAddressing' in data && (
          <Checkbox
            label="Plus addressing"
            hint="Reply-To becomes tracking+COOKIE@domain, so replies match even when a mail program drops headers. Some servers (Exchange) drop plus addresses."
            checked={form.plusAddressing}
            onChange={(e) => set('plusAddressing', e.target.checked)}
          />
        )}
      </div>
      <TestOutcome result={test} />
      {poll && (
        <div className="notice notice-ok" role="status">
          <strong>Polled.</strong>
          <PollCounts result={poll} />
        </div>
      )}
      {pollError !== null && (
        <div className="notice notice-error" role="alert">
          <strong>Poll failed.</strong> {messageOf(pollError)}
        </div>
      )}
      <div className="form-actions">
        <Flash msg={flash} />
        <button type="button" className="btn" onClick={() => void act('test')} disabled={busy !== null || !form.host}>
          {busy === 'test' ? 'Testing…' : 'Test connection'}
        </button>
        <button type="button" className="btn" onClick={() => void act('poll')} disabled={busy !== null || !form.host}>
          {busy === 'poll' ? 'Polling…' : dirty ? 'Save & poll now' : 'Poll now'}
        </button>
        <button type="submit" className="btn btn-primary" disabled={busy !== null}>
          {busy === 'save' ? 'Saving…' : 'Save'}
        </button>
      </div>
    </form>
  );
}
