import { useState, type FormEvent } from 'react';
import { ApiError, messageOf } from '../api/client';
import { TextField } from '../components/ui';
import { useSession } from '../session';

export function SignInPage({ reason }: { reason?: string }) {
  const { signIn } = useSession();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!username.trim() || !password) {
      setError('Enter your username and password.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await signIn(username.trim(), password);
    } catch (err) {
      setError(err instanceof ApiError && err.status === 400 ? 'Enter your username and password.' : messageOf(err));
      setBusy(false);
    }
  };

  return (
    <div className="signin">
      <div className="signin-card">
        <div className="signin-brand">
          <svg viewBox="0 0 32 32" width="40" height="40" aria-hidden="true">
            <rect width="32" height="32" rx="8" fill="var(--accent)" />
            <path d="M8 11.5 16 17l8-5.5M8 10h16v12H8z" fill="none" stroke="#fff" strokeWidth="2" strokeLinejoin="round" />
          </svg>
          <div>
            <h1>Mailtrail</h1>
            <p>Defects, requirements and tests — with the email that belongs to them.</p>
          </div>
        </div>
        <form onSubmit={submit} className="stack" noValidate>
          {reason && !error && (
            <div className="notice notice-muted" role="status">
              {reason}
            </div>
          )}
          {error && (
            <div className="notice notice-error" role="alert">
              {error}
            </div>
          )}
          <TextField
            label="Username"
            name="username"
            autoComplete="username"
            autoFocus
            required
            value={username}
            onChange={(e) => setUsername(e.target.value)}
          />
          <TextField
            label="Password"
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
          <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
      </div>
      <p className="signin-foot">Mailtrail · open-source tracker for software teams</p>
    </div>
  );
}
