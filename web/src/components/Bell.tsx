import { useEffect } from 'react';
import { useInterval, useResource } from '../api/hooks';
import { Link } from '../router';

/** Pages that change the unread count (My work) say so, and the bell looks again at once. */
export const NOTIFICATIONS_CHANGED = 'mailtrail:notifications';

/** How often the bell looks for new notifications while the page is in sight. */
const BELL_POLL_MS = 20_000;

/** The bell in the top bar: your unread notifications, a link to My work. */
export function Bell({ projectKey }: { projectKey: string | null }) {
  const count = useResource<{ unread: number }>('/me/notifications/count', { keep: true });
  const { reload } = count;
  useInterval(() => !document.hidden && void reload(), BELL_POLL_MS, true);
  useEffect(() => {
    const again = () => void reload();
    window.addEventListener(NOTIFICATIONS_CHANGED, again);
    return () => window.removeEventListener(NOTIFICATIONS_CHANGED, again);
  }, [reload]);
  const unread = count.data?.unread ?? 0;
  const label = unread === 0 ? 'Notifications: none unread' : `Notifications: ${unread} unread`;
  const to = projectKey ? `/projects/${encodeURIComponent(projectKey)}/my-work` : '/';
  return (
    <Link to={to} className="bell" aria-label={label} title={label}>
      <svg viewBox="0 0 20 20" width="18" height="18" aria-hidden="true">
        <path d="M10 2.5a5 5 0 0 0-5 5v3.2L3.5 13.5h13L15 10.7V7.5a5 5 0 0 0-5-5Z" fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinejoin="round" />
        <path d="M8 15.5a2 2 0 0 0 4 0" fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" />
      </svg>
      {unread > 0 && (
        <span className="bell-count" data-testid="bell-count">
          {unread > 99 ? '99+' : unread}
        </span>
      )}
    </Link>
  );
}
