/** The project the URL points at, with the commands the caller holds in it. */
import { createContext, useContext, type ReactNode } from 'react';
import { enc } from './api/client';
import { useResource, type Resource } from './api/hooks';
import type { Project, ProjectWithCommands, RecordType } from './api/types';
import { RECORD_TYPES } from './api/types';
import { can } from './recordTypes';

interface ProjectsValue {
  projects: Resource<{ projects: Project[] }>;
  current: Resource<ProjectWithCommands> | null;
  key: string | null;
}

const ProjectsContext = createContext<ProjectsValue | null>(null);

export function ProjectsProvider({ projectKey, children }: { projectKey: string | null; children: ReactNode }) {
  const projects = useResource<{ projects: Project[] }>('/projects');
  const current = useResource<ProjectWithCommands>(projectKey ? `/projects/${enc(projectKey)}` : null);
  return <ProjectsContext.Provider value={{ projects, current: projectKey ? current : null, key: projectKey }}>{children}</ProjectsContext.Provider>;
}

export function useProjects(): ProjectsValue {
  const ctx = useContext(ProjectsContext);
  if (!ctx) throw new Error('useProjects outside <ProjectsProvider>');
  return ctx;
}

/** Record types the caller may view in the project, in the standard order. */
export function viewableTypes(commands: readonly string[] | undefined): RecordType[] {
  return RECORD_TYPES.filter((t) => can(commands, t, 'view'));
}

const LAST_PROJECT = 'mailtrail.lastProject';

export function rememberProject(key: string): void {
  try {
    localStorage.setItem(LAST_PROJECT, key);
  } catch {
    // Storage may be disabled; remembering is a convenience.
  }
}

export function lastProject(): string | null {
  try {
    return localStorage.getItem(LAST_PROJECT);
  } catch {
    return null;
  }
}
