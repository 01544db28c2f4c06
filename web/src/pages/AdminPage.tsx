import type { ComponentType } from 'react';
import { SideNav } from '../components/SideNav';
import { Empty } from '../components/ui';
import { Link } from '../router';
import { useUser } from '../session';
import { DkimSection } from './admin/DkimSection';
import { InboundSection } from './admin/InboundSection';
import { SendingSection } from './admin/SendingSection';
import { SuppressedSection } from './admin/SuppressedSection';
import { TrackingSection } from './admin/TrackingSection';
import { UsersSection } from './admin/UsersSection';

/** The sections of /admin/:section, in menu order; each is one file under admin/. */
const SECTIONS: { id: string; label: string; Body: ComponentType }[] = [
  { id: 'sending', label: 'Email sending', Body: SendingSection },
  { id: 'tracking', label: 'Email tracking', Body: TrackingSection },
  { id: 'inbound', label: 'Unmatched mail', Body: InboundSection },
  { id: 'suppressed', label: 'Suppressed addresses', Body: SuppressedSection },
  { id: 'dkim', label: 'DKIM signing', Body: DkimSection },
  { id: 'users', label: 'Users', Body: UsersSection },
];

export function AdminPage({ section }: { section: string }) {
  const user = useUser();
  if (!user.isAdmin) {
    return (
      <div className="page page-narrow">
        <Empty
          title="For the server administrator"
          action={
            <Link to="/" className="btn">
              Back to your projects
            </Link>
          }
        >
          Only the Mailtrail administrator can change server settings.
        </Empty>
      </div>
    );
  }
  const current = SECTIONS.find((s) => s.id === section) ?? SECTIONS[0]!;
  return (
    <div className="page">
      <div className="page-head">
        <div>
          <p className="eyebrow">Server</p>
          <h1>Administration</h1>
        </div>
      </div>
      <div className="settings-layout">
        <SideNav label="Administration sections" current={current.id} items={SECTIONS.map((s) => ({ id: s.id, label: s.label, to: `/admin/${s.id}` }))} />
        <div className="settings-main">
          <current.Body />
        </div>
      </div>
    </div>
  );
}
