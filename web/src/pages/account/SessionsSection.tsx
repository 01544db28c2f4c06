import { useState } from 'react';
import { api, enc, fieldErrors, unplaced } from '../../api/client';
import { useResource, useSubmit } from '../../api/hooks';
import type { CreatedApiToken, SessionInfo } from '../../api/types';
import { DialogActions, Section, SettingsTable } from '../../components/Section';
import { Badge, Dialog, Empty, ErrorNote, Flash, Spinner, TextField, useFlash } from '../../components/ui';
import { fullDate, relative, shortDate } from '../../format';

/** A short name for the program behind a User-Agent ("Firefox on Linux", "curl"). */
export function clientOf(ua: string | null): string {
  if (!ua) return 'Unknown client';
  const browser = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox' : /Chrom(e|ium)\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : null;
  const os = /Windows/.test(ua)
    ? 'Windows'
    : /Mac OS X/.test(ua)
      ? 'macOS'
      : /Android/.test(ua)
        ? 'Android'
        : /iPhone|iPad/.test(ua)
          ? 'iOS'
          : /Linux/.test(ua)
            ? 'Linux'
            : null;
  if (browser) return os ? `${browser} on ${os}` : browser;
  return ua.split(/[\s/]/)[0] || ua;
}

function NewTokenForm({ onClose, onCreated }: { onClose: () => void; onCreated: (t: CreatedApiToken) => void }) {
  const [name, setName] = useState('');
  const { busy, error, handler } = useSubmit();
  const fe = fieldErrors(error, ['name']);
  const submit = handler(async () => onCreated(await api.post<CreatedApiToken>('/me/tokens', { name: name.trim() })));
  return (
    <form className="stack" onSubmit={submit}>
      <ErrorNote error={unplaced(error, fe)} />
      <TextField
        label="Name"
        value={name}
        onChange={(e) => setName(e.target.value)}
        required
        maxLength={100}
        autoComplete="off"
        error={fe['name']}
        hint="What the token is for, e.g. “CI deploy script”. It lasts 30 days."
      />
      <DialogActions onCancel={onClose} busy={busy} label="Create token" busyLabel="Creating…" />
    </form>
  );
}

/** The token just created: shown here once, never again (the server keeps only its hash). */
function ShowToken({ created, onClose }: { created: CreatedApiToken; onClose: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="stack">
      <p>
        Copy the token for <strong>{created.name}</strong> now. It is shown only this once; if you lose it, revoke it and create another.
      </p>
      <div className="row">
        <input className="input mono token-value" aria-label="New API token" readOnly value={created.token} onFocus={(e) => e.currentTarget.select()} />
        <button
          type="button"
          className="btn"
          onClick={() => {
            void navigator.clipboard?.writeText(created.token).then(() => setCopied(true));
          }}
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
      <p className="muted small">
        Use it as <code className="mono">Authorization: Bearer …</code>. Expires {fullDate(created.expiresAt)}.
      </p>
      <div className="form-actions">
        <button type="button" className="btn btn-primary" onClick={onClose}>
          Done
        </button>
      </div>
    </div>
  );
}

export function SessionsSection() {
  const sessions = useResource<{ sessions: SessionInfo[] }>('/me/sessions');
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<CreatedApiToken | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [flash, setFlash] = useFlash();
  const list = sessions.data?.sessions ?? [];
  const others = list.filter((s) => !s.current).length;

  const run = async (key: string, action: () => Promise<string>) => {
    setBusy(key);
    setError(null);
    try {
      setFlash(await action());
      await sessions.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };
  const revoke = (s: SessionInfo) =>
    run(s.id, async () => {
      await api.del(`/me/sessions/${enc(s.id)}`);
      return s.kind === 'api' ? 'Token revoked' : 'Session ended';
    });
  const endOthers = () =>
    run('others', async () => {
      const res = await api.del<{ ended: number }>('/me/sessions');
      return res.ended === 1 ? 'Ended 1 other session' : `Ended ${res.ended} other sessions`;
    });

  return (
    <Section
      title="Sessions and tokens"
      intro="Where you are signed in, and the API tokens of your scripts. Revoke anything you do not recognise; changing your password ends all of them but this one."
      actions={
        <div className="row">
          <Flash msg={flash} />
          <button type="button" className="btn" disabled={others === 0 || busy !== null} onClick={() => void endOthers()}>
            {busy === 'others' ? 'Ending…' : 'Revoke all others'}
          </button>
          <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}>
            Create API token
          </button>
        </div>
      }
    >
      <ErrorNote error={error} />
      {sessions.error ? (
        <ErrorNote error={sessions.error} onRetry={() => void sessions.reload()} />
      ) : !sessions.data ? (
        <Spinner />
      ) : list.length === 0 ? (
        <Empty title="No sessions">Nothing is signed in as you.</Empty>
      ) : (
        <SettingsTable columns={['Session or token', 'Created', 'Last used', { label: 'Expires', className: 'hide-narrow' }]}>
          {list.map((s) => {
            const label = s.kind === 'api' ? (s.name ?? `API token (${clientOf(s.userAgent)})`) : `Web sign-in, ${clientOf(s.userAgent)}`;
            return (
              <tr key={s.id} data-session-id={s.id}>
                <td>
                  <strong>{label}</strong> <Badge tone={s.kind === 'api' ? 'accent' : 'muted'}>{s.kind === 'api' ? 'API token' : 'web'}</Badge>
                  {s.current && (
                    <>
                      {' '}
                      <Badge tone="ok">this session</Badge>
                    </>
                  )}
                </td>
                <td title={fullDate(s.createdAt)}>{shortDate(s.createdAt)}</td>
                <td title={fullDate(s.lastUsedAt)}>{relative(s.lastUsedAt)}</td>
                <td className="hide-narrow" title={fullDate(s.expiresAt)}>
                  {shortDate(s.expiresAt)}
                </td>
                <td className="actions">
                  {!s.current && (
                    <button
                      type="button"
                      className="btn btn-small btn-ghost"
                      disabled={busy !== null}
                      onClick={() => void revoke(s)}
                      aria-label={`Revoke ${label}`}
                    >
                      {busy === s.id ? 'Revoking…' : 'Revoke'}
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
        </SettingsTable>
      )}
      <Dialog open={creating} title="Create API token" onClose={() => setCreating(false)}>
        <NewTokenForm
          onClose={() => setCreating(false)}
          onCreated={(t) => {
            setCreating(false);
            setCreated(t);
            void sessions.reload();
          }}
        />
      </Dialog>
      <Dialog open={created !== null} title="Your new API token" onClose={() => setCreated(null)}>
        {created && <ShowToken created={created} onClose={() => setCreated(null)} />}
      </Dialog>
    </Section>
  );
}
