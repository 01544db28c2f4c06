import { EmailImportSection } from './settings/EmailImportSection';
import { useEffect, useMemo, useState, type FormEvent, type ReactNode } from 'react';
import { ApiError, api, enc, fieldErrors, query, unplaced } from '../api/client';
import { useDebounced, useResource } from '../api/hooks';
import type { EmailOptions, EmailTemplate, Member, NotificationRule, RecordType, RenderedEmail, RuleEvent, SecurityGroup, TrackerRecord, User } from '../api/types';
import { RECORD_COMMANDS, RECORD_TYPES, RULE_EVENTS } from '../api/types';
import { SafeHtml } from '../components/SafeHtml';
import { SideNav } from '../components/SideNav';
import { Badge, Checkbox, Dialog, Empty, ErrorNote, Flash, NotAvailable, SelectField, Spinner, TextArea, TextField, cx, useFlash } from '../components/ui';
import { useProjects } from '../project';
import { COMMAND_LABEL, TYPE_INFO, commandFor } from '../recordTypes';
import { Link } from '../router';
import { useUser } from '../session';
import { ProjectError } from './ProjectIndex';

const SECTIONS = [
  { id: 'email', label: 'Email' },
  { id: 'import', label: 'Email import' },
  { id: 'members', label: 'Members' },
  { id: 'groups', label: 'Security groups' },
  { id: 'templates', label: 'Email templates' },
  { id: 'rules', label: 'Notification rules' },
];

function Section({ title, intro, children, actions }: { title: string; intro?: ReactNode; children: ReactNode; actions?: ReactNode }) {
  return (
    <section className="card settings-card">
      <div className="card-title-row">
        <div>
          <h2 className="card-title">{title}</h2>
          {intro && <p className="muted small intro">{intro}</p>}
        </div>
        {actions}
      </div>
      {children}
    </section>
  );
}

export function ProjectSettingsPage({ projectKey, section }: { projectKey: string; section: string }) {
  const { current } = useProjects();
  if (!current?.data) return current?.error ? <ProjectError error={current.error} /> : <Spinner />;
  const project = current.data;
  if (!project.commands.includes('project.administer')) {
    return (
      <div className="page page-narrow">
        <Empty title="Project administrators only" action={<Link to={`/projects/${enc(projectKey)}`} className="btn">Back to records</Link>}>
          Changing {project.name}'s settings needs the project.administer command.
        </Empty>
      </div>
    );
  }
  const known = SECTIONS.some((s) => s.id === section) ? section : 'email';
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
        <SideNav label="Settings sections" current={known} items={SECTIONS.map((s) => ({ ...s, to: `${base}/settings/${s.id}` }))} />
        <div className="settings-main">
          {known === 'email' && <EmailOptionsSection base={base} />}
          {known === 'import' && <EmailImportSection base={base} />}
          {known === 'members' && <MembersSection base={base} />}
          {known === 'groups' && <GroupsSection base={base} />}
          {known === 'templates' && <TemplatesSection base={base} />}
          {known === 'rules' && <RulesSection base={base} />}
        </div>
      </div>
    </div>
  );
}

