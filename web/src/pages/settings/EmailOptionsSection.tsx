import { useState, type FormEvent } from 'react';
import { api, fieldErrors, unplaced } from '../../api/client';
import { useResource } from '../../api/hooks';
import type { EmailOptions } from '../../api/types';
import { Section } from '../../components/Section';
import { Checkbox, ErrorNote, Flash, Spinner, TextField, useFlash } from '../../components/ui';

export function EmailOptionsSection({ base }: { base: string }) {
  const options = useResource<EmailOptions>(`${base}/options/email`);
  return (
    <Section title="Email" intro="Whether this project sends tracked email and files replies, and who notifications come from.">
      {options.error ? (
        <ErrorNote error={options.error} onRetry={() => void options.reload()} />
      ) : !options.data ? (
        <Spinner />
      ) : (
        <EmailOptionsForm base={base} initial={options.data} onSaved={options.setData} />
      )}
    </Section>
  );
}

function EmailOptionsForm({ base, initial, onSaved }: { base: string; initial: EmailOptions; onSaved: (o: EmailOptions) => void }) {
  const [form, setForm] = useState(initial);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [flash, setFlash] = useFlash();
  const fe = fieldErrors(error, ['name', 'address', 'notificationAccount']);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const saved = await api.put<EmailOptions>(`${base}/options/email`, {
        sendingEnabled: form.sendingEnabled,
        trackingEnabled: form.trackingEnabled,
        notificationAccount: { name: form.notificationAccount.name.trim(), address: form.notificationAccount.address.trim() },
      });
      onSaved(saved);
      setForm(saved);
      setFlash('Saved');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="stack" onSubmit={submit}>
      <ErrorNote error={unplaced(error, fe)} />
      <div className="checks">
        <Checkbox
          label="Send tracked email"
          hint="Members with the send command can email from records."
          checked={form.sendingEnabled}
          onChange={(e) => setForm({ ...form, sendingEnabled: e.target.checked })}
        />
        <Checkbox
          label="Track replies"
          hint="Replies to this project's tracked email are filed on their records."
          checked={form.trackingEnabled}
          onChange={(e) => setForm({ ...form, trackingEnabled: e.target.checked })}
        />
      </div>
      <fieldset className="fieldset">
        <legend>Notification account</legend>
        <p className="muted small">Emails sent by notification rules come from this name and address.</p>
        <div className="grid-2">
          <TextField
            label="Name"
            value={form.notificationAccount.name}
            onChange={(e) => setForm({ ...form, notificationAccount: { ...form.notificationAccount, name: e.target.value } })}
            error={fe['name']}
          />
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
  );
}
