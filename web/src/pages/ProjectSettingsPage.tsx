import type { ComponentType } from 'react';
import { enc } from '../api/client';
import { SideNav } from '../components/SideNav';
import { Empty, Spinner } from '../components/ui';
import { useProjects } from '../project';
import { Link } from '../router';
import { ProjectError } from './ProjectIndex';
import { EmailImportSection } from './settings/EmailImportSection';
import { EmailOptionsSection } from './settings/EmailOptionsSection';
import { FieldsSection } from './settings/FieldsSection';
import { GroupsSection } from './settings/GroupsSection';
import { MembersSection } from './settings/MembersSection';
import { RulesSection } from './settings/RulesSection';
import { TemplatesSection } from './settings/TemplatesSection';
import { WorkflowsSection } from './settings/WorkflowsSection';

/** The sections of /projects/KEY/settings/:section, in menu order; each is one file under settings/. `base` is the project's API path. */
const SECTIONS: { id: string; label: string; Body: ComponentType<{ base: string }> }[] = [
  { id: 'email', label: 'Email', Body: EmailOptionsSection },
  { id: 'import', label: 'Email import', Body: EmailImportSection },
  { id: 'members', label: 'Members', Body: MembersSection },
  { id: 'groups', label: 'Security groups', Body: GroupsSection },
  { id: 'workflows', label: 'Workflows', Body: WorkflowsSection },
  { id: 'fields', label: 'Custom fields', Body: FieldsSection },
  { id: 'templates', label: 'Email templates', Body: TemplatesSection },
  { id: 'rules', label: 'Notification rules', Body: RulesSection },
];

export function ProjectSettingsPage({ projectKey, section }: { projectKey: string; section: string }) {
  const { current } = useProjects();
  if (!current?.data) return current?.error ? <ProjectError error={current.error} /> : <Spinner />;
  const project = current.data;
  if (!project.commands.includes('project.administer')) {
    return (
      <div className="page page-narrow">
        <Empty
          title="Project administrators only"
          action={
            <Link to={`/projects/${enc(projectKey)}`} className="btn">
              Back to records
            </Link>
          }
        >
          Only the administrators of {project.name} can change its settings: your security group does not include administering the project.
        </Empty>
      </div>
    );
  }
  const shown = SECTIONS.find((s) => s.id === section) ?? SECTIONS[0]!;
  const base = `/projects/${enc(projectKey)}`;
  return (
    <div className="page">
      <div className="page-head">
        <div>
          <p className="eyebrow">{project.name}</p>
          <h1>Project settings</h1>
        </div>
      </div>
      <div className="settings-layout">
        <SideNav label="Settings sections" current={shown.id} items={SECTIONS.map((s) => ({ id: s.id, label: s.label, to: `${base}/settings/${s.id}` }))} />
        <div className="settings-main">
          {/* Keyed by project: another project's settings start from its own data. */}
          <shown.Body key={base} base={base} />
        </div>
      </div>
    </div>
  );
}
