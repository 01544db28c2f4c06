import { useState, type FormEvent } from 'react';
import { api, enc, fieldErrors, unplaced } from '../../api/client';
import type { EmailTemplate, Member, NotificationRule, RecordType, ReplyTo, RuleEvent } from '../../api/types';
import { RECORD_TYPES, REPLY_TO, RULE_EVENTS } from '../../api/types';
import { DialogActions } from '../../components/Section';
import { Checkbox, Dialog, ErrorNote, SelectField, TextField } from '../../components/ui';
import { TYPE_INFO } from '../../recordTypes';
import { ConditionEditor, cleanCondition, type Condition } from './ConditionEditor';

export const EVENT_LABEL: Record<RuleEvent, string> = {
  'record.created': 'A record is created',
  'record.updated': 'A record is updated',
  'record.assigned': 'A record is assigned',
  'record.statusChanged': 'A record changes status',
  'comment.added': 'A comment is added',
  'record.mentioned': 'Someone is @mentioned',
  'email.received': 'An email is received',
  'email.bounced': 'An email bounces',
};

/** Where replies to the rule's emails are forwarded; the reply is filed on the record in every case. */
export const REPLY_TO_LABEL: Record<ReplyTo, string> = {
  notificationAccount: 'The notification account',
  actor: 'Whoever made the change',
  assignee: 'The assignee (when the reply comes)',
  watchers: 'The watchers (when the reply comes)',
};

export const REPLY_TO_SHORT: Record<ReplyTo, string> = {
  notificationAccount: 'the notification account',
  actor: 'whoever made the change',
  assignee: 'the assignee',
  watchers: 'the watchers',
};

type RuleDraft = Omit<NotificationRule, 'id'>;

export function recipientLabel(r: string, members: Member[]): string {
  if (r === 'assignee') return 'Assignee';
  if (r === 'creator') return 'Creator';
  if (r === 'watchers') return 'Watchers';
  if (r === 'participants') return 'Participants';
  if (r.startsWith('user:')) {
    const u = r.slice(5);
    return members.find((m) => m.username === u)?.fullName || u;
  }
  if (r.startsWith('address:')) return r.slice(8);
  if (r.startsWith('group:')) return `Group ${r.slice(6)}`;
  return r;
}

function draftOf(rule: NotificationRule | null, templates: EmailTemplate[]): RuleDraft {
  if (!rule)
    return {
      name: '',
      enabled: true,
      event: 'record.created',
      recordTypes: ['defect'],
      conditions: {},
      condition: { all: [] },
      recipients: ['assignee'],
      template: templates[0]?.name ?? '',
      tracked: true,
      notifyActor: false,
      replyTo: 'notificationAccount',
    };
  // Field by field: the body goes back to a strict route, and a rule from the API may carry more.
  return {
    name: rule.name,
    enabled: rule.enabled,
    event: rule.event,
    recordTypes: rule.recordTypes,
    conditions: {},
    condition: rule.condition ?? { all: [] },
    recipients: rule.recipients,
    template: rule.template,
    tracked: rule.tracked,
    notifyActor: rule.notifyActor ?? false,
    replyTo: rule.replyTo ?? 'notificationAccount',
  };
}

interface RuleDialogProps {
  base: string;
  rule: NotificationRule | null;
  open: boolean;
  templates: EmailTemplate[];
  members: Member[];
  groups: string[];
  onClose: () => void;
  onSaved: () => void;
}

/** New rule (`rule` null) or edit one. */
export function RuleDialog({ rule, open, onClose, ...rest }: RuleDialogProps) {
  return (
    <Dialog open={open} title={rule ? `Edit rule “${rule.name}”` : 'New notification rule'} onClose={onClose} wide>
      <RuleForm key={rule?.id ?? 'new'} rule={rule} onClose={onClose} {...rest} />
    </Dialog>
  );
}

/** Keyed by the rule and mounted each time the dialog opens: it starts from the rule as stored. */
function RuleForm({ base, rule, templates, members, groups, onClose, onSaved }: Omit<RuleDialogProps, 'open'>) {
  const [draft, setDraft] = useState<RuleDraft>(() => draftOf(rule, templates));
  const [address, setAddress] = useState('');
  const [user, setUser] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof RuleDraft>(k: K, v: RuleDraft[K]) => setDraft((d) => ({ ...d, [k]: v }));
  const addRecipient = (r: string) => {
    if (r && !draft.recipients.includes(r)) set('recipients', [...draft.recipients, r]);
  };
  const fe = fieldErrors(error, ['name', 'event', 'recordTypes', 'recipients', 'template', 'conditions', 'condition', 'replyTo']);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      // The tree holds the old conditions too (the server translated them), so they are not sent twice.
      const body = { ...draft, name: draft.name.trim(), conditions: {}, condition: cleanCondition(draft.condition as Condition) };
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
      <ConditionEditor value={draft.condition as Condition} onChange={(c) => set('condition', c)} error={fe['condition'] ?? fe['conditions']} />
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
              <button
                type="button"
                className="chip-x"
                aria-label={`Remove ${recipientLabel(r, members)}`}
                onClick={() =>
                  set(
                    'recipients',
                    draft.recipients.filter((x) => x !== r),
                  )
                }
              >
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
          <button type="button" className="btn btn-small" onClick={() => addRecipient('watchers')} disabled={draft.recipients.includes('watchers')}>
            + Watchers
          </button>
          <button type="button" className="btn btn-small" onClick={() => addRecipient('participants')} disabled={draft.recipients.includes('participants')}>
            + Participants
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
        <SelectField
          label="Replies are forwarded to"
          value={draft.replyTo}
          onChange={(e) => set('replyTo', e.target.value as ReplyTo)}
          hint={
            draft.tracked
              ? 'Each reply is filed on the record too. With nobody to forward to, the notification account gets it.'
              : 'Untracked emails: replies reach the tracking mailbox without a record to file them on.'
          }
          error={fe['replyTo']}
        >
          {REPLY_TO.map((r) => (
            <option key={r} value={r}>
              {REPLY_TO_LABEL[r]}
            </option>
          ))}
        </SelectField>
      </div>
      <div className="grid-2">
        <div className="checks">
          <Checkbox label="Tracked" hint="Replies are filed on the record." checked={draft.tracked} onChange={(e) => set('tracked', e.target.checked)} />
          <Checkbox label="Also tell whoever made the change" checked={!!draft.notifyActor} onChange={(e) => set('notifyActor', e.target.checked)} />
          <Checkbox label="Enabled" checked={draft.enabled} onChange={(e) => set('enabled', e.target.checked)} />
        </div>
      </div>
      <DialogActions onCancel={onClose} busy={busy} label={rule ? 'Save rule' : 'Create rule'} />
    </form>
  );
}
