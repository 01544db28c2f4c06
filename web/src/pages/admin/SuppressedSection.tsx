import { useState, type FormEvent } from 'react';
import { api, enc, fieldErrors, query, unplaced } from '../../api/client';
import { useDebounced, useResource } from '../../api/hooks';
import type { Suppression } from '../../api/types';
import { DialogActions, Section, SettingsTable } from '../../components/Section';
import { suppressionSentence } from '../../components/Suppression';
import { Badge, Dialog, Empty, ErrorNote, Flash, Spinner, TextField, useFlash } from '../../components/ui';
import { fullDate, shortDate } from '../../format';

const REASON_LABEL: Record<Suppression['reason'], string> = { bounce: 'hard bounce', complaint: 'spam complaint', manual: 'by hand' };

/** The suppressed addresses of a whole list of users, for the Users table ("bounced" next to the address). */
export function useSuppressedIndex(): ReadonlyMap<string, Suppression> {
  const res = useResource<{ entries: Suppression[] }>('/admin/email/suppressions?limit=1000');
  return new Map((res.data?.entries ?? []).map((s) => [s.address.toLowerCase(), s]));
}

function AddDialog({ open, onClose, onAdded }: { open: boolean; onClose: () => void; onAdded: (s: Suppression) => void }) {
  return (
    <Dialog open={open} title="Suppress an address" onClose={onClose}>
      <AddForm onClose={onClose} onAdded={onAdded} />
    </Dialog>
  );
}

/** Mounted each time the dialog opens, so it starts empty. */
function AddForm({ onClose, onAdded }: { onClose: () => void; onAdded: (s: Suppression) => void }) {
  const [address, setAddress] = useState('');
  const [detail, setDetail] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const fe = fieldErrors(error, ['address', 'detail']);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onAdded(
        await api.post<Suppression>(
          '/admin/email/suppressions',
          detail.trim() ? { address: address.trim(), detail: detail.trim() } : { address: address.trim() },
        ),
      );
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={submit} className="stack">
      <ErrorNote error={unplaced(error, fe)} />
      <TextField label="Address" type="email" required value={address} onChange={(e) => setAddress(e.target.value)} error={fe['address']} autoFocus />
      <TextField
        label="Note"
        value={detail}
        onChange={(e) => setDetail(e.target.value)}
        error={fe['detail']}
        hint="Why, for whoever reads this list later (optional)."
      />
      <DialogActions onCancel={onClose} busy={busy} label="Suppress" busyLabel="Suppressing…" />
    </form>
  );
}

/** Admin → Email → Suppressed addresses: what bounced or complained, and lifting it. */
export function SuppressedSection() {
  const [q, setQ] = useState('');
  const search = useDebounced(q.trim(), 250);
  const res = useResource<{ entries: Suppression[]; total: number }>(`/admin/email/suppressions${query({ q: search || undefined, limit: 200 })}`, {
    keep: true,
  });
  const [adding, setAdding] = useState(false);
  const [lifting, setLifting] = useState<Suppression | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [flash, setFlash] = useFlash();
  const lift = async () => {
    if (!lifting) return;
    setError(null);
    try {
      await api.del(`/admin/email/suppressions/${enc(lifting.address)}`);
      setFlash(`Lifted ${lifting.address}`);
      setLifting(null);
      void res.reload();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <Section
      title="Suppressed addresses"
      intro="Addresses Mailtrail does not mail: a hard bounce that came back to the email's own bounce address, a spam complaint about a tracked email, or added here. Sending to one is refused unless the sender chooses Send anyway; notification rules skip them. Lift an entry once the address works again."
      actions={
        <div className="row">
          <Flash msg={flash} />
          <button type="button" className="btn btn-primary" onClick={() => setAdding(true)}>
            Suppress an address
          </button>
        </div>
      }
    >
      <div className="toolbar">
        <div className="search">
          <input type="search" aria-label="Search suppressed addresses" placeholder="Search addresses…" value={q} onChange={(e) => setQ(e.target.value)} />
        </div>
        {res.data && <span className="muted small">{res.data.total} suppressed</span>}
      </div>
      <ErrorNote error={error} what="Lifting" />
      {res.error ? (
        <ErrorNote error={res.error} what="Suppressed addresses" onRetry={() => void res.reload()} />
      ) : !res.data ? (
        <Spinner />
      ) : res.data.entries.length === 0 ? (
        <Empty title={search ? 'No address matches' : 'No suppressed addresses'}>Hard bounces and spam complaints about tracked email land here.</Empty>
      ) : (
        <SettingsTable columns={['Address', 'Why', { label: 'Since', className: 'hide-narrow' }]} label="Suppressed addresses">
          {res.data.entries.map((s) => (
            <tr key={s.address}>
              <td className="mono">{s.address}</td>
              <td>
                <Badge tone={s.reason === 'manual' ? 'muted' : 'bad'}>{REASON_LABEL[s.reason]}</Badge>{' '}
                <span className="muted small">{s.detail || (s.createdBy ? `by ${s.createdBy}` : '')}</span>
              </td>
              <td className="hide-narrow muted">
                <time dateTime={s.since} title={fullDate(s.since)}>
                  {shortDate(s.since)}
                </time>
              </td>
              <td className="actions">
                <button type="button" className="btn btn-small btn-ghost" onClick={() => setLifting(s)} aria-label={`Lift ${s.address}`}>
                  Lift
                </button>
              </td>
            </tr>
          ))}
        </SettingsTable>
      )}
      <AddDialog
        open={adding}
        onClose={() => setAdding(false)}
        onAdded={(s) => {
          setAdding(false);
          setFlash(`Suppressed ${s.address}`);
          void res.reload();
        }}
      />
      <Dialog open={lifting !== null} title="Lift the suppression?" onClose={() => setLifting(null)}>
        {lifting && (
          <div className="stack">
            <p>
              <strong>{lifting.address}</strong> {suppressionSentence(lifting)}. Once lifted it can be mailed again; another hard bounce suppresses it again.
            </p>
            <div className="form-actions">
              <button type="button" className="btn btn-ghost" onClick={() => setLifting(null)}>
                Cancel
              </button>
              <button type="button" className="btn btn-primary" onClick={() => void lift()}>
                Lift
              </button>
            </div>
          </div>
        )}
      </Dialog>
    </Section>
  );
}
