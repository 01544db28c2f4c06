import { useEffect, type ReactElement } from 'react';
import { Header } from './components/Header';
import { Spinner } from './components/ui';
import { AccountPage } from './pages/AccountPage';
import { AdminPage } from './pages/AdminPage';
import { HomePage } from './pages/HomePage';
import { NotFoundPage } from './pages/NotFoundPage';
import { ProjectIndex } from './pages/ProjectIndex';
import { ProjectSettingsPage } from './pages/ProjectSettingsPage';
import { RecordPage } from './pages/RecordPage';
import { RecordsPage } from './pages/RecordsPage';
import { SandboxPage } from './pages/SandboxPage';
import { SearchPage } from './pages/SearchPage';
import { MyWorkPage } from './pages/MyWorkPage';
import { SignInPage } from './pages/SignInPage';
import { ProjectsProvider } from './project';
import { TYPE_INFO, isRecordType } from './recordTypes';
import { match, useLocation } from './router';
import { useSession } from './session';

/** The page for a path; project pages get the key so the shell can load the project once. */
function route(pathname: string): { key: string | null; page: ReactElement; title: string } {
  let m: Record<string, string> | null;
  if (match('/', pathname)) return { key: null, page: <HomePage />, title: 'Projects' };
  if ((m = match('/admin', pathname)) || (m = match('/admin/:section', pathname))) {
    return { key: null, page: <AdminPage section={m['section'] ?? 'sending'} />, title: 'Administration' };
  }
  if ((m = match('/account', pathname)) || (m = match('/account/:section', pathname))) {
    return { key: null, page: <AccountPage section={m['section'] ?? 'sessions'} />, title: 'Your account' };
  }
  if ((m = match('/sandbox', pathname)) || (m = match('/sandbox/:address', pathname)) || (m = match('/sandbox/:address/:id', pathname))) {
    return { key: null, page: <SandboxPage address={m['address'] ?? null} messageId={m['id'] ?? null} />, title: 'Mail sandbox' };
  }
  if ((m = match('/projects/:key', pathname))) return { key: m['key']!, page: <ProjectIndex projectKey={m['key']!} />, title: m['key']! };
  if ((m = match('/projects/:key/settings', pathname)) || (m = match('/projects/:key/settings/:section', pathname))) {
    return { key: m['key']!, page: <ProjectSettingsPage projectKey={m['key']!} section={m['section'] ?? 'email'} />, title: `Settings · ${m['key']!}` };
  }
  if ((m = match('/projects/:key/search', pathname))) {
    return { key: m['key']!, page: <SearchPage projectKey={m['key']!} />, title: `Search ${m['key']!}` };
  }
  if ((m = match('/projects/:key/my-work', pathname))) {
    return { key: m['key']!, page: <MyWorkPage projectKey={m['key']!} />, title: `My work · ${m['key']!}` };
  }
  if ((m = match('/projects/:key/records/:id', pathname))) {
    return { key: m['key']!, page: <RecordPage key={m['id']} projectKey={m['key']!} recordId={m['id']!} />, title: m['key']! };
  }
  if ((m = match('/projects/:key/:type', pathname)) && isRecordType(m['type']!)) {
    return { key: m['key']!, page: <RecordsPage key={m['type']} projectKey={m['key']!} type={m['type']} />, title: `${TYPE_INFO[m['type']].many} · ${m['key']!}` };
  }
  return { key: null, page: <NotFoundPage />, title: 'Not found' };
}

export function App() {
  const { state } = useSession();
  const { pathname } = useLocation();
  const r = route(pathname);

  useEffect(() => {
    document.title = state.status === 'signedIn' ? `${r.title} · Mailtrail` : 'Sign in · Mailtrail';
  }, [r.title, state.status]);

  if (state.status === 'loading') {
    return (
      <div className="boot">
        <Spinner label="Opening Mailtrail…" />
      </div>
    );
  }
  if (state.status === 'signedOut') return <SignInPage {...(state.reason ? { reason: state.reason } : {})} />;
  return (
    <ProjectsProvider projectKey={r.key}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <Header />
      <main id="main" className="main" tabIndex={-1}>
        {r.page}
      </main>
    </ProjectsProvider>
  );
}
