/** Pieces the server-connection forms (sending, tracking) share: ports, security, test results, a settings resource. */
import { ApiError } from '../../api/client';
import { useResource } from '../../api/hooks';
import type { Security, TestResult } from '../../api/types';
import { SelectField, cx } from '../../components/ui';

export function TestOutcome({ result }: { result: TestResult | null }) {
  if (!result) return null;
  return (
    <div className={cx('notice', result.ok ? 'notice-ok' : 'notice-error')} role="status">
      <strong>{result.ok ? 'Connected.' : 'Connection failed.'}</strong> {result.message}
    </div>
  );
}

/** The usual port of each protocol under each security; Microsoft Graph is HTTPS (graph.microsoft.com:443, TLS). */
export const DEFAULT_PORT: Record<'smtp' | 'pop3' | 'imap' | 'graph', Record<Security, number>> = {
  smtp: { none: 25, starttls: 587, tls: 465 },
  graph: { none: 80, starttls: 443, tls: 443 },
  pop3: { none: 110, starttls: 110, tls: 995 },
  imap: { none: 143, starttls: 143, tls: 993 },
};

/** A settings resource that may be unset (404 other than route_not_found) or missing from the server. */
export function useSettings<T>(path: string) {
  const res = useResource<T>(path);
  const missing = res.error instanceof ApiError && res.error.notAvailable;
  const unset = res.error instanceof ApiError && res.error.status === 404 && !missing;
  return { res, missing, unset };
}

export function SecuritySelect({ value, onChange, error }: { value: Security; onChange: (s: Security) => void; error?: string | undefined }) {
  return (
    <SelectField label="Security" value={value} onChange={(e) => onChange(e.target.value as Security)} error={error}>
      <option value="none">None (plain)</option>
      <option value="starttls">STARTTLS</option>
      <option value="tls">TLS (implicit)</option>
    </SelectField>
  );
}
