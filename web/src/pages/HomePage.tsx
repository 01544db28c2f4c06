import { useState, type FormEvent } from 'react';
import { api, fieldErrors, unplaced } from '../api/client';
import type { Project } from '../api/types';
import { Dialog, Empty, ErrorNote, Spinner, TextField } from '../components/ui';
import { shortDate } from '../format';
import { lastProject, useProjects } from '../project';
import { Link, Redirect, useNavigate, useSearchParams } from '../router';
import { useUser } from '../session';

function NewProjectDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { projects } = useProjects();
  const navigate = useNavigate();
  const [key, setKey] = useState('');
  const [name, setName] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const fe = fieldErrors(error, ['key', 'name']);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const p = await api.post<Project>('/projects', { key: key.trim().toUpperCase(), name: name.trim() });
      await projects.reload();
      onClose();
      navigate(`/projects/${encodeURIComponent(p.key)}`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog open={open} title="New project" onClose={onClose}>
      <form onSubmit={submit} className="stack">
        <ErrorNote error={unplaced(error, fe)} />
        <TextField
          label="Key"
          hint="Short capitals, used in record tags such as KEY-D12."
          value={key}
          onChange={(e) => setKey(e.target.value.toUpperCase())}
          required
          autoFocus
          maxLength={16}
          error={fe['key']}
        />
        <TextField label="Name" value={name} onChange={(e) => setName(e.target.value)} required error={fe['name']} />
        <div className="form-actions">
          <button type="button" className="btn btn-ghost" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create project'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

export function HomePage() {
  const user = useUser();
  const { projects } = useProjects();
  const [params] = useSearchParams();
  const [creating, setCreating] = useState(false);
  const list = projects.data?.projects;
  const all = params.get('all') === '1';

  if (!list) {
    return projects.error ? <ErrorNote error={projects.error} onRetry={() => void projects.reload()} /> : <Spinner />;
  }
  // Straight to work: the last project used, or the only one there is.
  const last = lastProject();
  if (!all && !user.isAdmin && last && list.some((p) => p.key === last)) return <Redirect to={`/projects/${encodeURIComponent(last)}`} />;
  if (!all && !user.isAdmin && list.length === 1) return <Redirect to={`/projects/${encodeURIComponent(list[0]!.key)}`} />;

  return (
    <div className="page page-narrow">
      <div className="page-head">
        <div>
          <h1>Projects</h1>
          <p className="muted">{user.isAdmin ? 'Every project on this server.' : 'Projects you are a member of.'}</p>
        </div>
        {user.isAdmin && (
          <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}>
            New project
          </button>
        )}
      </div>
      {list.length === 0 ? (
        user.isAdmin ? (
          <Empty
            title="No projects yet"
            action={
              <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}>
                Create the first project
              </button>
            }
          >
            A project holds defects, requirements and tests, and the people who work on them. Create one, then add users to it.
          </Empty>
        ) : (
          <Empty title="You are not in any project yet">Ask your Mailtrail administrator to add you to a project.</Empty>
        )
      ) : (
        <ul className="project-grid">
          {list.map((p) => (
            <li key={p.id}>
              <Link to={`/projects/${encodeURIComponent(p.key)}`} className="project-card">
                <span className="project-key">{p.key}</span>
                <span className="project-name">{p.name}</span>
                <span className="muted small">Created {shortDate(p.createdAt)}</span>
              </Link>
            </li>
          ))}
        </ul>
      )}
      <NewProjectDialog open={creating} onClose={() => setCreating(false)} />
    </div>
  );
}
