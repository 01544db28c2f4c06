import { useState } from 'react';
import { useSubmit } from '../../api/hooks';
import { ApiError, api, fieldErrors, unplaced } from '../../api/client';
import { Section } from '../../components/Section';
import { ErrorNote, Flash, TextField, useFlash } from '../../components/ui';

/** The signed-in user's own password: the current one, then the new one twice. Every other session ends. */
export function PasswordSection() {
  const [form, setForm] = useState({ currentPassword: '', newPassword: '', repeat: '' });
  const { busy, error, handler } = useSubmit();
  const [flash, setFlash] = useFlash();
  const fe = fieldErrors(error, ['currentPassword', 'newPassword']);
  if (error instanceof ApiError && error.code === 'wrong_password') fe['currentPassword'] = error.message;
  const mismatch = form.repeat !== '' && form.repeat !== form.newPassword;
  const set = (k: keyof typeof form, v: string) => setForm((f) => ({ ...f, [k]: v }));
  const submit = handler(async () => {
    if (mismatch) return;
    await api.post('/me/password', { currentPassword: form.currentPassword, newPassword: form.newPassword });
    setForm({ currentPassword: '', newPassword: '', repeat: '' });
    setFlash('Password changed. Your other sessions and API tokens have ended.');
  });
  return (
    <Section title="Change password" intro="After the change you stay signed in here; every other web session and API token of yours ends.">
      <form className="stack form-narrow" onSubmit={submit}>
        <ErrorNote error={unplaced(error, fe)} />
        <TextField
          label="Current password"
          type="password"
          autoComplete="current-password"
          value={form.currentPassword}
          onChange={(e) => set('currentPassword', e.target.value)}
          required
          error={fe['currentPassword']}
        />
        <TextField
          label="New password"
          type="password"
          autoComplete="new-password"
          value={form.newPassword}
          onChange={(e) => set('newPassword', e.target.value)}
          required
          error={fe['newPassword']}
        />
        <TextField
          label="Repeat the new password"
          type="password"
          autoComplete="new-password"
          value={form.repeat}
          onChange={(e) => set('repeat', e.target.value)}
          required
          error={mismatch ? 'The two new passwords differ.' : undefined}
        />
        <div className="form-actions">
          <Flash msg={flash} />
          <button type="submit" className="btn btn-primary" disabled={busy || mismatch}>
            {busy ? 'Changing…' : 'Change password'}
          </button>
        </div>
      </form>
    </Section>
  );
}
