/** Who is signed in: restored from GET /me on load, set by sign-in, cleared by sign-out or a 401. */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { ApiError, api, setCsrfToken, setUnauthorizedHandler } from './api/client';
import type { User } from './api/types';

export type SessionState = { status: 'loading' } | { status: 'signedOut'; reason?: string } | { status: 'signedIn'; user: User };

interface SessionValue {
  state: SessionState;
  signIn: (username: string, password: string) => Promise<void>;
  signOut: () => Promise<void>;
}

const SessionContext = createContext<SessionValue | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: 'loading' });

  useEffect(() => {
    let live = true;
    api
      .get<{ user: User; csrfToken: string | null }>('/me')
      .then((me) => {
        if (!live) return;
        setCsrfToken(me.csrfToken);
        setState({ status: 'signedIn', user: me.user });
      })
      .catch((err: unknown) => {
        if (!live) return;
        const reason = err instanceof ApiError && err.status === 401 ? undefined : 'The server could not be reached; sign in again when it is back.';
        setState(reason ? { status: 'signedOut', reason } : { status: 'signedOut' });
      });
    setUnauthorizedHandler(() => {
      setCsrfToken(null);
      setState({ status: 'signedOut', reason: 'Your session has ended. Please sign in again.' });
    });
    return () => {
      live = false;
      setUnauthorizedHandler(null);
    };
  }, []);

  const signIn = useCallback(async (username: string, password: string) => {
    const res = await api.post<{ csrfToken: string; user: User }>('/auth/session', { username, password });
    setCsrfToken(res.csrfToken);
    setState({ status: 'signedIn', user: res.user });
  }, []);

  const signOut = useCallback(async () => {
    try {
      await api.del('/auth/session');
    } catch {
      // Signed out on the server already, or unreachable: the client forgets the session either way.
    }
    setCsrfToken(null);
    setState({ status: 'signedOut' });
  }, []);

  const value = useMemo(() => ({ state, signIn, signOut }), [state, signIn, signOut]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  const ctx = useContext(SessionContext);
  if (!ctx) throw new Error('useSession outside <SessionProvider>');
  return ctx;
}

/** The signed-in user; only for pages rendered behind the sign-in gate. */
export function useUser(): User {
  const { state } = useSession();
  if (state.status !== 'signedIn') throw new Error('useUser while signed out');
  return state.user;
}
