import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { api, enc, fieldErrors, query, unplaced } from '../../api/client';
import { useDebounced, useResource } from '../../api/hooks';
import type { DkimSettings, Suppression } from '../../api/types';
import { suppressionSentence } from '../../components/Suppression';
import { Badge, Checkbox, Dialog, Empty, ErrorNote, Flash, Spinner, TextArea, TextField, useFlash } from '../../components/ui';
import { fullDate, shortDate } from '../../format';

function Card({ title, intro, actions, children }: { title: string; intro?: ReactNode; actions?: ReactNode; children: ReactNode }) {
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

const REASON_LABEL: Record<Suppression['reason'], string> = { bounce: 'hard bounce', complaint: 'spam complaint', manual: 'by hand' };

/** The suppressed addresses of a whole list of users, for the Users table ("bounced" next to the address). */
export function useSuppressedIndex(): ReadonlyMap<string, Suppression> {
  const res = useResource<{ entries: Suppression[] }>('/admin/email/suppressions?limit=1000');
  return new Map((res.data?.entries ?? []).map((s) => [s.address.toLowerCase(), s]));
}

function AddDialog({ open, onClose, onAdded }: { open: boolean; onClose: () => void; onAdded: (s: Suppression) => void }) {
  const [address, setAddress] = useState('');
  const [detail, setDetail] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (!open) return;
    setAddress('');
    setDetail('');
    setError(null);
  }, [open]);
  const fe = fieldErrors(error, ['address', 'detail']);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onAdded(await api.post<Suppression>('/admin/email/suppressions', detail.trim() ? { address: address.trim(), detail: detail.trim() } : { address: address.trim() }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog open={open} title="Suppress an address" onClose={onClose}>
      <form onSubmit={submit} className="stack">
        <ErrorNote error={unplaced(error, fe)} />
        <TextField label="Address" type="email" required value={address} onChange={(e) => setAddress(e.target.value)} error={fe['address']} autoFocus />
        <TextField label="Note" value={detail} onChange={(e) => setDetail(e.target.value)} error={fe['detail']} hint="Why, for whoever reads this list later (optional)." />
        <div className="form-actions">
          <button type="button" className="btn btn-ghost" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy}>
            Suppress
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** Admin → Email → Suppressed addresses: what bounced or complained, and lifting it. */
export function SuppressedSection() {
  const [q, setQ] = useState('');
  const search = useDebounced(q.trim(), 250);
  const res = useResource<{ entries: Suppression[]; total: number }>(`/admin/email/suppressions${query({ q: search || undefined, limit: 200 })}`, { keep: true });
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
    <Card
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
        <div className="table-wrap">
          <table className="table" aria-label="Suppressed addresses">
            <thead>
              <tr>
                <th scope="col">Address</th>
                <th scope="col">Why</th>
                <th scope="col" className="hide-narrow">
                  Since
                </th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {res.data.entries.map((s) => (
                <tr key={s.address}>
                  <td className="mono">{s.address}</td>
                  <td>
                    <Badge tone={s.reason === 'manual' ? 'muted' : 'bad'}>{REASON_LABEL[s.reason]}</Badge> <span className="muted small">{s.detail || (s.createdBy ? `by ${s.createdBy}` : '')}</span>
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
            </tbody>
          </table>
        </div>
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
    </Card>
  );
}

/** Admin → Email → DKIM signing: the key (generated or uploaded), domain, selector, the DNS record. */
export function DkimSection() {
  const res = useResource<DkimSettings>('/admin/email/dkim');
  const [domain, setDomain] = useState('');
  const [selector, setSelector] = useState('mailtrail');
  const [pem, setPem] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [flash, setFlash] = useFlash();
  useEffect(() => {
    if (!res.data) return;
    setDomain(res.data.domain);
    setSelector(res.data.selector);
  }, [res.data]);
  const fe = fieldErrors(error, ['domain', 'selector', 'privateKey']);
  const run = async (what: string, call: () => Promise<DkimSettings>) => {
    setBusy(true);
    setError(null);
    try {
      await call();
      setPem('');
      setFlash(what);
      await res.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const names = () => ({ domain: domain.trim(), selector: selector.trim() });
  if (res.error) return <ErrorNote error={res.error} what="DKIM signing" onRetry={() => void res.reload()} />;
  if (!res.data) return <Spinner />;
  const d = res.data;
  return (
    <Card
      title="DKIM signing"
      intro="Signs every outgoing message — tracked emails, forwards, notifications — so receivers can tell it really comes from your domain. Publish the DNS record first, then turn signing on. The private key is stored encrypted with MAILTRAIL_SECRET and never shown again."
      actions={<Flash msg={flash} />}
    >
      <form
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          void run('Saved', () => api.put<DkimSettings>('/admin/email/dkim', pem.trim() ? { ...names(), privateKey: pem } : names()));
        }}
      >
        <ErrorNote error={unplaced(error, fe)} what="DKIM signing" />
        <div className="grid-2">
          <TextField label="Signing domain" value={domain} onChange={(e) => setDomain(e.target.value)} error={fe['domain']} placeholder="example.com" hint="Usually the domain of your From addresses, so DMARC aligns." />
          <TextField label="Selector" value={selector} onChange={(e) => setSelector(e.target.value)} error={fe['selector']} />
        </div>
        <p className="small">
          {d.keySet ? (
            <>
              Key: RSA {d.keyBits ?? '?'} bits{d.keyCreatedAt ? `, since ${shortDate(d.keyCreatedAt)}` : ''}. <Badge tone={d.enabled ? 'ok' : 'muted'}>{d.enabled ? 'signing' : 'not signing'}</Badge>
            </>
          ) : (
            <>No key yet: generate one, or paste your own below.</>
          )}
        </p>
        <TextArea label="Upload a private key (PEM)" rows={4} value={pem} onChange={(e) => setPem(e.target.value)} placeholder="-----BEGIN PRIVATE KEY-----" error={fe['privateKey']} hint="RSA, 1024 bits or more; replaces the current key when you save." />
        <div className="form-actions">
          <button type="button" className="btn" disabled={busy} onClick={() => void run('New key generated', () => api.post<DkimSettings>('/admin/email/dkim/generate', names()))}>
            {d.keySet ? 'Generate a new key' : 'Generate key'}
          </button>
          <button type="submit" className="btn" disabled={busy}>
            Save
          </button>
        </div>
        {d.dnsRecord && (
          <div className="dns-record" aria-label="DNS record">
            <p className="small">
              Publish this TXT record at your DNS provider (with a new key, the record changes too):
            </p>
            <dl>
              <dt>Name</dt>
              <dd className="mono">{d.dnsRecord.name}</dd>
              <dt>Type</dt>
              <dd className="mono">TXT</dd>
              <dt>Value</dt>
              <dd>
                <textarea readOnly rows={4} className="mono" aria-label="TXT record value" value={d.dnsRecord.value} onFocus={(e) => e.currentTarget.select()} />
              </dd>
            </dl>
          </div>
        )}
        <Checkbox
          label="Sign outgoing mail"
          checked={d.enabled}
          disabled={busy || !d.keySet}
          onChange={(e) => {
            const enabled = e.target.checked;
            void run(enabled ? 'Signing on' : 'Signing off', () => api.put<DkimSettings>('/admin/email/dkim', { enabled }));
          }}
          hint={d.keySet ? undefined : 'Needs a key.'}
        />
      </form>
    </Card>
  );
}
