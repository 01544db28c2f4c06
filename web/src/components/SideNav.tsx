import { Link } from '../router';
import { cx } from './ui';

/** The section list of a settings-like page; a row of pills on narrow screens. */
export function SideNav({ label, items, current }: { label: string; items: { id: string; label: string; to: string }[]; current: string }) {
  return (
    <nav className="sidenav" aria-label={label}>
      {items.map((i) => (
        <Link key={i.id} to={i.to} className={cx('sidenav-link', i.id === current && 'is-active')} aria-current={i.id === current ? 'page' : undefined}>
          {i.label}
        </Link>
      ))}
    </nav>
  );
}
