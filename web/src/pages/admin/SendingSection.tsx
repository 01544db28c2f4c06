import { useState, type FormEvent } from 'react';
import { api, fieldErrors, unplaced } from '../../api/client';
import type { Security, SendingSettings, TestResult } from '../../api/types';
import { Section } from '../../components/Section';
import { Checkbox, ErrorNote, Flash, NotAvailable, Spinner, TextField, useFlash } from '../../components/ui';
import { DEFAULT_PORT, SecuritySelect, TestOutcome, useSettings } from './connection';
import { StatusPanel } from './StatusPanel';

interface SendingForm {
  host: string;
  port: string;
  security: Security;
  username: string;
  password: string;
  paused: boolean;
  onePerConnection: boolean;
  allowSelfSigned: boolean;
  maxConnections: string;
}

function formOf(data: SendingSettings | undefined): SendingForm {
  return {
    host: data?.host ?? '',
    port: String(data?.port || 587),
    security: data?.security ?? 'starttls',
    username: data?.username ?? '',
    password: '',
    paused: !!data?.paused,
    onePerConnection: !!data?.onePerConnection,
    allowSelfSigned: !!data?.allowSelfSigned,
    maxConnections: String(data?.maxConnections ?? 5),
  };
}

export function SendingSection() {
  const { res, missing, unset } = useSettings<SendingSettings>('/admin/email/sending');
  return (
    <>
      <Section title="Email sending (SMTP)" intro="The SMTP server every tracked email and notification leaves through.">
        {missing ? (
          <NotAvailable what="Email sending settings" />
        ) : !res.data && !unset ? (
          res.error ? <ErrorNote error={res.error} onRetry={() => void res.reload()} /> : <Spinner />
        ) : (
          <SendingSettingsForm data={res.data} onSaved={res.setData} />
        )}
      </Section>
      <StatusPanel show="outbox" />
    </>
  );
}

/** Mounted once the settings are known (or known to be unset); starts from them. */
function SendingSettingsForm({ data, onSaved }: { data: SendingSettings | undefined; onSaved: (s: SendingSettings) => void }) {
  const [form, setForm] = useState(() => formOf(data));
  const [dirty, setDirty] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<'save' | 'test' | null>(null);
  const [test, setTest] = useState<TestResult | null>(null);
  const [flash, setFlash] = useFlash();
  // Options this server knows (a field it does not know would be refused as unknown).
  const has = (k: keyof SendingSettings) => !!data && k in data;

  const set = <K extends keyof typeof form>(k: K, v: (typeof form)[K]) => {
    // A connection test said something about the settings as they were; not any more.
    setTest(null);
    setForm((f) => {
      const next = { ...f, [k]: v };
      if (k === 'security' && Number(f.port) === DEFAULT_PORT.smtp[f.security]) next.port = String(DEFAULT_PORT.smtp[v as Security]);
      return next;
    });
    setDirty(true);
  };

  const save = async () => {
    const body: Record<string, unknown> = { host: form.host.trim(), port: Number(form.port), security: form.security, username: form.username.trim() };
    if (form.password) body['password'] = form.password;
    if (has('paused')) body['paused'] = form.paused;
    if (has('onePerConnection')) body['onePerConnection'] = form.onePerConnection;
    if (has('allowSelfSigned')) body['allowSelfSigned'] = form.allowSelfSigned;
    if (has('maxConnections')) body['maxConnections'] = Number(form.maxConnections);
    const saved = await api.put<SendingSettings>('/admin/email/sending', body);
    if (saved && typeof saved === 'object') onSaved(saved);
    setForm((f) => ({ ...f, password: '' }));
    setDirty(false);
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy('save');
    setError(null);
    try {
      await save();
      setFlash('Saved');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };

  const runTest = async () => {
    setBusy('test');
    setError(null);
    setTest(null);
    try {
      if (dirty) await save();
      setTest(await api.post<TestResult>('/admin/email/sending/test'));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };

  const fe = fieldErrors(error, ['host', 'port', 'security', 'username', 'password', 'maxConnections']);
  return (
    <form onSubmit={submit} className="stack">
      {data && data.configured === false && (
        <div className="notice notice-muted" role="note">
          Sending is not configured yet: tracked email waits in the outbox until it is.
        </div>
      )}
      <ErrorNote error={unplaced(error, fe)} what="Saving sending settings" />
      <div className="grid-3">
        <TextField label="Host" className="span-2" value={form.host} onChange={(e) => set('host', e.target.value)} placeholder="smtp.example.com" required error={fe['host']} />
        <TextField label="Port" type="number" min={1} max={65535} value={form.port} onChange={(e) => set('port', e.target.value)} required error={fe['port']} />
      </div>
      <div className="grid-3">
        <SecuritySelect value={form.security} onChange={(s) => set('security', s)} error={fe['security']} />
        <TextField label="Username" value={form.username} onChange={(e) => set('username', e.target.value)} autoComplete="off" error={fe['username']} hint="Empty: no authentication." />
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
      <div className="checks">
        <Checkbox label="Pause sending" hint={has('paused') ? 'Emails wait in the outbox until you resume.' : 'Not supported by this server yet.'} checked={form.paused} disabled={!has('paused')} onChange={(e) => set('paused', e.target.checked)} />
        <Checkbox
          label="One message per connection"
          hint={has('onePerConnection') ? 'For servers that misbehave when a connection carries several messages.' : 'Not supported by this server yet.'}
          checked={form.onePerConnection}
          disabled={!has('onePerConnection')}
          onChange={(e) => set('onePerConnection', e.target.checked)}
        />
        {has('allowSelfSigned') && (
          <Checkbox label="Accept self-signed certificates" hint="For test servers and internal relays only." checked={form.allowSelfSigned} onChange={(e) => set('allowSelfSigned', e.target.checked)} />
        )}
      </div>
      {has('maxConnections') && (
        <div className="grid-3">
          <TextField label="Parallel connections" type="number" min={1} max={50} value={form.maxConnections} onChange={(e) => set('maxConnections', e.target.value)} error={fe['maxConnections']} />
        </div>
      )}
      <TestOutcome result={test} />
      <div className="form-actions">
        <Flash msg={flash} />
        <button type="button" className="btn" onClick={() => void runTest()} disabled={busy !== null || !form.host}>
          {busy === 'test' ? 'Testing…' : dirty ? 'Save & test connection' : 'Test connection'}
        </button>
        <button type="submit" className="btn btn-primary" disabled={busy !== null}>
          {busy === 'save' ? 'Saving…' : 'Save'}
        </button>
      </div>
    </form>
  );
}
