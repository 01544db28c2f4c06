import { useEffect, useState, type FormEvent } from 'react';
import { api, enc, fieldErrors, messageOf, unplaced } from '../../api/client';
import { useInterval, useResource } from '../../api/hooks';
import type { OAuthGrant, OAuthPreset, OAuthProvider, PollResult, Project, TestResult, TrackingAccount } from '../../api/types';
import { Section, SettingsTable } from '../../components/Section';
import { Badge, Checkbox, Dialog, ErrorNote, Flash, SelectField, Spinner, TextArea, TextField, cx, useFlash } from '../../components/ui';
import { fullDate, relative } from '../../format';
import {
  AddressField,
  PollSecondsField,
  ServerFields,
  TestOutcome,
  TrackingChecks,
  followDefaultPort,
  mailboxBody,
  mailboxFormOf,
  type MailboxForm,
} from './connection';

type Protocol = 'pop3' | 'imap' | 'graph';

interface Form extends MailboxForm {
  name: string;
  projects: string[];
  auth: 'password' | 'oauth2';
  provider: OAuthProvider;
  grant: OAuthGrant;
  authorizationUrl: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scopes: string;
  mechanism: 'xoauth2' | 'oauthbearer';
  /** Graph only. */
  folder: string;
  graphRemoval: 'delete' | 'move';
}

function formOf(a: TrackingAccount | null): Form {
  const s = a?.settings;
  return {
    ...mailboxFormOf(s, 'imap'),
    name: a?.name ?? '',
    folder: s?.folder ?? 'inbox',
    graphRemoval: s?.graphRemoval ?? 'delete',
    projects: a && !a.isDefault ? a.projects : [],
    auth: s?.auth ?? 'password',
    provider: s?.oauth?.provider ?? 'microsoft',
    grant: s?.oauth?.grant ?? 'delegated',
    authorizationUrl: s?.oauth?.authorizationUrl ?? '',
    tokenUrl: s?.oauth?.tokenUrl ?? '',
    clientId: s?.oauth?.clientId ?? '',
    clientSecret: '',
    scopes: (s?.oauth?.scopes ?? []).join('\n'),
    mechanism: s?.oauth?.mechanism ?? 'xoauth2',
  };
}

/** Fills servers, endpoints and scopes from a provider preset; every field stays editable. */
function applyPreset(f: Form, presets: Record<OAuthProvider, OAuthPreset> | undefined, provider: OAuthProvider, grant: OAuthGrant): Form {
  const p = presets?.[provider];
  const o = p?.oauth[grant];
  const server = f.protocol === 'graph' ? undefined : p?.servers?.[f.protocol];
  return {
    ...f,
    provider,
    grant,
    ...(server ? { host: server.host, port: String(server.port), security: server.security } : {}),
    ...(o ? { authorizationUrl: o.authorizationUrl, tokenUrl: o.tokenUrl, scopes: o.scopes.join('\n'), mechanism: o.mechanism } : {}),
  };
}

/** Add or edit one tracking account (not the default: that one is the form below the list). */
function AccountDialog({
  account,
  open,
  onClose,
  onSaved,
}: {
  account: TrackingAccount | null;
  open: boolean;
  onClose: () => void;
  onSaved: (a: TrackingAccount) => void;
}) {
  return (
    <Dialog open={open} wide title={account ? `Edit ${account.name}` : 'Add tracking account'} onClose={onClose}>
      <AccountForm key={account?.id ?? 'new'} account={account} onClose={onClose} onSaved={onSaved} />
    </Dialog>
  );
}

