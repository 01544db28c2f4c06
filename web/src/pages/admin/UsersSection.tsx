import { useState, type FormEvent } from 'react';
import { api, enc, fieldErrors, unplaced } from '../../api/client';
import { useResource, useSubmit } from '../../api/hooks';
import type { User } from '../../api/types';
import { DialogActions, Section, SettingsTable } from '../../components/Section';
import { SuppressedBadge } from '../../components/Suppression';
import { Badge, Checkbox, Dialog, ErrorNote, Flash, Spinner, TextField, cx, useFlash } from '../../components/ui';
import { shortDate } from '../../format';
import { useUser } from '../../session';
import { useSuppressedIndex } from './SuppressedSection';

function UserDialog({ user, open, onClose, onSaved }: { user: User | null; open: boolean; onClose: () => void; onSaved: (u: User) => void }) {
  return (
    <Dialog open={open} title={user ? `Edit ${user.username}` : 'Add user'} onClose={onClose}>
      <UserForm key={user?.id ?? 'new'} user={user} onClose={onClose} onSaved={onSaved} />
    </Dialog>
  );
}

/** Add a user (`user` null) or edit one; keyed by the user, mounted afresh each time the dialog opens. */
function UserForm({ user, onClose, onSaved }: { user: User | null; onClose: () => void; onSaved: (u: User) => void }) {
  const me = useUser();
  const [form, setForm] = useState({
    username: user?.username ?? '',
    fullName: user?.fullName ?? '',
    email: user?.email ?? '',
    password: '',
    disabled: user?.disabled ?? false,
  });
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const fe = fieldErrors(error, ['username', 'fullName', 'email', 'password']);
  const set = <K extends keyof typeof form>(k: K, v: (typeof form)[K]) => setForm((f) => ({ ...f, [k]: v }));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      let saved: User;
      if (user) {
        const patch: Record<string, unknown> = {};
        if (form.fullName !== user.fullName) patch['fullName'] = form.fullName.trim();
        if (form.email !== user.email) patch['email'] = form.email.trim();
        if (form.password) patch['password'] = form.password;
        if (form.disabled !== user.disabled) patch['disabled'] = form.disabled;
        saved = Object.keys(patch).length > 0 ? await api.patch<User>(`/users/${enc(user.username)}`, patch) : user;
      } else {
        saved = await api.post<User>('/users', {
          username: form.username.trim(),
          fullName: form.fullName.trim(),
          email: form.email.trim(),
          password: form.password,
        });
      }
      onSaved(saved);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="stack" onSubmit={submit}>
      <ErrorNote error={unplaced(error, fe)} />
      {!user && (
        <TextField
          label="Username"
          value={form.username}
          onChange={(e) => set('username', e.target.value)}
          required
          autoFocus
          autoComplete="off"
          error={fe['username']}
          hint="Letters, digits, dots, dashes; used to sign in."
        />
      )}
      <TextField label="Full name" value={form.fullName} onChange={(e) => set('fullName', e.target.value)} required autoFocus={!!user} error={fe['fullName']} />
      <TextField label="Email" type="email" value={form.email} onChange={(e) => set('email', e.target.value)} required error={fe['email']} />
      <TextField
        label={user ? 'New password' : 'Password'}
        type="password"
        autoComplete="new-password"
        value={form.password}
        onChange={(e) => set('password', e.target.value)}
        required={!user}
        error={fe['password']}
        hint={user ? 'Leave empty to keep the current password.' : undefined}
      />
      {user && user.username !== me.username && !user.isAdmin && (
        <Checkbox
          label="Disabled"
          hint="A disabled user cannot sign in and receives no notifications."
          checked={form.disabled}
          onChange={(e) => set('disabled', e.target.checked)}
        />
      )}
      <DialogActions onCancel={onClose} busy={busy} label={user ? 'Save' : 'Add user'} />
    </form>
  );
}

