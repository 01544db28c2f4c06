import { useState, type FormEvent } from 'react';
import { api, enc, fieldErrors, unplaced } from '../../api/client';
import { useResource } from '../../api/hooks';
import type { ImportRule, ImportSettings, Member, RecordType, WhoMayCreate } from '../../api/types';
import { RECORD_TYPES, WHO_MAY_CREATE } from '../../api/types';
import { Section, SettingsTable } from '../../components/Section';
import { Badge, Checkbox, Dialog, Empty, ErrorNote, Flash, SelectField, Spinner, TextField, useFlash } from '../../components/ui';
import { TYPE_INFO } from '../../recordTypes';

const WHO_LABEL: Record<WhoMayCreate, string> = {
  anyone: 'Anyone',
  known_users: 'Only people with a user account',
  domains: 'Only senders from listed domains',
  nobody: 'Nobody (mail waits in Unmatched mail, with "Create record")',
};

const list = (text: string) =>
  text
    .split(/[\s,;]+/)
    .map((s) => s.trim())
    .filter(Boolean);

/**
 * Project settings → Email import: the import address, who may create records by mail, the
 * hold-for-review limit, forward to all participants, reopen on reply, and the import rules.
 */
export function EmailImportSection({ base }: { base: string }) {
  return (
    <>
      <ImportOptions base={base} />
      <ImportRules base={base} />
    </>
  );
}

function ImportOptions({ base }: { base: string }) {
  const settings = useResource<ImportSettings>(`${base}/options/email-import`);
  return (
    <Section
      title="Email import"
      intro={
        <>
          Mail without a tracking cookie sent to the import address becomes a new record; its sender, To and Cc become the record's participants. The address is
          a mailbox the tracking account receives: an alias of the tracking address or a plus-address such as tracking+demo@….
        </>
      }
    >
      {settings.error ? (
        <ErrorNote error={settings.error} onRetry={() => void settings.reload()} />
      ) : !settings.data ? (
        <Spinner />
      ) : (
        <ImportOptionsForm base={base} initial={settings.data} onSaved={settings.setData} />
      )}
    </Section>
  );
}

const optionsForm = (s: ImportSettings) => ({ ...s, domainsText: s.allowedDomains.join(', '), doneText: s.doneStatuses.join(', ') });

function ImportOptionsForm({ base, initial, onSaved }: { base: string; initial: ImportSettings; onSaved: (s: ImportSettings) => void }) {
  const [form, setForm] = useState(() => optionsForm(initial));
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [flash, setFlash] = useFlash();
  const fe = fieldErrors(error, ['address', 'allowedDomains', 'reopenStatus', 'maxPerHour']);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const { domainsText, doneText, ...rest } = form;
      const saved = await api.put<ImportSettings>(`${base}/options/email-import`, {
        ...rest,
        address: rest.address.trim(),
        allowedDomains: list(domainsText),
        doneStatuses: doneText
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      });
      onSaved(saved);
      setForm(optionsForm(saved));
      setFlash('Saved');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="stack" onSubmit={submit} aria-label="Email import options">
      <ErrorNote error={unplaced(error, fe)} />
      <Checkbox
        label="Create records from email"
        hint="Off: mail to the import address waits in Unmatched mail."
        checked={form.enabled}
        onChange={(e) => setForm({ ...form, enabled: e.target.checked })}
      />
      <div className="grid-2">
        <TextField
          label="Import address"
          type="email"
          value={form.address}
          placeholder="tracking+demo@example.com"
          onChange={(e) => setForm({ ...form, address: e.target.value })}
          error={fe['address']}
        />
        <SelectField
          label="Who may create records by email"
          value={form.whoMayCreate}
          onChange={(e) => setForm({ ...form, whoMayCreate: e.target.value as WhoMayCreate })}
        >
          {WHO_MAY_CREATE.map((w) => (
            <option key={w} value={w}>
              {WHO_LABEL[w]}
            </option>
          ))}
        </SelectField>
      </div>
      {form.whoMayCreate === 'domains' && (
        <TextField
          label="Allowed sender domains"
          value={form.domainsText}
          placeholder="customer.example, partner.test"
          onChange={(e) => setForm({ ...form, domainsText: e.target.value })}
          error={fe['allowedDomains']}
          hint="Subdomains count too."
        />
      )}
      <div className="grid-2">
        <TextField
          label="Hold for review after"
          type="number"
          min={1}
          value={String(form.maxPerHour)}
          onChange={(e) => setForm({ ...form, maxPerHour: Number(e.target.value) || 1 })}
          hint="new records from one sender in an hour; more wait in Unmatched mail"
          error={fe['maxPerHour']}
        />
        <TextField
          label="Done statuses"
          value={form.doneText}
          onChange={(e) => setForm({ ...form, doneText: e.target.value })}
          hint="comma-separated; /close uses the first"
        />
      </div>
      <div className="grid-2">
        <TextField
          label="Reopen on reply to"
          value={form.reopenStatus}
          placeholder="e.g. Reopened — empty: never"
          onChange={(e) => setForm({ ...form, reopenStatus: e.target.value })}
          error={fe['reopenStatus']}
          hint="A reply on a record in a done status moves it here."
        />
        <Checkbox
          label="Forward replies to all participants"
          hint="Not only to whoever sent the email answered."
          checked={form.forwardToParticipants}
          onChange={(e) => setForm({ ...form, forwardToParticipants: e.target.checked })}
        />
      </div>
      <div className="form-actions">
        <Flash msg={flash} />
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save'}
        </button>
      </div>
    </form>
  );
}

