import { useState, type FormEvent } from 'react';
import { api, enc } from '../../api/client';
import { useResource } from '../../api/hooks';
import type { Member, SecurityGroup, User } from '../../api/types';
import { Section, SettingsTable } from '../../components/Section';
import { Empty, ErrorNote, Flash, SelectField, Spinner, TextField, useFlash } from '../../components/ui';
import { useUser } from '../../session';

export function MembersSection({ base }: { base: string }) {
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
        <SelectField
          label="Security group"
          value={newGroup || groupNames.find((g) => g === 'Developers') || groupNames[0] || ''}
          onChange={(e) => setNewGroup(e.target.value)}
        >
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
        <SettingsTable columns={['Member', { label: 'Email', className: 'hide-narrow' }, 'Security group']}>
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
                <button
                  type="button"
                  className="btn btn-small btn-ghost btn-danger-text"
                  onClick={() => void remove(m.username)}
                  aria-label={`Remove ${m.username}`}
                >
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </SettingsTable>
      )}
    </Section>
  );
}
