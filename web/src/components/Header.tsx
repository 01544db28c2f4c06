import { Bell } from './Bell';
import { useEffect, useRef, useState } from 'react';
import { api, enc } from '../api/client';
import { useResource } from '../api/hooks';
import type { SearchResponse } from '../api/types';
import { looksLikeRecordId, recordPath, searchPath } from '../paths';
import { lastProject, useProjects } from '../project';
import { Link, useLocation, useNavigate } from '../router';
import { useSession, useUser } from '../session';
import { Avatar, Menu, cx } from './ui';

function Logo() {
  return (
    <Link to="/" className="logo" aria-label="Mailtrail home">
      <svg viewBox="0 0 32 32" width="26" height="26" aria-hidden="true">
        <rect width="32" height="32" rx="8" fill="var(--accent)" />
        <path d="M8 11.5 16 17l8-5.5M8 10h16v12H8z" fill="none" stroke="#fff" strokeWidth="2" strokeLinejoin="round" />
      </svg>
      <span className="logo-text">Mailtrail</span>
    </Link>
  );
}

function ProjectSwitcher() {
  const { projects, current, key } = useProjects();
  const navigate = useNavigate();
  const list = projects.data?.projects ?? [];
  const name = current?.data?.name;
  return (
    <Menu
      align="left"
      buttonClass="switcher"
      label={
        <>
          {key ? <span className="switcher-key">{key}</span> : <span className="switcher-name">Projects</span>}
          {key && name && <span className="switcher-name">{name}</span>}
          <span className="caret" aria-hidden="true" />
        </>
      }
    >
      {(close) => (
        <>
          <div className="menu-label">Switch project</div>
          {list.length === 0 && <div className="menu-note">No projects yet.</div>}
          {list.map((p) => (
            <button
              key={p.id}
              type="button"
              role="menuitem"
              className={cx('menu-item', p.key === key && 'menu-item-current')}
              onClick={() => {
                close();
                navigate(`/projects/${encodeURIComponent(p.key)}`);
              }}
            >
              <span className="menu-key">{p.key}</span> {p.name}
            </button>
          ))}
          <div className="menu-sep" />
          <button
            type="button"
            role="menuitem"
            className="menu-item"
            onClick={() => {
              close();
              navigate('/');
            }}
          >
            All projects
          </button>
        </>
      )}
    </Menu>
  );
}

/**
 * Search and jump-to-id for the project on screen: `g` focuses it from anywhere on the page;
 * an id (DEMO-D4, D4, #4) with Enter opens that record, anything else opens the search results.
 */
function JumpBox({ projectKey }: { projectKey: string }) {
  const box = useRef<HTMLInputElement>(null);
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const navigate = useNavigate();
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'g' || e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
      const target = e.target as HTMLElement | null;
      // Typing a "g" into a field, or inside an open dialog, is just typing.
      if (target?.closest('input, textarea, select, [contenteditable]:not([contenteditable="false"]), dialog')) return;
      e.preventDefault();
      box.current?.focus();
      box.current?.select();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  const go = async () => {
    const q = text.trim();
    if (!q) return;
    if (looksLikeRecordId(q)) {
      setBusy(true);
      try {
        const found = await api.get<SearchResponse>(`/projects/${enc(projectKey)}/search?q=${enc(q)}&limit=5`);
        const byId = found.results.filter((r) => r.matchedBy === 'id');
        if (byId.length === 1) {
          setText('');
          box.current?.blur();
          navigate(recordPath(projectKey, byId[0]!.record));
          return;
        }
      } catch {
        // The results page says what went wrong, in words.
      } finally {
        setBusy(false);
      }
    }
    box.current?.blur();
    navigate(searchPath(projectKey, q));
  };
  return (
    <form
      className="search jump-box"
      role="search"
      onSubmit={(e) => {
        e.preventDefault();
        void go();
      }}
    >
      <svg viewBox="0 0 20 20" width="15" height="15" aria-hidden="true">
        <circle cx="8.5" cy="8.5" r="5.5" fill="none" stroke="currentColor" strokeWidth="1.8" />
        <path d="M13 13l4 4" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" />
      </svg>
      <input
        ref={box}
        // A text box, not type=search: each page's own search box stays the page's one searchbox.
        type="text"
        enterKeyHint="go"
        autoComplete="off"
        aria-label={`Search ${projectKey} or go to an id`}
        aria-keyshortcuts="g"
        placeholder={`Search or go to ${projectKey}-D1…`}
        value={text}
        disabled={busy}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') box.current?.blur();
        }}
      />
      <kbd className="kbd-hint" aria-hidden="true">
        g
      </kbd>
    </form>
  );
}