interface RuleForm {
  name: string;
  enabled: boolean;
  recipient: string;
  senderDomain: string;
  subject: string;
  recordType: RecordType;
  status: string;
  assignee: string;
  acknowledge: boolean;
}

const emptyRule: RuleForm = {
  name: '',
  enabled: true,
  recipient: '',
  senderDomain: '',
  subject: '',
  recordType: 'defect',
  status: '',
  assignee: '',
  acknowledge: true,
};

function toForm(r: ImportRule): RuleForm {
  return {
    name: r.name,
    enabled: r.enabled,
    recipient: r.match.recipient,
    senderDomain: r.match.senderDomain,
    subject: r.match.subject,
    recordType: r.recordType,
    status: r.defaults.status ?? '',
    assignee: r.defaults.assignee ?? '',
    acknowledge: r.acknowledge,
  };
}

function ImportRules({ base }: { base: string }) {
  const rules = useResource<{ rules: ImportRule[] }>(`${base}/import-rules`);
  const members = useResource<{ members: Member[] }>(`${base}/members`);
  const [editing, setEditing] = useState<{ id: string | null; form: RuleForm } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [flash, setFlash] = useFlash();
  const fe = fieldErrors(error, ['name', 'recipient', 'senderDomain', 'subject', 'assignee']);
  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (!editing) return;
    const f = editing.form;
    setBusy(true);
    setError(null);
    const body = {
      name: f.name.trim(),
      enabled: f.enabled,
      match: { recipient: f.recipient.trim(), senderDomain: f.senderDomain.trim(), subject: f.subject },
      recordType: f.recordType,
      defaults: { ...(f.status.trim() ? { status: f.status.trim() } : {}), ...(f.assignee ? { assignee: f.assignee } : {}) },
      acknowledge: f.acknowledge,
    };
    try {
      if (editing.id) await api.put(`${base}/import-rules/${enc(editing.id)}`, body);
      else await api.post(`${base}/import-rules`, body);
      await rules.reload();
      setEditing(null);
      setFlash('Rule saved');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const remove = async (r: ImportRule) => {
    setError(null);
    try {
      await api.del(`${base}/import-rules/${enc(r.id)}`);
      rules.setData((old) => ({ rules: (old?.rules ?? []).filter((x) => x.id !== r.id) }));
    } catch (err) {
      setError(err);
    }
  };
  const set = (patch: Partial<RuleForm>) => setEditing((old) => (old ? { ...old, form: { ...old.form, ...patch } } : old));
  return (
    <Section
      title="Import rules"
      intro="Tried in order; the first whose recipient, sender domain and subject pattern all match decides the record type and its defaults. Without a matching rule, mail to the import address becomes a defect."
      actions={
        <button
          type="button"
          className="btn"
          onClick={() => {
            setError(null);
            setEditing({ id: null, form: { ...emptyRule } });
          }}
        >
          Add rule
        </button>
      }
    >
      <Flash msg={flash} />
      {!editing && <ErrorNote error={error} />}
      {rules.error ? (
        <ErrorNote error={rules.error} onRetry={() => void rules.reload()} />
      ) : !rules.data ? (
        <Spinner />
      ) : rules.data.rules.length === 0 ? (
        <Empty title="No import rules">Every email to the import address becomes a defect with the default status.</Empty>
      ) : (
        <SettingsTable columns={['Rule', 'When', 'Creates']} label="Import rules">
          {rules.data.rules.map((r) => (
            <tr key={r.id}>
              <td>
                {r.name} {!r.enabled && <Badge>off</Badge>}
              </td>
              <td className="small">
                {[
                  r.match.recipient ? `to ${r.match.recipient}` : 'to the import address',
                  r.match.senderDomain && `from *@${r.match.senderDomain}`,
                  r.match.subject && `subject ~ /${r.match.subject}/`,
                ]
                  .filter(Boolean)
                  .join(', ')}
              </td>
              <td className="small">
                {TYPE_INFO[r.recordType].one}
                {r.defaults.status && ` · ${r.defaults.status}`}
                {r.defaults.assignee && ` · for ${r.defaults.assignee}`}
                {!r.acknowledge && ' · no acknowledgement'}
              </td>
              <td className="actions">
                <button type="button" className="btn btn-small" onClick={() => setEditing({ id: r.id, form: toForm(r) })}>
                  Edit
                </button>
                <button type="button" className="btn btn-small btn-ghost" onClick={() => void remove(r)}>
                  Delete
                </button>
              </td>
            </tr>
          ))}
        </SettingsTable>
      )}
      <Dialog open={!!editing} title={editing?.id ? 'Edit import rule' : 'New import rule'} onClose={() => setEditing(null)} wide>
        {editing && (
          <form className="stack" onSubmit={save}>
            <ErrorNote error={unplaced(error, fe)} />
            <TextField label="Name" value={editing.form.name} onChange={(e) => set({ name: e.target.value })} required error={fe['name']} />
            <fieldset className="fieldset">
              <legend>When</legend>
              <div className="grid-2">
                <TextField
                  label="Sent to"
                  type="email"
                  value={editing.form.recipient}
                  placeholder="the import address"
                  onChange={(e) => set({ recipient: e.target.value })}
                  error={fe['recipient']}
                />
                <TextField
                  label="Sender domain"
                  value={editing.form.senderDomain}
                  placeholder="any"
                  onChange={(e) => set({ senderDomain: e.target.value })}
                  error={fe['senderDomain']}
                />
              </div>
              <TextField
                label="Subject matches"
                value={editing.form.subject}
                placeholder="any — a regular expression, e.g. ^feature request"
                onChange={(e) => set({ subject: e.target.value })}
                error={fe['subject']}
              />
            </fieldset>
            <fieldset className="fieldset">
              <legend>Creates</legend>
              <div className="grid-2">
                <SelectField label="Record type" value={editing.form.recordType} onChange={(e) => set({ recordType: e.target.value as RecordType })}>
                  {RECORD_TYPES.map((t) => (
                    <option key={t} value={t}>
                      {TYPE_INFO[t].one}
                    </option>
                  ))}
                </SelectField>
                <TextField label="Status" value={editing.form.status} placeholder="the default status" onChange={(e) => set({ status: e.target.value })} />
              </div>
              <SelectField label="Assignee" value={editing.form.assignee} onChange={(e) => set({ assignee: e.target.value })} error={fe['assignee']}>
                <option value="">Nobody</option>
                {(members.data?.members ?? []).map((m) => (
                  <option key={m.username} value={m.username}>
                    {m.fullName || m.username}
                  </option>
                ))}
              </SelectField>
            </fieldset>
            <div className="checks">
              <Checkbox
                label="Send the acknowledgement"
                hint="The sender gets the record id; their replies are filed on it."
                checked={editing.form.acknowledge}
                onChange={(e) => set({ acknowledge: e.target.checked })}
              />
              <Checkbox label="Rule is on" checked={editing.form.enabled} onChange={(e) => set({ enabled: e.target.checked })} />
            </div>
            <div className="form-actions">
              <button type="button" className="btn btn-ghost" onClick={() => setEditing(null)}>
                Cancel
              </button>
              <button type="submit" className="btn btn-primary" disabled={busy || !editing.form.name.trim()}>
                {busy ? 'Saving…' : 'Save rule'}
              </button>
            </div>
          </form>
        )}
      </Dialog>
    </Section>
  );
}
