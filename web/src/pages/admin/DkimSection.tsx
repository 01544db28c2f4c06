import { useState } from 'react';
import { api, fieldErrors, unplaced } from '../../api/client';
import { useResource } from '../../api/hooks';
import type { DkimSettings } from '../../api/types';
import { Section } from '../../components/Section';
import { Badge, Checkbox, ErrorNote, Flash, Spinner, TextArea, TextField, useFlash } from '../../components/ui';
import { shortDate } from '../../format';

/** Admin → Email → DKIM signing: the key (generated or uploaded), domain, selector, the DNS record. */
export function DkimSection() {
  const res = useResource<DkimSettings>('/admin/email/dkim');
  const [flash, setFlash] = useFlash();
  if (res.error) return <ErrorNote error={res.error} what="DKIM signing" onRetry={() => void res.reload()} />;
  if (!res.data) return <Spinner />;
  const d = res.data;
  return (
    <Section
      title="DKIM signing"
      intro="Signs every outgoing message — tracked emails, forwards, notifications — so receivers can tell it really comes from your domain. Publish the DNS record first, then turn signing on. The private key is stored encrypted with MAILTRAIL_SECRET and never shown again."
      actions={<Flash msg={flash} />}
    >
      {/* A domain or selector the server stored differently from what was typed starts the form over from the stored one. */}
      <DkimForm key={`${d.domain}\n${d.selector}`} d={d} reload={res.reload} setFlash={setFlash} />
    </Section>
  );
}

function DkimForm({ d, reload, setFlash }: { d: DkimSettings; reload: () => Promise<unknown>; setFlash: (msg: string) => void }) {
  const [domain, setDomain] = useState(d.domain);
  const [selector, setSelector] = useState(d.selector || 'mailtrail');
  const [pem, setPem] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const fe = fieldErrors(error, ['domain', 'selector', 'privateKey']);
  const run = async (what: string, call: () => Promise<DkimSettings>) => {
    setBusy(true);
    setError(null);
    try {
      await call();
      setPem('');
      setFlash(what);
      await reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const names = () => ({ domain: domain.trim(), selector: selector.trim() });
  return (
    <form
      className="stack"
      onSubmit={(e) => {
        e.preventDefault();
        void run('Saved', () => api.put<DkimSettings>('/admin/email/dkim', pem.trim() ? { ...names(), privateKey: pem } : names()));
      }}
    >
      <ErrorNote error={unplaced(error, fe)} what="DKIM signing" />
      <div className="grid-2">
        <TextField
          label="Signing domain"
          value={domain}
          onChange={(e) => setDomain(e.target.value)}
          error={fe['domain']}
          placeholder="example.com"
          hint="Usually the domain of your From addresses, so DMARC aligns."
        />
        <TextField label="Selector" value={selector} onChange={(e) => setSelector(e.target.value)} error={fe['selector']} />
      </div>
      <p className="small">
        {d.keySet ? (
          <>
            Key: RSA {d.keyBits ?? '?'} bits{d.keyCreatedAt ? `, since ${shortDate(d.keyCreatedAt)}` : ''}.{' '}
            <Badge tone={d.enabled ? 'ok' : 'muted'}>{d.enabled ? 'signing' : 'not signing'}</Badge>
          </>
        ) : (
          <>No key yet: generate one, or paste your own below.</>
        )}
      </p>
      <TextArea
        label="Upload a private key (PEM)"
        rows={4}
        value={pem}
        onChange={(e) => setPem(e.target.value)}
        placeholder="-----BEGIN PRIVATE KEY-----"
        error={fe['privateKey']}
        hint="RSA, 1024 bits or more; replaces the current key when you save."
      />
      <div className="form-actions">
        <button
          type="button"
          className="btn"
          disabled={busy}
          onClick={() => void run('New key generated', () => api.post<DkimSettings>('/admin/email/dkim/generate', names()))}
        >
          {d.keySet ? 'Generate a new key' : 'Generate key'}
        </button>
        <button type="submit" className="btn" disabled={busy}>
          Save
        </button>
      </div>
      {d.dnsRecord && (
        <div className="dns-record" aria-label="DNS record">
          <p className="small">Publish this TXT record at your DNS provider (with a new key, the record changes too):</p>
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
  );
}
