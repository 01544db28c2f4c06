import { useState, type FormEvent } from 'react';
import { api, fieldErrors, messageOf, unplaced } from '../../api/client';
import { useResource } from '../../api/hooks';
import type { Security, SendingSettings, TestResult, TrackingAccount } from '../../api/types';
import { Section } from '../../components/Section';
import { Checkbox, ErrorNote, Flash, SelectField, TextField, useFlash } from '../../components/ui';
import { Link } from '../../router';
import { DEFAULT_PORT, PasswordField, SecuritySelect, SettingsLoader, TestOutcome } from './connection';
import { StatusPanel } from './StatusPanel';

type Transport = 'smtp' | 'graph';

interface SendingForm {
  transport: Transport;
  /** SMTP only: the stored password, or the OAuth2 token of a tracking account (Graph is always OAuth2). */
  auth: 'password' | 'oauth2';
  oauthAccountId: string;
  host: string;
  port: string;
  security: Security;
  /** SMTP: the user signed in as. Graph: the sending mailbox (empty: each message's From). */
  username: string;
  password: string;
  paused: boolean;
  onePerConnection: boolean;
  allowSelfSigned: boolean;
  maxConnections: string;
}

const GRAPH_HOST = 'graph.microsoft.com';

function formOf(data: SendingSettings | undefined): SendingForm {
  return {
    transport: data?.transport ?? 'smtp',
    auth: data?.oauthAccountId ? 'oauth2' : 'password',
    oauthAccountId: data?.oauthAccountId ?? '',
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

/**
 * Moving between SMTP and Graph: the endpoint follows (an SMTP server's name means nothing to
 * Graph); back on SMTP, the stored SMTP server comes back if there is one.
 */
function withTransport(f: SendingForm, transport: Transport, data: SendingSettings | undefined): SendingForm {
  if (transport === f.transport) return f;
  if (transport === 'graph') return { ...f, transport, host: GRAPH_HOST, port: String(DEFAULT_PORT.graph.tls), security: 'tls' };
  const stored = data?.host && (data.transport ?? 'smtp') === 'smtp' ? data : undefined;
  return { ...f, transport, host: stored?.host ?? '', port: String(stored?.port ?? DEFAULT_PORT.smtp.starttls), security: stored?.security ?? 'starttls' };
}

/** What PUT /admin/email/sending gets: only options the server knows, and no password nothing would use. */
function bodyOf(form: SendingForm, data: SendingSettings | undefined): Record<string, unknown> {
  const has = (k: keyof SendingSettings) => !!data && k in data;
  const oauth = form.transport === 'graph' || form.auth === 'oauth2';
  const body: Record<string, unknown> = { host: form.host.trim(), port: Number(form.port), security: form.security, username: form.username.trim() };
  if (form.transport === 'graph' || has('transport')) body['transport'] = form.transport;
  if (oauth) body['oauthAccountId'] = form.oauthAccountId;
  else if (data?.oauthAccountId) body['oauthAccountId'] = '';
  // Signing in with OAuth2 drops a stored password: it would only wait to be sent to a server again.
  if (oauth) {
    if (data?.passwordSet) body['password'] = '';
  } else if (form.password) body['password'] = form.password;
  if (has('paused')) body['paused'] = form.paused;
  if (has('onePerConnection')) body['onePerConnection'] = form.onePerConnection;
  if (has('allowSelfSigned')) body['allowSelfSigned'] = form.allowSelfSigned;
  if (has('maxConnections')) body['maxConnections'] = Number(form.maxConnections);
  return body;
}

export function SendingSection() {
  return (
    <>
      <Section title="Email sending" intro="The server every tracked email and notification leaves through: an SMTP server, or Microsoft Graph (sendMail).">
        <SettingsLoader<SendingSettings> path="/admin/email/sending" what="Email sending settings">
          {(data, onSaved) => <SendingSettingsForm data={data} onSaved={onSaved} />}
        </SettingsLoader>
      </Section>
      <StatusPanel show="outbox" />
    </>
  );
}

/** The tracking accounts that sign in with OAuth2: their token can also send. */
function OAuthAccountSelect({
  value,
  onChange,
  error,
  className,
}: {
  value: string;
  onChange: (id: string) => void;
  error?: string | undefined;
  className?: string;
}) {
  const accounts = useResource<{ accounts: TrackingAccount[] }>('/admin/email/accounts');
  const list = (accounts.data?.accounts ?? []).filter((a) => a.settings.auth === 'oauth2');
  const stale = value !== '' && accounts.data !== undefined && !list.some((a) => a.id === value);
  return (
    <SelectField
      label="OAuth2 account"
      className={className}
      value={value}
      onChange={(e) => onChange(e.target.value)}
      required
      error={error ?? (accounts.error ? messageOf(accounts.error) : undefined)}
      hint={
        accounts.data && list.length === 0 ? (
          <>
            No tracking account signs in with OAuth2 yet: set one up under <Link to="/admin/tracking">Email tracking</Link>.
          </>
        ) : (
          'The tracking account whose OAuth2 sign-in gives the token.'
        )
      }
    >
      <option value="">{accounts.data ? 'Choose an account…' : 'Loading accounts…'}</option>
      {stale && <option value={value}>{value} (no longer signs in with OAuth2)</option>}
      {list.map((a) => (
        <option key={a.id} value={a.id}>
          {a.name} — {a.settings.address || a.settings.username}
          {a.oauth && a.oauth.state !== 'connected' ? ' (not connected)' : ''}
        </option>
      ))}
    </SelectField>
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
      if (k === 'transport') return withTransport(f, v as Transport, data);
      const next = { ...f, [k]: v };
      if (k === 'security' && Number(f.port) === DEFAULT_PORT[f.transport][f.security]) next.port = String(DEFAULT_PORT[f.transport][v as Security]);
      return next;
    });
    setDirty(true);
  };

  const save = async () => {
    const saved = await api.put<SendingSettings>('/admin/email/sending', bodyOf(form, data));
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

  const fe = fieldErrors(error, ['transport', 'oauthAccountId', 'host', 'port', 'security', 'username', 'password', 'maxConnections']);
  const graph = form.transport === 'graph';
  return (
    <form onSubmit={submit} className="stack">
      {data && data.configured === false && (
        <div className="notice notice-muted" role="note">
          Sending is not configured yet: tracked email waits in the outbox until it is.
        </div>
      )}
      <ErrorNote error={unplaced(error, fe)} what="Saving sending settings" />
      <div className="grid-3">
        <SelectField label="Send through" value={form.transport} onChange={(e) => set('transport', e.target.value as Transport)} error={fe['transport']}>
          <option value="smtp">An SMTP server</option>
          <option value="graph">Microsoft Graph (sendMail)</option>
        </SelectField>
        {!graph && (
          <SelectField label="Sign in with" value={form.auth} onChange={(e) => set('auth', e.target.value as SendingForm['auth'])}>
            <option value="password">A password (or none)</option>
            <option value="oauth2">OAuth2 of a tracking account</option>
          </SelectField>
        )}
        {(graph || form.auth === 'oauth2') && (
          <OAuthAccountSelect
            className={graph ? 'span-2' : undefined}
            value={form.oauthAccountId}
            onChange={(id) => set('oauthAccountId', id)}
            error={fe['oauthAccountId']}
          />
        )}
      </div>
      <div className="grid-3">
        <TextField
          label={graph ? 'Graph endpoint' : 'Host'}
          className="span-2"
          value={form.host}
          onChange={(e) => set('host', e.target.value)}
          placeholder={graph ? GRAPH_HOST : 'smtp.example.com'}
          required
          error={fe['host']}
          hint={graph ? `${GRAPH_HOST} for Microsoft 365; another host only for a national cloud or a test server.` : undefined}
        />
        <TextField label="Port" type="number" min={1} max={65535} value={form.port} onChange={(e) => set('port', e.target.value)} required error={fe['port']} />
      </div>
      <div className="grid-3">
        <SecuritySelect value={form.security} onChange={(s) => set('security', s)} error={fe['security']} />
        {graph ? (
          <TextField
            label="Sending mailbox"
            className="span-2"
            type="email"
            value={form.username}
            onChange={(e) => set('username', e.target.value)}
            autoComplete="off"
            placeholder="each message's own From"
            error={fe['username']}
            hint="Every message goes out from this mailbox (the app needs Mail.Send on it). Empty: each from its own From mailbox, forwards from the tracking mailbox."
          />
        ) : (
          <>
            <TextField
              label="Username"
              value={form.username}
              onChange={(e) => set('username', e.target.value)}
              autoComplete="off"
              error={fe['username']}
              hint={form.auth === 'oauth2' ? 'The mailbox the account signed in as.' : 'Empty: no authentication.'}
            />
            {form.auth === 'password' && (
              <PasswordField value={form.password} onChange={(v) => set('password', v)} stored={data?.passwordSet} error={fe['password']} />
            )}
          </>
        )}
      </div>
      {(graph || form.auth === 'oauth2') && data?.passwordSet && (
        <p className="muted small" role="note">
          Saving drops the stored SMTP password: signing in with OAuth2 does not use it.
        </p>
      )}
      <div className="checks">
        <Checkbox
          label="Pause sending"
          hint={has('paused') ? 'Emails wait in the outbox until you resume.' : 'Not supported by this server yet.'}
          checked={form.paused}
          disabled={!has('paused')}
          onChange={(e) => set('paused', e.target.checked)}
        />
        {!graph && (
          <Checkbox
            label="One message per connection"
            hint={has('onePerConnection') ? 'For servers that misbehave when a connection carries several messages.' : 'Not supported by this server yet.'}
            checked={form.onePerConnection}
            disabled={!has('onePerConnection')}
            onChange={(e) => set('onePerConnection', e.target.checked)}
          />
        )}
        {has('allowSelfSigned') && (
          <Checkbox
            label="Accept self-signed certificates"
            hint="For test servers and internal relays only."
            checked={form.allowSelfSigned}
            onChange={(e) => set('allowSelfSigned', e.target.checked)}
          />
        )}
      </div>
      {has('maxConnections') && (
        <div className="grid-3">
          <TextField
            label="Parallel connections"
            type="number"
            min={1}
            max={50}
            value={form.maxConnections}
            onChange={(e) => set('maxConnections', e.target.value)}
            error={fe['maxConnections']}
          />
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