function EmailOptionsSection({ base }: { base: string }) {
  const options = useResource<EmailOptions>(`${base}/options/email`);
  const [form, setForm] = useState<EmailOptions | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [flash, setFlash] = useFlash();
  useEffect(() => {
    if (options.data) setForm(options.data);
  }, [options.data]);
  const fe = fieldErrors(error, ['name', 'address', 'notificationAccount']);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!form) return;
    setBusy(true);
    setError(null);
    try {
      const saved = await api.put<EmailOptions>(`${base}/options/email`, {
        sendingEnabled: form.sendingEnabled,
        trackingEnabled: form.trackingEnabled,
        notificationAccount: { name: form.notificationAccount.name.trim(), address: form.notificationAccount.address.trim() },
      });
      options.setData(saved);
      setFlash('Saved');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Section title="Email" intro="Whether this project sends tracked email and files replies, and who notifications come from.">
      {options.error ? (
        <ErrorNote error={options.error} onRetry={() => void options.reload()} />
      ) : !form ? (
        <Spinner />
      ) : (
        <form className="stack" onSubmit={submit}>
          <ErrorNote error={unplaced(error, fe)} />
          <div className="checks">
            <Checkbox label="Send tracked email" hint="Members with the send command can email from records." checked={form.sendingEnabled} onChange={(e) => setForm({ ...form, sendingEnabled: e.target.checked })} />
            <Checkbox label="Track replies" hint="Replies to this project's tracked email are filed on their records." checked={form.trackingEnabled} onChange={(e) => setForm({ ...form, trackingEnabled: e.target.checked })} />
          </div>
          <fieldset className="fieldset">
            <legend>Notification account</legend>
            <p className="muted small">Emails sent by notification rules come from this name and address.</p>
            <div className="grid-2">
              <TextField label="Name" value={form.notificationAccount.name} onChange={(e) => setForm({ ...form, notificationAccount: { ...form.notificationAccount, name: e.target.value } })} error={fe['name']} />
              <TextField
                label="Address"
                type="email"
                value={form.notificationAccount.address}
                placeholder="tracker-notifications@example.com"
                onChange={(e) => setForm({ ...form, notificationAccount: { ...form.notificationAccount, address: e.target.value } })}
                error={fe['address'] ?? fe['notificationAccount']}
              />
            </div>
          </fieldset>
          <div className="form-actions">
            <Flash msg={flash} />
            <button type="submit" className="btn btn-primary" disabled={busy}>
              {busy ? 'Saving…' : 'Save'}
            </button>
          </div>
        </form>
      )}
    </Section>
  );
}

