import { useState } from 'react';
import { api, fieldErrors, messageOf, unplaced } from '../../api/client';
import type { PollResult, TestResult, TrackingSettings } from '../../api/types';
import { Section } from '../../components/Section';
import { ErrorNote, Flash, SelectField, useFlash } from '../../components/ui';
import {
  AddressField,
  PollSecondsField,
  ServerFields,
  TestOutcome,
  TrackingChecks,
  followDefaultPort,
  SettingsLoader,
  mailboxBody,
  mailboxFormOf,
} from './connection';
import { PollCounts, StatusPanel } from './StatusPanel';
import { TrackingAccountsPanel } from './TrackingAccounts';

export function TrackingSection() {
  // Bumped after each poll from the form, so the account list and the status panel look again.
  const [pollKey, setPollKey] = useState(0);
  return (
    <>
      <TrackingAccountsPanel refreshKey={pollKey} />
      <Section
        title="Default tracking account"
        intro="The dedicated mailbox replies arrive in. Its address is the Reply-To of tracked email of every project without an account of its own."
      >
        <SettingsLoader<TrackingSettings> path="/admin/email/tracking" what="Email tracking settings">
          {(data, onSaved) => <TrackingSettingsForm data={data} onSaved={onSaved} onPolled={() => setPollKey((k) => k + 1)} />}
        </SettingsLoader>
      </Section>
      <StatusPanel show="poll" refreshKey={pollKey} />
    </>
  );
}

/** Mounted once the settings are known (or known to be unset); starts from them. */
function TrackingSettingsForm({
  data,
  onSaved,
  onPolled,
}: {
  data: TrackingSettings | undefined;
  onSaved: (s: TrackingSettings) => void;
  onPolled: () => void;
}) {
  const [form, setForm] = useState(() => mailboxFormOf(data, 'pop3'));
  const [dirty, setDirty] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<'save' | 'test' | 'poll' | null>(null);
  const [test, setTest] = useState<TestResult | null>(null);
  const [poll, setPoll] = useState<PollResult | null>(null);
  // A poll that failed (server unreachable, 409 another poll running) is said where its counts would be.
  const [pollError, setPollError] = useState<unknown>(null);
  const [flash, setFlash] = useFlash();

  const set = <K extends keyof typeof form>(k: K, v: (typeof form)[K]) => {
    // A connection test said something about the settings as they were; not any more.
    setTest(null);
    setForm((f) => followDefaultPort(f, { ...f, [k]: v }));
    setDirty(true);
  };

  const body = (): Record<string, unknown> => {
    const b: Record<string, unknown> = mailboxBody(form);
    if (data && 'allowSelfSigned' in data) b['allowSelfSigned'] = form.allowSelfSigned;
    if (data && 'plusAddressing' in data) b['plusAddressing'] = form.plusAddressing;
    return b;
  };

  const save = async () => {
    const saved = await api.put<TrackingSettings>('/admin/email/tracking', body());
    if (saved && typeof saved === 'object') onSaved(saved);
    setForm((f) => ({ ...f, password: '' }));
    setDirty(false);
  };

  const act = async (kind: 'save' | 'test' | 'poll') => {
    setBusy(kind);
    setError(null);
    if (kind === 'test') setTest(null);
    if (kind === 'poll') {
      setPoll(null);
      setPollError(null);
    }
    try {
      // A test checks the form as typed, without saving it; saving and polling use the stored settings.
      if (kind === 'save' || (kind === 'poll' && dirty)) await save();
      if (kind === 'save') setFlash('Saved');
      if (kind === 'test') setTest(await api.post<TestResult>('/admin/email/tracking/test', dirty ? body() : {}));
      if (kind === 'poll') {
        try {
          setPoll(await api.post<PollResult>('/admin/email/tracking/poll'));
        } catch (err) {
          setPollError(err);
        }
        onPolled();
      }
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };

  const fe = fieldErrors(error, ['protocol', 'host', 'port', 'security', 'username', 'password', 'address', 'pollSeconds']);
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        void act('save');
      }}
      className="stack"
    >
      <ErrorNote error={unplaced(error, fe)} what="Tracking" />
      <ServerFields
        protocol={
          <SelectField
            label="Protocol"
            value={form.protocol}
            onChange={(e) => set('protocol', e.target.value as 'pop3' | 'imap' | 'graph')}
            error={fe['protocol']}
          >
            <option value="pop3">POP3</option>
            <option value="imap">IMAP</option>
            {/* Graph needs OAuth2, its folder and removal choice: set in the account list's dialog. */}
            {form.protocol === 'graph' && <option value="graph">Microsoft Graph (edit in the account list)</option>}
          </SelectField>
        }
        form={form}
        set={set}
        fe={fe}
        hostPlaceholder="pop.example.com"
        passwordStored={data?.passwordSet}
      />
      <div className="grid-3">
        <AddressField
          value={form.address}
          onChange={(v) => set('address', v)}
          placeholder="tracker@example.com"
          hint="Replies to tracked email are sent here."
          error={fe['address']}
        />
        <PollSecondsField value={form.pollSeconds} onChange={(v) => set('pollSeconds', v)} min={5} error={fe['pollSeconds']} />
      </div>
      <TrackingChecks
        form={form}
        set={set}
        offered={{ allowSelfSigned: !!data && 'allowSelfSigned' in data, plusAddressing: !!data && 'plusAddressing' in data }}
      />
      <TestOutcome result={test} />
      {poll && (
        <div className="notice notice-ok" role="status">
          <strong>Polled.</strong>
          <PollCounts result={poll} />
        </div>
      )}
      {pollError !== null && (
        <div className="notice notice-error" role="alert">
          <strong>Poll failed.</strong> {messageOf(pollError)}
        </div>
      )}
      <div className="form-actions">
        <Flash msg={flash} />
        <button type="button" className="btn" onClick={() => void act('test')} disabled={busy !== null || !form.host}>
          {busy === 'test' ? 'Testing…' : 'Test connection'}
        </button>
        <button type="button" className="btn" onClick={() => void act('poll')} disabled={busy !== null || !form.host}>
          {busy === 'poll' ? 'Polling…' : dirty ? 'Save & poll now' : 'Poll now'}
        </button>
        <button type="submit" className="btn btn-primary" disabled={busy !== null}>
          {busy === 'save' ? 'Saving…' : 'Save'}
        </button>
      </div>
    </form>
  );
}
