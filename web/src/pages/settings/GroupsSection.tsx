import { useState, type FormEvent } from 'react';
import { api, enc, fieldErrors, unplaced } from '../../api/client';
import { useResource } from '../../api/hooks';
import type { SecurityGroup } from '../../api/types';
import { RECORD_COMMANDS, RECORD_TYPES } from '../../api/types';
import { DialogActions, Section } from '../../components/Section';
import { Checkbox, Dialog, Empty, ErrorNote, Flash, Spinner, TextField, cx, useFlash } from '../../components/ui';
import { COMMAND_LABEL, TYPE_INFO, commandFor } from '../../recordTypes';

const SHORT_COMMAND: Record<string, string> = {
  view: 'View',
  add: 'Add',
  edit: 'Edit',
  sendTrackedEmail: 'Send email',
  replyTrackedEmail: 'Reply',
  viewTrackedEmail: 'View email',
  deleteTrackedEmail: 'Delete email',
  manageWatchers: 'Watchers',
};

export function GroupsSection({ base }: { base: string }) {
  const groups = useResource<{ groups: SecurityGroup[] }>(`${base}/security-groups`);
  const [selected, setSelected] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  const [flash, setFlash] = useFlash();
  const list = groups.data?.groups ?? [];
  const group = list.find((g) => g.id === selected) ?? list[0];
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
              <button
                key={g.id}
                type="button"
                role="tab"
                aria-selected={g.id === group.id}
                className={cx('pill-tab', g.id === group.id && 'is-active')}
                onClick={() => setSelected(g.id)}
              >
                {g.name}
                <span className="pill-count">{g.commands.length}</span>
              </button>
            ))}
          </div>
          <GroupEditor
            key={group.id}
            base={base}
            group={group}
            flash={flash}
            onSaved={(saved) => {
              groups.setData((old) => ({ groups: (old?.groups ?? []).map((g) => (g.id === saved.id ? saved : g)) }));
              setFlash('Saved');
            }}
            onDeleted={() => {
              setSelected(null);
              void groups.reload();
              setFlash(`Deleted ${group.name}`);
            }}
          />
        </>
      )}
      <Dialog open={adding} title="New security group" onClose={() => setAdding(false)}>
        <NewGroupForm
          base={base}
          onClose={() => setAdding(false)}
          onCreated={async (created) => {
            setAdding(false);
            await groups.reload();
            setSelected(created.id);
          }}
        />
      </Dialog>
    </Section>
  );
}

/** One group's name and commands; keyed by the group, so picking another starts from its stored commands. */
function GroupEditor({
  base,
  group,
  flash,
  onSaved,
  onDeleted,
}: {
  base: string;
  group: SecurityGroup;
  flash: string | null;
  onSaved: (g: SecurityGroup) => void;
  onDeleted: () => void;
}) {
  const [name, setName] = useState(group.name);
  const [commands, setCommands] = useState<Set<string>>(() => new Set(group.commands));
  const [dirty, setDirty] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

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
    setBusy(true);
    setError(null);
    try {
      const saved = await api.put<SecurityGroup>(`${base}/security-groups/${enc(group.id)}`, { name: name.trim(), commands: [...commands].sort() });
      setName(saved.name);
      setCommands(new Set(saved.commands));
      setDirty(false);
      onSaved(saved);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const remove = async () => {
    setError(null);
    try {
      await api.del(`${base}/security-groups/${enc(group.id)}`);
      onDeleted();
    } catch (err) {
      setError(err);
    }
  };

  const fe = fieldErrors(error, ['name']);
  return (
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
                      <input
                        type="checkbox"
                        aria-label={`${COMMAND_LABEL[c]} on every record type`}
                        checked={on}
                        onChange={(e) => toggle(all, e.target.checked)}
                      />
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
                      <input
                        type="checkbox"
                        aria-label={`Every command on ${TYPE_INFO[t].many}`}
                        checked={row.every((x) => commands.has(x))}
                        onChange={(e) => toggle(row, e.target.checked)}
                      />
                      {TYPE_INFO[t].many}
                    </label>
                  </th>
                  {RECORD_COMMANDS.map((c) => {
                    const cmd = commandFor(t, c);
                    return (
                      <td key={c}>
                        <input
                          type="checkbox"
                          aria-label={`${COMMAND_LABEL[c]}: ${TYPE_INFO[t].many}`}
                          title={cmd}
                          checked={commands.has(cmd)}
                          onChange={(e) => toggle([cmd], e.target.checked)}
                        />
                      </td>
                    );
                  })}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <Checkbox
        label="Administer the project"
        hint="project.administer: email options, email import, members, groups, workflows, custom fields, templates and rules."
        checked={commands.has('project.administer')}
        onChange={(e) => toggle(['project.administer'], e.target.checked)}
      />
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
  );
}

function NewGroupForm({ base, onClose, onCreated }: { base: string; onClose: () => void; onCreated: (g: SecurityGroup) => Promise<void> }) {
  const [name, setName] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const create = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await onCreated(
        await api.post<SecurityGroup>(`${base}/security-groups`, { name: name.trim(), commands: RECORD_TYPES.map((t) => commandFor(t, 'view')) }),
      );
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <form className="stack" onSubmit={create}>
      <ErrorNote error={error} />
      <TextField
        label="Name"
        value={name}
        onChange={(e) => setName(e.target.value)}
        required
        autoFocus
        hint="It starts with view on every record type; tick more afterwards."
      />
      <DialogActions onCancel={onClose} busy={busy} label="Create group" busyLabel="Creating…" disabled={!name.trim()} />
    </form>
  );
}