function MembersSection({ base }: { base: string }) {
  const me = useUser();
  const members = useResource<{ members: Member[] }>(`${base}/members`);
  const groups = useResource<{ groups: SecurityGroup[] }>(`${base}/security-groups`);
  const users = useResource<{ users: User[] }>(me.isAdmin ? '/users' : null);
  const [error, setError] = useState<unknown>(null);
  const [newUser, setNewUser] = useState('');
  const [newGroup, setNewGroup] = useState('');
  const [flash, setFlash] = useFlash();
  const groupNames = (groups.data?.groups ?? []).map((g) => g.name);
  const memberNames = new Set((members.data?.members ?? []).map((m) => m.username));
  const candidates = (users.data?.users ?? []).filter((u) => !memberNames.has(u.username) && !u.disabled && !u.isAdmin);

  const setGroup = async (username: string, securityGroup: string) => {
    setError(null);
    try {
      await api.put(`${base}/members/${enc(username)}`, { securityGroup });
      members.setData((old) => ({ members: (old?.members ?? []).map((m) => (m.username === username ? { ...m, securityGroup } : m)) }));
      setFlash(`${username} is now in ${securityGroup}`);
    } catch (err) {
      setError(err);
    }
  };
  const remove = async (username: string) => {
    setError(null);
    try {
      await api.del(`${base}/members/${enc(username)}`);
      members.setData((old) => ({ members: (old?.members ?? []).filter((m) => m.username !== username) }));
      setFlash(`Removed ${username}`);
    } catch (err) {
      setError(err);
    }
  };
  const add = async (e: FormEvent) => {
    e.preventDefault();
    const username = newUser.trim();
    const group = newGroup || groupNames.find((g) => g === 'Developers') || groupNames[0];
    if (!username || !group) return;
    setError(null);
    try {
      await api.put(`${base}/members/${enc(username)}`, { securityGroup: group });
      setNewUser('');
      await members.reload();
      setFlash(`Added ${username}`);
    } catch (err) {
      setError(err);
    }
  };

  return (
    <Section title="Members" intro="People work in a project only as members, with the commands of their security group." actions={<Flash msg={flash} />}>
      <ErrorNote error={error} />
      <form className="add-row" onSubmit={add}>
        {me.isAdmin && users.data ? (
          <SelectField label="Add a user" value={newUser} onChange={(e) => setNewUser(e.target.value)}>
            <option value="">{candidates.length === 0 ? 'Everyone is a member already' : 'Choose a user…'}</option>
            {candidates.map((u) => (
              <option key={u.username} value={u.username}>
                {u.fullName} ({u.username})
              </option>
            ))}
          </SelectField>
        ) : (
          <TextField label="Add a user by username" value={newUser} onChange={(e) => setNewUser(e.target.value)} autoComplete="off" />
        )}
        <SelectField label="Security group" value={newGroup || groupNames.find((g) => g === 'Developers') || groupNames[0] || ''} onChange={(e) => setNewGroup(e.target.value)}>
          {groupNames.map((g) => (
            <option key={g} value={g}>
              {g}
            </option>
          ))}
        </SelectField>
        <button type="submit" className="btn btn-primary" disabled={!newUser.trim()}>
          Add member
        </button>
      </form>
      {members.error ? (
        <ErrorNote error={members.error} />
      ) : !members.data ? (
        <Spinner />
      ) : members.data.members.length === 0 ? (
        <Empty title="No members yet">Add the people who work on this project above.</Empty>
      ) : (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Member</th>
                <th scope="col" className="hide-narrow">
                  Email
                </th>
                <th scope="col">Security group</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {members.data.members.map((m) => (
                <tr key={m.username}>
                  <td>
                    <strong>{m.fullName || m.username}</strong> <span className="muted mono small">{m.username}</span>
                  </td>
                  <td className="hide-narrow ellipsis">{m.email}</td>
                  <td>
                    <select aria-label={`Security group of ${m.username}`} value={m.securityGroup} onChange={(e) => void setGroup(m.username, e.target.value)}>
                      {[...new Set([...groupNames, m.securityGroup])].map((g) => (
                        <option key={g} value={g}>
                          {g}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td className="actions">
                    <button type="button" className="btn btn-small btn-ghost btn-danger-text" onClick={() => void remove(m.username)} aria-label={`Remove ${m.username}`}>
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Section>
  );
}

const SHORT_COMMAND: Record<string, string> = {
  view: 'View',
  add: 'Add',
  edit: 'Edit',
  sendTrackedEmail: 'Send email',
  replyTrackedEmail: 'Reply',
  viewTrackedEmail: 'View email',
  deleteTrackedEmail: 'Delete email',
};

function GroupsSection({ base }: { base: string }) {
  const groups = useResource<{ groups: SecurityGroup[] }>(`${base}/security-groups`);
  const [selected, setSelected] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [commands, setCommands] = useState<Set<string>>(new Set());
  const [dirty, setDirty] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [adding, setAdding] = useState(false);
  const [newName, setNewName] = useState('');
  const [flash, setFlash] = useFlash();
  const list = groups.data?.groups ?? [];
  const group = list.find((g) => g.id === selected) ?? list[0];

  useEffect(() => {
    if (!group) return;
    setName(group.name);
    setCommands(new Set(group.commands));
    setDirty(false);
    setError(null);
  }, [group?.id, group?.name, group?.commands.join(',')]); // eslint-disable-line react-hooks/exhaustive-deps

  const toggle = (cmds: string[], on: boolean) => {
    setCommands((old) => {
      const next = new Set(old);
      for (const c of cmds) {
        if (on) next.add(c);
        else next.delete(c);
      }
      return next;
    });
    setDirty(true);
  };

  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (!group) return;
    setBusy(true);
    setError(null);
    try {
      const saved = await api.put<SecurityGroup>(`${base}/security-groups/${enc(group.id)}`, { name: name.trim(), commands: [...commands].sort() });
      groups.setData((old) => ({ groups: (old?.groups ?? []).map((g) => (g.id === saved.id ? saved : g)) }));
      setDirty(false);
      setFlash('Saved');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const create = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      const created = await api.post<SecurityGroup>(`${base}/security-groups`, { name: newName.trim(), commands: RECORD_TYPES.map((t) => commandFor(t, 'view')) });
      setAdding(false);
      setNewName('');
      await groups.reload();
      setSelected(created.id);
    } catch (err) {
      setError(err);
    }
  };
  const remove = async () => {
    if (!group) return;
    setError(null);
    try {
      await api.del(`${base}/security-groups/${enc(group.id)}`);
      setSelected(null);
      await groups.reload();
      setFlash(`Deleted ${group.name}`);
    } catch (err) {
      setError(err);
    }
  };

  const fe = fieldErrors(error, ['name']);
  return (
    <Section
      title="Security groups"
      intro="Each member belongs to one group; a group is a set of commands per record type."
      actions={
        <button type="button" className="btn" onClick={() => setAdding(true)}>
          New group
        </button>
      }
    >
      {groups.error ? (
        <ErrorNote error={groups.error} />
      ) : !groups.data ? (
        <Spinner />
      ) : !group ? (
        <Empty title="No security groups">Create one to give members commands.</Empty>
      ) : (
        <>
          <div className="pills" role="tablist" aria-label="Groups">
            {list.map((g) => (
              <button key={g.id} type="button" role="tab" aria-selected={g.id === group.id} className={cx('pill-tab', g.id === group.id && 'is-active')} onClick={() => setSelected(g.id)}>
                {g.name}
                <span className="pill-count">{g.commands.length}</span>
              </button>
            ))}
          </div>
          <form className="stack" onSubmit={save}>
            <ErrorNote error={unplaced(error, fe)} />
            <TextField
              label="Name"
              value={name}
              onChange={(e) => {
                setName(e.target.value);
                setDirty(true);
              }}
              error={fe['name']}
            />
            <div className="table-wrap">
              <table className="matrix">
                <caption className="sr-only">Commands of {group.name} by record type</caption>
                <thead>
                  <tr>
                    <th scope="col">Record type</th>
                    {RECORD_COMMANDS.map((c) => {
                      const all = RECORD_TYPES.map((t) => commandFor(t, c));
                      const on = all.every((x) => commands.has(x));
                      return (
                        <th scope="col" key={c} title={COMMAND_LABEL[c]}>
                          <label className="matrix-head">
                            <span>{SHORT_COMMAND[c]}</span>
                            <input type="checkbox" aria-label={`${COMMAND_LABEL[c]} on every record type`} checked={on} onChange={(e) => toggle(all, e.target.checked)} />
                          </label>
                        </th>
                      );
                    })}
                  </tr>
                </thead>
                <tbody>
                  {RECORD_TYPES.map((t) => {
                    const row = RECORD_COMMANDS.map((c) => commandFor(t, c));
                    return (
                      <tr key={t}>
                        <th scope="row">
                          <label className="matrix-row">
                            <input type="checkbox" aria-label={`Every command on ${TYPE_INFO[t].many}`} checked={row.every((x) => commands.has(x))} onChange={(e) => toggle(row, e.target.checked)} />
                            {TYPE_INFO[t].many}
                          </label>
                        </th>
                        {RECORD_COMMANDS.map((c) => {
                          const cmd = commandFor(t, c);
                          return (
                            <td key={c}>
                              <input type="checkbox" aria-label={`${COMMAND_LABEL[c]}: ${TYPE_INFO[t].many}`} title={cmd} checked={commands.has(cmd)} onChange={(e) => toggle([cmd], e.target.checked)} />
                            </td>
                          );
                        })}
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
            <Checkbox label="Administer the project" hint="project.administer: email options, members, groups, templates and rules." checked={commands.has('project.administer')} onChange={(e) => toggle(['project.administer'], e.target.checked)} />
            <div className="form-actions">
              <Flash msg={flash} />
              <button type="button" className="btn btn-ghost btn-danger-text" onClick={() => void remove()}>
                Delete group
              </button>
              <button type="submit" className="btn btn-primary" disabled={busy || !dirty}>
                {busy ? 'Saving…' : dirty ? 'Save changes' : 'Saved'}
              </button>
            </div>
          </form>
        </>
      )}
      <Dialog open={adding} title="New security group" onClose={() => setAdding(false)}>
        <form className="stack" onSubmit={create}>
          {adding && error ? <ErrorNote error={error} /> : null}
          <TextField label="Name" value={newName} onChange={(e) => setNewName(e.target.value)} required autoFocus hint="It starts with view on every record type; tick more afterwards." />
          <div className="form-actions">
            <button type="button" className="btn btn-ghost" onClick={() => setAdding(false)}>
              Cancel
            </button>
            <button type="submit" className="btn btn-primary" disabled={!newName.trim()}>
              Create group
            </button>
          </div>
        </form>
      </Dialog>
    </Section>
  );
}

function TemplatePreview({ base, draft, recordId }: { base: string; draft: { subject: string; text: string; html: string }; recordId: string }) {
  const d = useDebounced(draft, 400);
  const [result, setResult] = useState<RenderedEmail | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [view, setView] = useState<'text' | 'html'>('text');
  useEffect(() => {
    if (!recordId) return;
    let live = true;
    const body: Record<string, unknown> = { subject: d.subject, text: d.text, recordId };
    if (d.html.trim()) body['html'] = d.html;
    api
      .post<RenderedEmail>(`${base}/email-templates/preview`, body)
      .then((r) => {
        if (!live) return;
        setResult(r);
        setError(null);
      })
      .catch((err: unknown) => live && setError(err));
    return () => {
      live = false;
    };
  }, [base, d, recordId]);
  if (!recordId) return <p className="muted small">Add a record to this project to preview templates with real data.</p>;
  return (
    <div className="preview">
      <div className="preview-head">
        <span className="muted small">Preview</span>
        {result && <strong className="preview-subject">{result.subject}</strong>}
        {result?.html && (
          <div className="seg" role="group" aria-label="Preview format">
            <button type="button" className={cx(view === 'text' && 'is-on')} aria-pressed={view === 'text'} onClick={() => setView('text')}>
              Text
            </button>
            <button type="button" className={cx(view === 'html' && 'is-on')} aria-pressed={view === 'html'} onClick={() => setView('html')}>
              HTML
            </button>
          </div>
        )}
      </div>
      {error ? <ErrorNote error={error} what="Template preview" /> : null}
      {result && (view === 'html' && result.html ? <SafeHtml html={result.html} title="Template preview" height={280} /> : <pre className="mail-text">{result.text}</pre>)}
    </div>
  );
}

function TemplatesSection({ base }: { base: string }) {
  const templates = useResource<{ templates: EmailTemplate[] }>(`${base}/email-templates`);
  const records = useResource<{ records: TrackerRecord[] }>(`${base}/records${query({ limit: 50, sort: 'updatedAt', order: 'desc' })}`);
  const [selected, setSelected] = useState<string | null>(null);
  const [isNew, setIsNew] = useState(false);
  const [draft, setDraft] = useState({ name: '', subject: '', text: '', html: '', recordTypes: [] as RecordType[] });
  const [recordId, setRecordId] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [flash, setFlash] = useFlash();
  const list = templates.data?.templates ?? [];
  const current = isNew ? null : (list.find((t) => t.name === selected) ?? list[0] ?? null);
  const missing = templates.error instanceof ApiError && templates.error.notAvailable;

  useEffect(() => {
    if (isNew) return;
    if (current) setDraft({ name: current.name, subject: current.subject, text: current.text, html: current.html ?? '', recordTypes: current.recordTypes ?? [] });
    setError(null);
  }, [current?.name, current?.subject, current?.text, current?.html, current?.recordTypes?.join(','), isNew]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    if (!recordId && records.data?.records[0]) setRecordId(records.data.records[0].id);
  }, [records.data, recordId]);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body: Record<string, unknown> = { subject: draft.subject, text: draft.text, recordTypes: draft.recordTypes };
      if (isNew) {
        body['name'] = draft.name.trim();
        if (draft.html.trim()) body['html'] = draft.html;
        await api.post(`${base}/email-templates`, body);
      } else {
        body['html'] = draft.html.trim() ? draft.html : null;
        await api.put(`${base}/email-templates/${enc(current!.name)}`, body);
      }
      await templates.reload();
      if (isNew) setSelected(draft.name.trim());
      setIsNew(false);
      setFlash('Saved');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  /** Standard templates go back to the shipped text; others are deleted. */
  const remove = async () => {
    if (!current) return;
    setError(null);
    try {
      if (current.isStandard) {
        await api.post(`${base}/email-templates/${enc(current.name)}/reset`);
        await templates.reload();
        setFlash('Reset to the standard text');
      } else {
        await api.del(`${base}/email-templates/${enc(current.name)}`);
        await templates.reload();
        setSelected(null);
        setFlash(`Deleted ${current.name}`);
      }
    } catch (err) {
      setError(err);
    }
  };

  const fe = fieldErrors(error, ['name', 'subject', 'text', 'html', 'recordTypes']);
  return (
    <Section
      title="Email templates"
      intro={
        <>
          Liquid templates for tracked email and notifications. Variables: <code>record.*</code>, <code>project.*</code>, <code>sender.*</code>, <code>recipient.*</code>, <code>email.*</code>, <code>changes</code>.
        </>
      }
      actions={
        !missing && (
          <button
            type="button"
            className="btn"
            onClick={() => {
              setIsNew(true);
              setDraft({ name: '', subject: '[{{ record.tag }}] {{ record.title }}', text: 'Hello {{ recipient.name }},\n\n', html: '', recordTypes: [] });
            }}
          >
            New template
          </button>
        )
      }
    >
      {missing ? (
        <NotAvailable what="Email templates" />
      ) : templates.error ? (
        <ErrorNote error={templates.error} />
      ) : !templates.data ? (
        <Spinner />
      ) : (
        <div className="split">
          <ul className="split-list" aria-label="Templates">
            {list.map((t) => (
              <li key={t.name}>
                <button
                  type="button"
                  className={cx('split-item', !isNew && current?.name === t.name && 'is-active')}
                  onClick={() => {
                    setIsNew(false);
                    setSelected(t.name);
                  }}
                >
                  <span>{t.name}</span>
                  {t.isStandard && <Badge tone={t.modified ? 'info' : 'muted'}>{t.modified ? 'edited' : 'standard'}</Badge>}
                </button>
              </li>
            ))}
            {isNew && (
              <li>
                <span className="split-item is-active">New template</span>
              </li>
            )}
          </ul>
          {!current && !isNew ? (
            <Empty title="No templates">Create one to reuse wording in tracked email and notifications.</Empty>
          ) : (
            <form className="stack split-main" onSubmit={save}>
              <ErrorNote error={unplaced(error, fe)} what="Saving template" />
              {isNew && <TextField label="Name" value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} required autoFocus error={fe['name']} />}
              <TextField label="Subject" className="mono-input" value={draft.subject} onChange={(e) => setDraft({ ...draft, subject: e.target.value })} error={fe['subject']} />
              <TextArea label="Text" className="mono-input" rows={9} value={draft.text} onChange={(e) => setDraft({ ...draft, text: e.target.value })} error={fe['text']} />
              <fieldset className="fieldset">
                <legend>Offered for</legend>
                <div className="checks checks-inline">
                  {RECORD_TYPES.map((t) => (
                    <Checkbox
                      key={t}
                      label={TYPE_INFO[t].many}
                      checked={draft.recordTypes.includes(t)}
                      onChange={(e) => setDraft({ ...draft, recordTypes: e.target.checked ? [...draft.recordTypes, t] : draft.recordTypes.filter((x) => x !== t) })}
                    />
                  ))}
                </div>
                <span className="field-hint">None ticked: every record type.</span>
              </fieldset>
              <details className="details">
                <summary>
                  HTML version {draft.html.trim() ? '' : '(optional)'}
                  {fe['html'] && <span className="field-error"> — has an error</span>}
                </summary>
                <TextArea label="HTML" className="mono-input" rows={7} value={draft.html} onChange={(e) => setDraft({ ...draft, html: e.target.value })} error={fe['html']} />
              </details>
              <div className="preview-controls">
                <SelectField label="Preview with record" value={recordId} onChange={(e) => setRecordId(e.target.value)}>
                  {(records.data?.records ?? []).map((r) => (
                    <option key={r.id} value={r.id}>
                      {r.tag} — {r.title}
                    </option>
                  ))}
                </SelectField>
              </div>
              <TemplatePreview base={base} draft={draft} recordId={recordId} />
              <div className="form-actions">
                <Flash msg={flash} />
                {isNew ? (
                  <button type="button" className="btn btn-ghost" onClick={() => setIsNew(false)}>
                    Cancel
                  </button>
                ) : (
                  <button type="button" className="btn btn-ghost btn-danger-text" onClick={() => void remove()} disabled={!!current?.isStandard && !current.modified}>
                    {current?.isStandard ? 'Reset to standard' : 'Delete'}
                  </button>
                )}
                <button type="submit" className="btn btn-primary" disabled={busy}>
                  {busy ? 'Saving…' : isNew ? 'Create template' : 'Save template'}
                </button>
              </div>
            </form>
          )}
        </div>
      )}
    </Section>
  );
}

const EVENT_LABEL: Record<RuleEvent, string> = {
  'record.created': 'A record is created',
  'record.updated': 'A record is updated',
  'record.assigned': 'A record is assigned',
  'record.statusChanged': 'A record changes status',
};

type RuleDraft = Omit<NotificationRule, 'id'>;

function recipientLabel(r: string, members: Member[]): string {
  if (r === 'assignee') return 'Assignee';
  if (r === 'creator') return 'Creator';
  if (r.startsWith('user:')) {
    const u = r.slice(5);
    return members.find((m) => m.username === u)?.fullName || u;
  }
  if (r.startsWith('address:')) return r.slice(8);
  if (r.startsWith('group:')) return `Group ${r.slice(6)}`;
  return r;
}

function RuleDialog({
  base,
  rule,
  open,
  templates,
  members,
  groups,
  onClose,
  onSaved,
}: {
  base: string;
  rule: NotificationRule | null;
  open: boolean;
  templates: EmailTemplate[];
  members: Member[];
  groups: string[];
  onClose: () => void;
  onSaved: () => void;
}) {
  const blank: RuleDraft = useMemo(
    () => ({ name: '', enabled: true, event: 'record.created', recordTypes: ['defect'], conditions: {}, recipients: ['assignee'], template: templates[0]?.name ?? '', tracked: true, notifyActor: false }),
    [templates],
  );
  const [draft, setDraft] = useState<RuleDraft>(blank);
  const [address, setAddress] = useState('');
  const [user, setUser] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (!open) return;
    setDraft(
      rule
        ? {
            name: rule.name,
            enabled: rule.enabled,
            event: rule.event,
            recordTypes: rule.recordTypes,
            conditions: rule.conditions ?? {},
            recipients: rule.recipients,
            template: rule.template,
            tracked: rule.tracked,
            notifyActor: rule.notifyActor ?? false,
          }
        : blank,
    );
    setError(null);
    setAddress('');
    setUser('');
  }, [open, rule, blank]);
  const set = <K extends keyof RuleDraft>(k: K, v: RuleDraft[K]) => setDraft((d) => ({ ...d, [k]: v }));
  const addRecipient = (r: string) => {
    if (r && !draft.recipients.includes(r)) set('recipients', [...draft.recipients, r]);
  };
  const fe = fieldErrors(error, ['name', 'event', 'recordTypes', 'recipients', 'template', 'conditions']);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const conditions: Record<string, string> = {};
      const c = draft.conditions ?? {};
      if (c.statusEquals?.trim()) conditions['statusEquals'] = c.statusEquals.trim();
      if (c.assigneeChangedTo?.trim()) conditions['assigneeChangedTo'] = c.assigneeChangedTo.trim();
      const body = { ...draft, name: draft.name.trim(), conditions };
      if (rule) await api.put(`${base}/notification-rules/${enc(rule.id)}`, body);
      else await api.post(`${base}/notification-rules`, body);
      onSaved();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog open={open} title={rule ? `Edit rule “${rule.name}”` : 'New notification rule'} onClose={onClose} wide>
      <form className="stack" onSubmit={submit}>
        <ErrorNote error={unplaced(error, fe)} />
        <div className="grid-2">
          <TextField label="Name" value={draft.name} onChange={(e) => set('name', e.target.value)} required autoFocus error={fe['name']} />
          <SelectField label="When" value={draft.event} onChange={(e) => set('event', e.target.value as RuleEvent)} error={fe['event']}>
            {RULE_EVENTS.map((ev) => (
              <option key={ev} value={ev}>
                {EVENT_LABEL[ev]}
              </option>
            ))}
          </SelectField>
        </div>
        {(draft.event === 'record.statusChanged' || draft.event === 'record.assigned') && (
          <div className="grid-2">
            {draft.event === 'record.statusChanged' && (
              <TextField
                label="Only when the new status is"
                value={draft.conditions?.statusEquals ?? ''}
                onChange={(e) => set('conditions', { ...draft.conditions, statusEquals: e.target.value })}
                hint="Empty: any status."
                error={fe['conditions']}
              />
            )}
            {draft.event === 'record.assigned' && (
              <SelectField label="Only when assigned to" value={draft.conditions?.assigneeChangedTo ?? ''} onChange={(e) => set('conditions', { ...draft.conditions, assigneeChangedTo: e.target.value })} error={fe['conditions']}>
                <option value="">Anyone</option>
                {members.map((m) => (
                  <option key={m.username} value={m.username}>
                    {m.fullName || m.username}
                  </option>
                ))}
              </SelectField>
            )}
          </div>
        )}
        <fieldset className="fieldset">
          <legend>Record types</legend>
          <div className="checks checks-inline">
            {RECORD_TYPES.map((t: RecordType) => (
              <Checkbox
                key={t}
                label={TYPE_INFO[t].many}
                checked={draft.recordTypes.includes(t)}
                onChange={(e) => set('recordTypes', e.target.checked ? [...draft.recordTypes, t] : draft.recordTypes.filter((x) => x !== t))}
              />
            ))}
          </div>
          {fe['recordTypes'] && <div className="field-error">{fe['recordTypes']}</div>}
        </fieldset>
        <fieldset className="fieldset">
          <legend>Recipients</legend>
          <div className="chips">
            {draft.recipients.length === 0 && <span className="muted small">Nobody yet.</span>}
            {draft.recipients.map((r) => (
              <span key={r} className="chip" title={r}>
                {recipientLabel(r, members)}
                <button type="button" className="chip-x" aria-label={`Remove ${recipientLabel(r, members)}`} onClick={() => set('recipients', draft.recipients.filter((x) => x !== r))}>
                  ×
                </button>
              </span>
            ))}
          </div>
          <div className="recipient-adders">
            <button type="button" className="btn btn-small" onClick={() => addRecipient('assignee')} disabled={draft.recipients.includes('assignee')}>
              + Assignee
            </button>
            <button type="button" className="btn btn-small" onClick={() => addRecipient('creator')} disabled={draft.recipients.includes('creator')}>
              + Creator
            </button>
            {groups.length > 0 && (
              <select
                aria-label="Add a security group"
                value=""
                onChange={(e) => {
                  addRecipient(e.target.value ? `group:${e.target.value}` : '');
                }}
              >
                <option value="">+ Group…</option>
                {groups.map((g) => (
                  <option key={g} value={g}>
                    {g}
                  </option>
                ))}
              </select>
            )}
            <select
              aria-label="Add a member"
              value={user}
              onChange={(e) => {
                addRecipient(e.target.value ? `user:${e.target.value}` : '');
                setUser('');
              }}
            >
              <option value="">+ Member…</option>
              {members.map((m) => (
                <option key={m.username} value={m.username}>
                  {m.fullName || m.username}
                </option>
              ))}
            </select>
            <input
              type="email"
              aria-label="Add an address"
              placeholder="+ address, Enter"
              value={address}
              onChange={(e) => setAddress(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === 'Enter' && address.trim()) {
                  e.preventDefault();
                  addRecipient(`address:${address.trim()}`);
                  setAddress('');
                }
              }}
            />
          </div>
          {fe['recipients'] && <div className="field-error">{fe['recipients']}</div>}
        </fieldset>
        <div className="grid-2">
          <SelectField label="Template" value={draft.template} onChange={(e) => set('template', e.target.value)} error={fe['template']}>
            {!templates.some((t) => t.name === draft.template) && <option value={draft.template}>{draft.template || 'Choose…'}</option>}
            {templates.map((t) => (
              <option key={t.name} value={t.name}>
                {t.name}
              </option>
            ))}
          </SelectField>
          <div className="checks">
            <Checkbox label="Tracked" hint="Replies are filed on the record." checked={draft.tracked} onChange={(e) => set('tracked', e.target.checked)} />
            <Checkbox label="Also tell whoever made the change" checked={!!draft.notifyActor} onChange={(e) => set('notifyActor', e.target.checked)} />
            <Checkbox label="Enabled" checked={draft.enabled} onChange={(e) => set('enabled', e.target.checked)} />
          </div>
        </div>
        <div className="form-actions">
          <button type="button" className="btn btn-ghost" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Saving…' : rule ? 'Save rule' : 'Create rule'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function RulesSection({ base }: { base: string }) {
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
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Rule</th>
                <th scope="col" className="hide-narrow">
                  Record types
                </th>
                <th scope="col" className="hide-narrow">
                  Recipients
                </th>
                <th scope="col">On</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rules.data.rules.map((r) => (
                <tr key={r.id} className={cx(!r.enabled && 'row-disabled')}>
                  <td>
                    <strong>{r.name}</strong>
                    <div className="muted small">
                      {EVENT_LABEL[r.event] ?? r.event} · template {r.template}
                      {r.tracked ? ' · tracked' : ''}
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
            </tbody>
          </table>
        </div>
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
