import { enc } from './api/client';
import { useResource } from './api/hooks';
import type { CustomField, RecordType, StatusCategory, Workflow } from './api/types';

export const CATEGORY_LABEL: Record<StatusCategory, string> = { open: 'Open', inProgress: 'In progress', done: 'Done' };
export const PRIORITY_LABEL: Record<string, string> = { urgent: 'Urgent', high: 'High', normal: 'Normal', low: 'Low' };
export const SEVERITY_LABEL: Record<string, string> = { critical: 'Critical', major: 'Major', minor: 'Minor', trivial: 'Trivial' };
export const PRIORITIES = ['urgent', 'high', 'normal', 'low'];
export const SEVERITIES = ['critical', 'major', 'minor', 'trivial'];

/** The project's workflows and custom fields, for forms, filters and the record page. */
export function useTrackerConfig(projectKey: string) {
  const workflows = useResource<{ workflows: Workflow[] }>(`/projects/${enc(projectKey)}/workflows`);
  const fields = useResource<{ fields: CustomField[] }>(`/projects/${enc(projectKey)}/fields`);
  return {
    workflow: (type: RecordType) => workflows.data?.workflows.find((w) => w.type === type),
    fields: (type: RecordType) => (fields.data?.fields ?? []).filter((f) => f.recordType === type).sort((a, b) => a.position - b.position),
    reload: () => Promise.all([workflows.reload(), fields.reload()]),
    loaded: !!workflows.data && !!fields.data,
  };
}

/** The statuses a record in `current` may be set to: where it is, then the allowed moves. */
export function statusChoices(wf: Workflow | undefined, current: string | null): string[] {
  if (!wf) return current ? [current] : [];
  if (current === null) return wf.statuses.map((s) => s.name);
  const moves = wf.transitions[current];
  if (!wf.statuses.some((s) => s.name === current) || !moves) return [current, ...wf.statuses.map((s) => s.name).filter((n) => n !== current)];
  return [current, ...moves.filter((m) => m !== current)];
}