/** Keyed by the account and mounted each time the dialog opens: it starts from the account as stored. */
function AccountForm({ account, onClose, onSaved }: { account: TrackingAccount | null; onClose: () => void; onSaved: (a: TrackingAccount) => void }) {
  const projects = useResource<{ projects: Project[] }>('/projects');
  const presets = useResource<Record<OAuthProvider, OAuthPreset>>('/admin/email/oauth/presets');
  const [form, setForm] = useState<Form>(() => formOf(account));
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<'save' | 'test' | null>(null);
  const [test, setTest] = useState<TestResult | null>(null);
  const set = <K extends keyof Form>(k: K, v: Form[K]) => {
    setTest(null);
    setForm((f) => {
      const next = followDefaultPort(f, { ...f, [k]: v });
      // Graph signs in with OAuth2 only.
      if (k === 'protocol' && v === 'graph') {
        next.auth = 'oauth2';
        if (!f.host) next.host = 'graph.microsoft.com';
      }
      return next;
    });
  };
  const body = () => ({
    name: form.name.trim(),
    ...mailboxBody(form),
    allowSelfSigned: form.allowSelfSigned,
    plusAddressing: form.plusAddressing,
    ...(account?.isDefault ? {} : { projects: form.projects }),
    ...(form.protocol === 'graph' ? { folder: form.folder.trim() || 'inbox', graphRemoval: form.graphRemoval } : {}),
    auth: form.auth,
    ...(form.auth === 'oauth2'
      ? {
          oauth: {
            provider: form.provider,
            grant: form.grant,
            authorizationUrl: form.authorizationUrl.trim(),
            tokenUrl: form.tokenUrl.trim(),
            clientId: form.clientId.trim(),
            scopes: form.scopes.split(/\s+/).filter(Boolean),
            mechanism: form.mechanism,
            ...(form.clientSecret ? { clientSecret: form.clientSecret } : {}),
          },
        }
      : {}),
  });
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy('save');
    setError(null);
    try {
      onSaved(
        account
          ? await api.put<TrackingAccount>(`/admin/email/accounts/${enc(account.id)}`, body())
          : await api.post<TrackingAccount>('/admin/email/accounts', body()),
      );
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };
  const runTest = async () => {
    if (!account) return;
    setBusy('test');
    setTest(null);
    try {
      const { name: _n, projects: _p, ...fields } = body();
      setTest(await api.post<TestResult>(`/admin/email/accounts/${enc(account.id)}/test`, fields));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };
  const fe = fieldErrors(error, ['name', 'protocol', 'host', 'port', 'security', 'username', 'password', 'address', 'pollSeconds']);
  const toggle = (key: string, on: boolean) => set('projects', on ? [...form.projects, key] : form.projects.filter((k) => k !== key));
  return (
    <form className="stack" onSubmit={submit}>
      <ErrorNote error={unplaced(error, fe)} />
      <div className="grid-3">
        <TextField
          label="Name"
          value={form.name}
          onChange={(e) => set('name', e.target.value)}
          required
          error={fe['name']}
          hint="Shown to admins, e.g. the team it serves."
        />
        <AddressField
          value={form.address}
          onChange={(v) => set('address', v)}
          placeholder="support-tracking@example.com"
          hint="Reply-To of the tracked email of its projects."
          error={fe['address']}
        />
      </div>
      <ServerFields
        protocol={
          <SelectField label="Protocol" value={form.protocol} onChange={(e) => set('protocol', e.target.value as Protocol)} error={fe['protocol']}>
            <option value="imap">IMAP</option>
            <option value="pop3">POP3</option>
            <option value="graph">Microsoft Graph</option>
          </SelectField>
        }
        form={form}
        set={set}
        fe={fe}
        passwordStored={account?.settings.passwordSet}
        passwordHint="Write-only: leave empty to keep the stored one."
      />
      {form.protocol === 'graph' && (
        <div className="grid-3">
          <TextField
            label="Folder"
            value={form.folder}
            onChange={(e) => set('folder', e.target.value)}
            hint="inbox, junkemail, archive, … or a folder id. The username is the mailbox (a shared mailbox’s address works)."
          />
          <SelectField label="After import" value={form.graphRemoval} onChange={(e) => set('graphRemoval', e.target.value as 'delete' | 'move')}>
            <option value="delete">Delete the message</option>
            <option value="move">Move it to Deleted Items</option>
          </SelectField>
        </div>
      )}
      <div className="grid-3">
        <SelectField label="Sign-in" value={form.auth} onChange={(e) => set('auth', e.target.value as 'password' | 'oauth2')}>
          <option value="password">Password</option>
          <option value="oauth2">OAuth2 (Microsoft 365, Google, other)</option>
        </SelectField>
        {form.auth === 'oauth2' && (
          <>
            <SelectField
              label="Provider"
              value={form.provider}
              onChange={(e) => setForm((f) => applyPreset(f, presets.data, e.target.value as OAuthProvider, f.grant))}
            >
              <option value="microsoft">Microsoft 365</option>
              <option value="google">Google</option>
              <option value="generic">Generic OAuth2 / OpenID</option>
            </SelectField>
            <SelectField
              label="Grant"
              value={form.grant}
              onChange={(e) => setForm((f) => applyPreset(f, presets.data, f.provider, e.target.value as OAuthGrant))}
              hint="Delegated: an admin clicks Connect and signs in. App-only: client credentials."
            >
              <option value="delegated">Delegated (Connect)</option>
              <option value="app">App-only (client credentials)</option>
            </SelectField>
          </>
        )}
      </div>
      {form.auth === 'oauth2' && (
        <fieldset className="fieldset">
          <legend>OAuth2 client</legend>
          <div className="grid-3">
            <TextField label="Client id" value={form.clientId} onChange={(e) => set('clientId', e.target.value)} autoComplete="off" />
            <TextField
              label="Client secret"
              type="password"
              autoComplete="new-password"
              value={form.clientSecret}
              onChange={(e) => set('clientSecret', e.target.value)}
              placeholder={account?.settings.oauth?.clientSecretSet ? '•••••••• (stored)' : 'not set'}
              hint="Write-only."
            />
            <SelectField label="SASL mechanism" value={form.mechanism} onChange={(e) => set('mechanism', e.target.value as 'xoauth2' | 'oauthbearer')}>
              <option value="xoauth2">XOAUTH2</option>
              <option value="oauthbearer">OAUTHBEARER</option>
            </SelectField>
          </div>
          {form.grant === 'delegated' && (
            <TextField
              label="Authorization endpoint"
              value={form.authorizationUrl}
              onChange={(e) => set('authorizationUrl', e.target.value)}
              hint="Microsoft: replace {tenant} with your directory (tenant) id."
            />
          )}
          <TextField label="Token endpoint" value={form.tokenUrl} onChange={(e) => set('tokenUrl', e.target.value)} />
          <TextArea
            label="Scopes"
            rows={3}
            value={form.scopes}
            onChange={(e) => set('scopes', e.target.value)}
            hint="One per line. Save, then Connect in the account list."
          />
        </fieldset>
      )}
      <div className="grid-3">
        <PollSecondsField value={form.pollSeconds} onChange={(v) => set('pollSeconds', v)} min={1} error={fe['pollSeconds']} />
      </div>
      <TrackingChecks form={form} set={set} />
      {!account?.isDefault && (
        <fieldset className="fieldset">
          <legend>Projects using this account</legend>
          {projects.error ? (
            <ErrorNote error={projects.error} what="Projects" />
          ) : !projects.data ? (
            <Spinner />
          ) : projects.data.projects.length === 0 ? (
            <p className="muted small">No projects yet.</p>
          ) : (
            <div className="checks">
              {projects.data.projects.map((p) => (
                <Checkbox
                  key={p.key}
                  label={`${p.key} — ${p.name}`}
                  checked={form.projects.includes(p.key)}
                  onChange={(e) => toggle(p.key, e.target.checked)}
                />
              ))}
            </div>
          )}
          <p className="muted small">Projects not ticked on any account use the default account.</p>
        </fieldset>
      )}
      <TestOutcome result={test} />
      <div className="form-actions">
        <button type="button" className="btn btn-ghost" onClick={onClose}>
          Cancel
        </button>
        {account && (
          <button type="button" className="btn" onClick={() => void runTest()} disabled={busy !== null || !form.host}>
            {busy === 'test' ? 'Testing…' : 'Test sign-in'}
          </button>
        )}
        <button type="submit" className="btn btn-primary" disabled={busy !== null}>
          {busy === 'save' ? 'Saving…' : account ? 'Save' : 'Add account'}
        </button>
      </div>
    </form>
  );
}

function OAuthCell({ a }: { a: TrackingAccount }) {
  if (!a.oauth) return null;
  const o = a.oauth;
  return (
    <div className="small" data-oauth-state={o.state}>
      {o.state === 'connected' ? (
        <Badge tone="ok">signed in</Badge>
      ) : o.state === 'reconnect_needed' ? (
        <Badge tone="bad">reconnect needed</Badge>
      ) : (
        <Badge tone="muted">not connected</Badge>
      )}
      {o.tokenExpiresAt && (
        <span className="muted" title={fullDate(o.tokenExpiresAt)}>
          {' '}
          token until {fullDate(o.tokenExpiresAt)}
        </span>
      )}
      {o.error && o.state !== 'connected' && <div className="muted">{o.error}</div>}
    </div>
  );
}

function StatusCell({ a }: { a: TrackingAccount }) {
  if (!a.settings.configured) return <Badge tone="muted">not configured</Badge>;
  if (a.status.lastPollError)
    return (
      <span>
        <Badge tone="bad">error</Badge> <span className="small">{a.status.lastPollError}</span>
      </span>
    );
  if (!a.status.lastPollAt) return <Badge tone="muted">not polled yet</Badge>;
  return (
    <span title={fullDate(a.status.lastPollAt)}>
      <Badge tone="ok">ok</Badge> <span className="muted small">polled {relative(a.status.lastPollAt)}</span>
    </span>
  );
}

/** What the provider's sign-in said, when GET …/oauth/callback redirected back here with ?oauth=. */
function oauthReturnNote(): { ok: boolean; text: string } | null {
  const q = new URLSearchParams(window.location.search);
  if (q.get('oauth') === 'connected') return { ok: true, text: 'Connected: the account signs in with OAuth2 now.' };
  if (q.get('oauth') === 'failed') return { ok: false, text: q.get('message') ?? 'The sign-in failed.' };
  return null;
}

/**
 * Every tracking mailbox with its status. The default account is edited in the form below;
 * others (one per team or project) in a dialog. Each has its own poller and lock.
 */
export function TrackingAccountsPanel({ refreshKey, onChanged }: { refreshKey?: number; onChanged?: () => void }) {
  const accounts = useResource<{ accounts: TrackingAccount[] }>('/admin/email/accounts');
  const [editing, setEditing] = useState<TrackingAccount | null>(null);
  const [adding, setAdding] = useState(false);
  const [busy, setBusy] = useState<string | null>(null);
  const [note, setNote] = useState(oauthReturnNote);
  const [flash, setFlash] = useFlash();
  useEffect(() => {
    if (refreshKey) void accounts.reload();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [refreshKey]);
  useInterval(
    () => {
      if (!document.hidden) void accounts.reload();
    },
    10_000,
    true,
  );
  /** Off to the provider's sign-in; it comes back to /admin/email?oauth=connected (or failed). */
  const connect = async (a: TrackingAccount) => {
    setBusy(a.id);
    setNote(null);
    try {
      const r = await api.post<{ url: string }>(`/admin/email/accounts/${enc(a.id)}/oauth/connect`);
      window.location.assign(r.url);
    } catch (err) {
      setNote({ ok: false, text: `${a.name}: ${messageOf(err)}` });
      setBusy(null);
    }
  };
  const poll = async (a: TrackingAccount) => {
    setBusy(a.id);
    setNote(null);
    try {
      const r = await api.post<PollResult>(`/admin/email/accounts/${enc(a.id)}/poll`);
      setNote({ ok: true, text: `${a.name}: fetched ${r.fetched}, imported ${r.imported}, forwarded ${r.forwarded}.` });
    } catch (err) {
      setNote({ ok: false, text: `${a.name}: ${messageOf(err)}` });
    } finally {
      setBusy(null);
      void accounts.reload();
    }
  };
  const remove = async (a: TrackingAccount) => {
    if (!window.confirm(`Remove the tracking account "${a.name}"? Its projects go back to the default account; mail already imported stays.`)) return;
    setBusy(a.id);
    try {
      await api.del(`/admin/email/accounts/${enc(a.id)}`);
      setFlash(`Removed ${a.name}`);
      onChanged?.();
    } catch (err) {
      setNote({ ok: false, text: messageOf(err) });
    } finally {
      setBusy(null);
      void accounts.reload();
    }
  };
  return (
    <Section
      title="Tracking accounts"
      intro="One mailbox per team or project if you like: each project’s tracked email gets its account’s address as Reply-To."
      actions={
        <div className="row">
          <Flash msg={flash} />
          <button type="button" className="btn btn-primary" onClick={() => setAdding(true)}>
            Add account
          </button>
        </div>
      }
    >
      {accounts.error ? (
        <ErrorNote error={accounts.error} onRetry={() => void accounts.reload()} />
      ) : !accounts.data ? (
        <Spinner />
      ) : (
        <SettingsTable columns={['Account', 'Mailbox', 'Projects', 'Status']}>
          {accounts.data.accounts.map((a) => (
            <tr key={a.id} data-account={a.id}>
              <td>
                <strong>{a.name}</strong>
                {a.isDefault && (
                  <>
                    {' '}
                    <Badge tone="accent">default</Badge>
                  </>
                )}
                <div className="muted small">{a.settings.address || '—'}</div>
              </td>
              <td className="small">
                {a.settings.configured ? `${a.settings.protocol.toUpperCase()} ${a.settings.username} @ ${a.settings.host}:${a.settings.port}` : '—'}
              </td>
              <td className="small">{a.projects.length > 0 ? a.projects.join(', ') : a.isDefault ? 'none (all have their own)' : 'none'}</td>
              <td>
                <StatusCell a={a} />
                <OAuthCell a={a} />
              </td>
              <td className="actions">
                {a.settings.auth === 'oauth2' && a.settings.oauth?.grant !== 'app' && (
                  <button type="button" className="btn btn-small" disabled={busy !== null} onClick={() => void connect(a)}>
                    {a.oauth?.state === 'connected' ? 'Reconnect' : a.oauth?.state === 'reconnect_needed' ? 'Reconnect' : 'Connect'}
                  </button>
                )}
                <button type="button" className="btn btn-small btn-ghost" disabled={busy !== null || !a.settings.configured} onClick={() => void poll(a)}>
                  {busy === a.id ? 'Polling…' : 'Poll now'}
                </button>
                {a.isDefault && (
                  // The form below edits the default's server and password; its OAuth2 sign-in is set here.
                  <button type="button" className="btn btn-small btn-ghost" onClick={() => setEditing(a)} aria-label={`Sign-in settings of ${a.name}`}>
                    Sign-in…
                  </button>
                )}
                {!a.isDefault && (
                  <>
                    <button type="button" className="btn btn-small btn-ghost" onClick={() => setEditing(a)} aria-label={`Edit ${a.name}`}>
                      Edit
                    </button>
                    <button
                      type="button"
                      className="btn btn-small btn-ghost"
                      disabled={busy !== null}
                      onClick={() => void remove(a)}
                      aria-label={`Remove ${a.name}`}
                    >
                      Remove
                    </button>
                  </>
                )}
              </td>
            </tr>
          ))}
        </SettingsTable>
      )}
      {note && (
        <div className={cx('notice', note.ok ? 'notice-ok' : 'notice-error')} role="status">
          {note.text}
        </div>
      )}
      <AccountDialog
        open={adding || editing !== null}
        account={editing}
        onClose={() => {
          setAdding(false);
          setEditing(null);
        }}
        onSaved={(a) => {
          setFlash(adding ? `Added ${a.name}` : 'Saved');
          setAdding(false);
          setEditing(null);
          void accounts.reload();
          onChanged?.();
        }}
      />
    </Section>
  );
}
