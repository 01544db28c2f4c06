import type { ComponentType } from 'react';
import { SideNav } from '../components/SideNav';
import { PasswordSection } from './account/PasswordSection';
import { SessionsSection } from './account/SessionsSection';

/** The sections of /account/:section (the user menu's own pages), in menu order; each is one file under account/. */
const SECTIONS: { id: string; label: string; Body: ComponentType }[] = [
  { id: 'sessions', label: 'Sessions and tokens', Body: SessionsSection },
  { id: 'password', label: 'Change password', Body: PasswordSection },
];

export function AccountPage({ section }: { section: string }) {
  const current = SECTIONS.find((s) => s.id === section) ?? SECTIONS[0]!;
  return (
    <div className="page">
      <div className="page-head">
        <div>
          <p className="eyebrow">Your account</p>
          <h1>{current.label}</h1>
        </div>
      </div>
      <div className="settings-layout">
        <SideNav label="Account sections" current={current.id} items={SECTIONS.map((s) => ({ id: s.id, label: s.label, to: `/account/${s.id}` }))} />
        <div className="settings-main">
          <current.Body />
        </div>
      </div>
    </div>
  );
}
