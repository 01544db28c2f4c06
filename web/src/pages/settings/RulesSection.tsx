import { useState } from 'react';
import { ApiError, api, enc } from '../../api/client';
import { useResource } from '../../api/hooks';
import type { EmailTemplate, Member, NotificationRule, SecurityGroup } from '../../api/types';
import { Section, SettingsTable } from '../../components/Section';
import { Empty, ErrorNote, Flash, NotAvailable, Spinner, cx, useFlash } from '../../components/ui';
import { TYPE_INFO } from '../../recordTypes';
import { EVENT_LABEL, REPLY_TO_SHORT, RuleDialog, recipientLabel } from './RuleDialog';

export function RulesSection({ base }: { base: string }) {
  const rules = useResource<{ rules: NotificationRule[] }>(`${base}/notification-rules`);
  const templates = useResource<{ templates: EmailTemplate[] }>(`${base}/email-templates`);
  const members = useResource<{ members: Member[] }>(`${base}/members`);
  const groups = useResource<{ groups: SecurityGroup[] }>(`${base}/security-groups`);
  const [editing, setEditing] = useState<NotificationRule | null>(null);
  const [adding, setAdding] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [flash, setFlash] = useFlash();
  const missing = rules.error instanceof ApiError && rules.error.notAvailable;
  const memberList = members.data?.members ?? [];

  const toggle = async (r: NotificationRule) => {
    setError(null);
    try {
      const { id: _id, ...body } = r;
      await api.put(`${base}/notification-rules/${enc(r.id)}`, { ...body, enabled: !r.enabled });
      rules.setData((old) => ({ rules: (old?.rules ?? []).map((x) => (x.id === r.id ? { ...x, enabled: !r.enabled } : x)) }));
    } catch (err) {
      setError(err);
    }
  };
  const remove = async (r: NotificationRule) => {
    setError(null);
    try {
      await api.del(`${base}/notification-rules/${enc(r.id)}`);
      rules.setData((old) => ({ rules: (old?.rules ?? []).filter((x) => x.id !== r.id) }));
      setFlash(`Deleted ${r.name}`);
    } catch (err) {
      setError(err);
    }
  };

  return (
    <Section
      title="Notification rules"
      intro="Email people automatically when records change. Rule emails come from the project's notification account."
      actions={
        !missing && (
          <div className="row">
            <Flash msg={flash} />
            <button type="button" className="btn" onClick={() => setAdding(true)}>
              New rule
            </button>
          </div>
        )
      }
    >
      <ErrorNote error={error} />
      {missing ? (
        <NotAvailable what="Notification rules" />
      ) : rules.error ? (
        <ErrorNote error={rules.error} />
      ) : !rules.data ? (
        <Spinner />
      ) : rules.data.rules.length === 0 ? (
        <Empty
          title="No rules yet"
          action={
            <button type="button" className="btn btn-primary" onClick={() => setAdding(true)}>
              Create a rule
            </button>
          }
        >
          For example: tell the assignee when a defect is assigned to them.
        </Empty>
      ) : (
        <SettingsTable columns={['Rule', { label: 'Record types', className: 'hide-narrow' }, { label: 'Recipients', className: 'hide-narrow' }, 'On']}>
          {rules.data.rules.map((r) => (
            <tr key={r.id} className={cx(!r.enabled && 'row-disabled')}>
              <td>
                <strong>{r.name}</strong>
                <div className="muted small">
                  {EVENT_LABEL[r.event] ?? r.event} · template {r.template}
                  {r.tracked ? ' · tracked' : ''}
                  {r.tracked && r.replyTo !== 'notificationAccount' ? ` · replies to ${REPLY_TO_SHORT[r.replyTo]}` : ''}
                </div>
              </td>
              <td className="hide-narrow small">{r.recordTypes.map((t) => TYPE_INFO[t]?.many ?? t).join(', ')}</td>
              <td className="hide-narrow small">{r.recipients.map((x) => recipientLabel(x, memberList)).join(', ')}</td>
              <td>
                <label className="switch">
                  <input type="checkbox" checked={r.enabled} onChange={() => void toggle(r)} aria-label={`Rule ${r.name} enabled`} />
                  <span aria-hidden="true" />
                </label>
              </td>
              <td className="actions">
                <button type="button" className="btn btn-small btn-ghost" onClick={() => setEditing(r)}>
                  Edit
                </button>
                <button type="button" className="btn btn-small btn-ghost btn-danger-text" onClick={() => void remove(r)}>
                  Delete
                </button>
              </td>
            </tr>
          ))}
        </SettingsTable>
      )}
      <RuleDialog
        base={base}
        rule={editing}
        open={adding || editing !== null}
        templates={templates.data?.templates ?? []}
        members={memberList}
        groups={(groups.data?.groups ?? []).map((g) => g.name)}
        onClose={() => {
          setAdding(false);
          setEditing(null);
        }}
        onSaved={() => {
          setFlash(adding ? 'Rule created' : 'Saved');
          setAdding(false);
          setEditing(null);
          void rules.reload();
        }}
      />
    </Section>
  );
}