/** Sets a new password for someone who lost theirs; the server ends all of that user's sessions and tokens. */
function ResetPasswordForm({ user, onClose, onDone }: { user: User; onClose: () => void; onDone: () => void }) {
  const [password, setPassword] = useState('');
  const { busy, error, handler } = useSubmit();
  const fe = fieldErrors(error, ['password']);
  const submit = handler(async () => {
    await api.patch<User>(`/users/${enc(user.username)}`, { password });
    onDone();
  });
  return (
    <form className="stack" onSubmit={submit}>
      <p className="muted small">
        {user.fullName || user.username} is signed out everywhere: every web session and API token of theirs ends. Tell them the new password another way.
      </p>
      <ErrorNote error={unplaced(error, fe)} />
      <TextField
        label="New password"
        type="password"
        autoComplete="new-password"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        required
        autoFocus
        error={fe['password']}
      />
      <DialogActions onCancel={onClose} busy={busy} label="Reset password" busyLabel="Resetting…" />
    </form>
  );
}

export function UsersSection() {
  const users = useResource<{ users: User[] }>('/users');
  const suppressed = useSuppressedIndex();
  const [editing, setEditing] = useState<User | null>(null);
  const [adding, setAdding] = useState(false);
  const [resetting, setResetting] = useState<User | null>(null);
  const [filter, setFilter] = useState('');
  const [flash, setFlash] = useFlash();
  const f = filter.trim().toLowerCase();
  const list = (users.data?.users ?? []).filter(
    (u) => !f || u.username.toLowerCase().includes(f) || u.fullName.toLowerCase().includes(f) || u.email.toLowerCase().includes(f),
  );
  return (
    <Section
      title="Users"
      intro="People who can sign in. Add them to projects from each project's settings."
      actions={
        <div className="row">
          <Flash msg={flash} />
          <button type="button" className="btn btn-primary" onClick={() => setAdding(true)}>
            Add user
          </button>
        </div>
      }
    >
      {users.error ? (
        <ErrorNote error={users.error} onRetry={() => void users.reload()} />
      ) : !users.data ? (
        <Spinner />
      ) : (
        <>
          <div className="toolbar">
            <div className="search">
              <input type="search" aria-label="Filter users" placeholder="Filter users…" value={filter} onChange={(e) => setFilter(e.target.value)} />
            </div>
            <span className="muted small">{users.data.users.length} users</span>
          </div>
          <SettingsTable columns={['User', 'Email', { label: 'Since', className: 'hide-narrow' }]}>
            {list.map((u) => (
              <tr key={u.id} className={cx(u.disabled && 'row-disabled')}>
                <td>
                  <strong>{u.fullName || u.username}</strong> <span className="muted mono small">{u.username}</span>
                  {u.isAdmin && (
                    <>
                      {' '}
                      <Badge tone="accent">admin</Badge>
                    </>
                  )}
                  {u.disabled && (
                    <>
                      {' '}
                      <Badge tone="muted">disabled</Badge>
                    </>
                  )}
                </td>
                <td className="ellipsis">
                  {u.email}
                  {suppressed.get(u.email.toLowerCase()) && (
                    <>
                      {' '}
                      <SuppressedBadge entry={suppressed.get(u.email.toLowerCase())!} />
                    </>
                  )}
                </td>
                <td className="hide-narrow muted">{shortDate(u.createdAt)}</td>
                <td className="actions">
                  <button type="button" className="btn btn-small btn-ghost" onClick={() => setResetting(u)} aria-label={`Reset password of ${u.username}`}>
                    Reset password
                  </button>
                  <button type="button" className="btn btn-small btn-ghost" onClick={() => setEditing(u)} aria-label={`Edit ${u.username}`}>
                    Edit
                  </button>
                </td>
              </tr>
            ))}
          </SettingsTable>
        </>
      )}
      <UserDialog
        open={adding || editing !== null}
        user={editing}
        onClose={() => {
          setAdding(false);
          setEditing(null);
        }}
        onSaved={(u) => {
          setFlash(adding ? `Added ${u.username}` : 'Saved');
          setAdding(false);
          setEditing(null);
          void users.reload();
        }}
      />
      <Dialog open={resetting !== null} title={resetting ? `Reset password of ${resetting.username}` : 'Reset password'} onClose={() => setResetting(null)}>
        {resetting && (
          <ResetPasswordForm
            key={resetting.id}
            user={resetting}
            onClose={() => setResetting(null)}
            onDone={() => {
              setFlash(`New password set for ${resetting.username}; their sessions have ended`);
              setResetting(null);
            }}
          />
        )}
      </Dialog>
    </Section>
  );
}
