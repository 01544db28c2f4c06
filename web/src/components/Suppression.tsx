import { useEffect, useState } from 'react';
import { ApiError, api, enc } from '../api/client';
import { useDebounced } from '../api/hooks';
import type { MailAuth, Suppression } from '../api/types';
import { Badge } from './ui';

const REASON: Record<Suppression['reason'], string> = {
  bounce: 'bounced',
  complaint: 'reported our mail as spam',
  manual: 'was suppressed by an administrator',
};

/** "bounced on 2 Dec 2026 (5.1.1 …)": the words next to an address in the UI. */
export function suppressionSentence(s: Suppression): string {
  const day = new Date(s.since).toLocaleDateString(undefined, { day: 'numeric', month: 'short', year: 'numeric' });
  return `${REASON[s.reason]} on ${day}${s.detail ? ` (${s.detail})` : ''}`;
}

export function SuppressedBadge({ entry }: { entry: Suppression }) {
  return (
    <Badge
      tone="bad"
      title={`${entry.address} ${suppressionSentence(entry)}. New mail to it is refused until an administrator lifts it (Admin → Suppressed addresses).`}
    >
      {entry.reason === 'complaint' ? 'complained' : entry.reason === 'bounce' ? 'bounced' : 'suppressed'}
    </Badge>
  );
}

/** The suppressed addresses a 409 recipient_suppressed names, or null for any other error. */
export function suppressedOf(err: unknown): Suppression[] | null {
  if (!(err instanceof ApiError) || err.code !== 'recipient_suppressed') return null;
  const list = err.details?.['suppressed'];
  return Array.isArray(list) ? (list as Suppression[]) : [];
}

/** Asks the server which of the typed addresses are suppressed, as the person types. */
export function useSuppressedCheck(projectKey: string, addresses: string[]): Suppression[] {
  const key = useDebounced(JSON.stringify([...new Set(addresses.filter((a) => a.includes('@')).map((a) => a.toLowerCase()))].sort()), 250);
  const [found, setFound] = useState<Suppression[]>([]);
  useEffect(() => {
    const list = JSON.parse(key) as string[];
    if (list.length === 0) {
      setFound([]);
      return;
    }
    let live = true;
    api
      .post<{ suppressed: Suppression[] }>(`/projects/${enc(projectKey)}/suppressions/check`, { addresses: list })
      .then((r) => live && setFound(r.suppressed))
      // Only a warning: a server without the check still refuses, and the refusal is shown.
      .catch(() => live && setFound([]));
    return () => {
      live = false;
    };
  }, [projectKey, key]);
  return found;
}

/** The warning above Send; with `insist` the Send button becomes "Send anyway". */
export function SuppressedWarning({ entries, insist }: { entries: Suppression[]; insist?: boolean }) {
  if (entries.length === 0) return null;
  return (
    <div className="notice notice-warn" role="alert" aria-label="Suppressed recipients">
      <div>
        {entries.map((s) => (
          <div key={s.address}>
            <strong>{s.address}</strong> {suppressionSentence(s)}.
          </div>
        ))}
        <div className="small">
          {insist
            ? 'Mail to it will most likely not arrive. Send anyway only if you know the address works again.'
            : 'Sending to it is refused unless you choose Send anyway.'}
        </div>
      </div>
    </div>
  );
}

const AUTH_TONE: Record<string, string> = { pass: 'ok', fail: 'bad', softfail: 'warn', temperror: 'warn', permerror: 'warn' };

/** One badge per inbound email: DMARC's verdict, with SPF and DKIM in its tooltip. */
export function AuthBadge({ auth }: { auth: MailAuth }) {
  const dkim = auth.dkim.signatures.length > 0 ? auth.dkim.signatures.map((s) => `${s.result} (${s.domain})`).join(', ') : 'no signature';
  const dmarc = `DMARC ${auth.dmarc.result}${auth.dmarc.policy ? ` (policy ${auth.dmarc.policy})` : ''} for ${auth.fromDomain ?? 'the From domain'}`;
  const spf = `SPF ${auth.spf.result}${auth.spf.clientIp ? ` from ${auth.spf.clientIp}` : ''}`;
  const title = `${dmarc} · ${spf} · DKIM ${dkim}`;
  const label =
    auth.dmarc.result === 'none' ? (auth.dkim.result === 'pass' || auth.spf.result === 'pass' ? 'no DMARC' : 'unauthenticated') : `DMARC ${auth.dmarc.result}`;
  return (
    <Badge tone={AUTH_TONE[auth.dmarc.result] ?? 'muted'} title={title}>
      {label}
    </Badge>
  );
}