export function Header() {
  const user = useUser();
  const { signOut } = useSession();
  const { current, key } = useProjects();
  const { pathname } = useLocation();
  const navigate = useNavigate();
  const administer = !!current?.data?.commands.includes('project.administer');
  // The sandbox runs in demo mode (open to everyone) or on demand (for the admin).
  const sandbox = useResource<{ running: boolean }>('/sandbox');
  const sandboxRunning = !!sandbox.data?.running;
  const links: { to: string; label: string; active: boolean }[] = [];
  const last = key ? null : lastProject();
  if (last) links.push({ to: `/projects/${encodeURIComponent(last)}`, label: 'Records', active: false });
  if (key) {
    links.push({ to: `/projects/${encodeURIComponent(key)}`, label: 'Records', active: !pathname.includes('/settings') && !pathname.endsWith('/my-work') });
    links.push({ to: `/projects/${encodeURIComponent(key)}/my-work`, label: 'My work', active: pathname.endsWith('/my-work') });
    if (administer) links.push({ to: `/projects/${encodeURIComponent(key)}/settings`, label: 'Settings', active: pathname.includes('/settings') });
  }
  if (sandboxRunning || pathname.startsWith('/sandbox')) links.push({ to: '/sandbox', label: 'Sandbox', active: pathname.startsWith('/sandbox') });
  if (user.isAdmin) links.push({ to: '/admin', label: 'Admin', active: pathname.startsWith('/admin') });

  return (
    <header className="topbar">
      <div className="topbar-inner">
        <Logo />
        <ProjectSwitcher />
        <nav className="topnav" aria-label="Main">
          {links.map((l) => (
            <Link key={l.to} to={l.to} className={cx('topnav-link', l.active && 'is-active')} aria-current={l.active ? 'page' : undefined}>
              {l.label}
            </Link>
          ))}
        </nav>
        <div className="topbar-spacer" />
        {key && <JumpBox key={key} projectKey={key} />}
        <Bell projectKey={key ?? lastProject()} />
        <Menu
          buttonClass="user-btn"
          label={
            <>
              <Avatar name={user.fullName || user.username} size={28} />
              <span className="user-name">{user.fullName || user.username}</span>
              <span className="caret" aria-hidden="true" />
            </>
          }
        >
          {(close) => (
            <>
              <div className="menu-head">
                <strong>{user.fullName || user.username}</strong>
                <span>{user.email}</span>
                {user.isAdmin && <span className="menu-tag">Server administrator</span>}
              </div>
              <div className="menu-sep menu-mobile-only" />
              {links.map((l) => (
                <button
                  key={l.to}
                  type="button"
                  role="menuitem"
                  className="menu-item menu-mobile-only"
                  onClick={() => {
                    close();
                    navigate(l.to);
                  }}
                >
                  {l.label}
                </button>
              ))}
              <div className="menu-sep" />
              {[
                { to: '/account/sessions', label: 'Sessions and tokens' },
                { to: '/account/password', label: 'Change password' },
              ].map((l) => (
                <button
                  key={l.to}
                  type="button"
                  role="menuitem"
                  className="menu-item"
                  onClick={() => {
                    close();
                    navigate(l.to);
                  }}
                >
                  {l.label}
                </button>
              ))}
              <div className="menu-sep" />
              <button
                type="button"
                role="menuitem"
                className="menu-item"
                onClick={() => {
                  close();
                  void signOut().then(() => navigate('/', { replace: true }));
                }}
              >
                Sign out
              </button>
            </>
          )}
        </Menu>
      </div>
    </header>
  );
}
