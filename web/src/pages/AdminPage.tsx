import { CreateRecordDialog } from '../components/CreateRecordDialog';
import { RawMessageButton } from '../components/RawMessage';
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { API, ApiError, api, enc, fieldErrors, messageOf, query, unplaced } from '../api/client';
import { useDebounced, useInterval, useResource } from '../api/hooks';
import { INBOUND_STATES, type InboundState } from '../api/types';
import type { EmailStatusReport, InboundMessage, OutboxCounts, PollResult, Project, Security, SendingSettings, TestResult, TrackedEmail, TrackerRecord, TrackingSettings, User } from '../api/types';
import { SideNav } from '../components/SideNav';
import { Badge, Checkbox, Dialog, Empty, ErrorNote, Flash, NotAvailable, SelectField, Spinner, Tabs, TextField, cx, useFlash } from '../components/ui';
import { cleanSubject, fullDate, relative, shortDate } from '../format';
import { Link } from '../router';
import { useUser } from '../session';
import { TrackingAccountsPanel } from './admin/TrackingAccounts';
import { DkimSection, SuppressedSection, useSuppressedIndex } from './admin/Deliverability';
import { SuppressedBadge } from '../components/Suppression';

const SECTIONS = [
  { id: 'sending', label: 'Email sending' },
  { id: 'tracking', label: 'Email tracking' },
  { id: 'inbound', label: 'Unmatched mail' },
  { id: 'suppressed', label: 'Suppressed addresses' },
  { id: 'dkim', label: 'DKIM signing' },
  { id: 'users', label: 'Users' },
];

export function AdminPage({ section }: { section: string }) {
  const user = useUser();
  if (!user.isAdmin) {
    return (
      <div className="page page-narrow">
        <Empty title="For the server administrator" action={<Link to="/" className="btn">Back to your projects</Link>}>
          Only the Mailtrail administrator can change server settings.
        </Empty>
      </div>
    );
  }
  const known = SECTIONS.some((s) => s.id === section) ? section : 'sending';
  return (
    <div className="page">
      <div className="page-head">
        <div>
          <p className="eyebrow">Server</p>
          <h1>Administration</h1>
        </div>
      </div>
      <div className="settings-layout">
        <SideNav label="Administration sections" current={known} items={SECTIONS.map((s) => ({ ...s, to: `/admin/${s.id}` }))} />
        <div className="settings-main">
          {known === 'sending' && <SendingSection />}
          {known === 'tracking' && <TrackingSection />}
          {known === 'inbound' && <InboundSection />}
          {known === 'suppressed' && <SuppressedSection />}
          {known === 'dkim' && <DkimSection />}
          {known === 'users' && <UsersSection />}
        </div>
      </div>
    </div>
  );
}

function Section({ title, intro, children, actions }: { title: string; intro?: ReactNode; children: ReactNode; actions?: ReactNode }) {
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

function TestOutcome({ result }: { result: TestResult | null }) {
  if (!result) return null;
  return (
    <div className={cx('notice', result.ok ? 'notice-ok' : 'notice-error')} role="status">
      <strong>{result.ok ? 'Connected.' : 'Connection failed.'}</strong> {result.message}
    </div>
  );
}

const DEFAULT_PORT: Record<'smtp' | 'pop3' | 'imap' | 'graph', Record<Security, number>> = {
  smtp: { none: 25, starttls: 587, tls: 465 },
  graph: { none: 80, starttls: 443, tls: 443 },
  pop3: { none: 110, starttls: 110, tls: 995 },
  imap: { none: 143, starttls: 143, tls: 993 },
};

/** A settings resource that may be unset (404 other than route_not_found) or missing from the server. */
function useSettings<T>(path: string) {
  const res = useResource<T>(path);
  const missing = res.error instanceof ApiError && res.error.notAvailable;
  const unset = res.error instanceof ApiError && res.error.status === 404 && !missing;
  return { res, missing, unset };
}

function SecuritySelect({ value, onChange, error }: { value: Security; onChange: (s: Security) => void; error?: string | undefined }) {
  return (
    <SelectField label="Security" value={value} onChange={(e) => onChange(e.target.value as Security)} error={error}>
      <option value="none">None (plain)</option>
      <option value="starttls">STARTTLS</option>
      <option value="tls">TLS (implicit)</option>
    </SelectField>
  );
}

function SendingSection() {
  const { res, missing, unset } = useSettings<SendingSettings>('/admin/email/sending');
  const [form, setForm] = useState({
    host: '',
    port: '587',
    security: 'starttls' as Security,
    username: '',
    password: '',
    paused: false,
    onePerConnection: false,
    allowSelfSigned: false,
    maxConnections: '5',
  });
  const [dirty, setDirty] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<'save' | 'test' | null>(null);
  const [test, setTest] = useState<TestResult | null>(null);
  const [flash, setFlash] = useFlash();
  const data = res.data;
  // Options this server knows (a field it does not know would be refused as unknown).
  const has = (k: keyof SendingSettings) => !!data && k in data;

  useEffect(() => {
    if (!data) return;
    setForm({
      host: data.host ?? '',
      port: String(data.port || 587),
      security: data.security ?? 'starttls',
      username: data.username ?? '',
      password: '',
      paused: !!data.paused,
      onePerConnection: !!data.onePerConnection,
      allowSelfSigned: !!data.allowSelfSigned,
      maxConnections: String(data.maxConnections ?? 5),
    });
    setDirty(false);
  }, [data]);

  const set = <K extends keyof typeof form>(k: K, v: (typeof form)[K]) => {
    // A connection test said something about the settings as they were; not any more.
    setTest(null);
    setForm((f) => {
      const next = { ...f, [k]: v };
      if (k === 'security' && Number(f.port) === DEFAULT_PORT.smtp[f.security]) next.port = String(DEFAULT_PORT.smtp[v as Security]);
      return next;
    });
    setDirty(true);
  };

  const save = async () => {
    const body: Record<string, unknown> = { host: form.host.trim(), port: Number(form.port), security: form.security, username: form.username.trim() };
    if (form.password) body['password'] = form.password;
    if (has('paused')) body['paused'] = form.paused;
    if (has('onePerConnection')) body['onePerConnection'] = form.onePerConnection;
    if (has('allowSelfSigned')) body['allowSelfSigned'] = form.allowSelfSigned;
    if (has('maxConnections')) body['maxConnections'] = Number(form.maxConnections);
    const saved = await api.put<SendingSettings>('/admin/email/sending', body);
    if (saved && typeof saved === 'object') res.setData(saved);
    setForm((f) => ({ ...f, password: '' }));
    setDirty(false);
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy('save');
    setError(null);
    try {
      await save();
      setFlash('Saved');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };

  const runTest = async () => {
    setBusy('test');
    setError(null);
    setTest(null);
    try {
      if (dirty) await save();
      setTest(await api.post<TestResult>('/admin/email/sending/test'));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };

  const fe = fieldErrors(error, ['host', 'port', 'security', 'username', 'password', 'maxConnections']);
  return (
    <>
      <Section title="Email sending (SMTP)" intro="The SMTP server every tracked email and notification leaves through.">
        {missing ? (
          <NotAvailable what="Email sending settings" />
        ) : !data && !unset ? (
          res.error ? <ErrorNote error={res.error} onRetry={() => void res.reload()} /> : <Spinner />
        ) : (
          <form onSubmit={submit} className="stack">
            {data && data.configured === false && (
              <div className="notice notice-muted" role="note">
                Sending is not configured yet: tracked email waits in the outbox until it is.
              </div>
            )}
            <ErrorNote error={unplaced(error, fe)} what="Saving sending settings" />
            <div className="grid-3">
              <TextField label="Host" className="span-2" value={form.host} onChange={(e) => set('host', e.target.value)} placeholder="smtp.example.com" required error={fe['host']} />
              <TextField label="Port" type="number" min={1} max={65535} value={form.port} onChange={(e) => set('port', e.target.value)} required error={fe['port']} />
            </div>
            <div className="grid-3">
              <SecuritySelect value={form.security} onChange={(s) => set('security', s)} error={fe['security']} />
              <TextField label="Username" value={form.username} onChange={(e) => set('username', e.target.value)} autoComplete="off" error={fe['username']} hint="Empty: no authentication." />
              <TextField
                label="Password"
                type="password"
                value={form.password}
                onChange={(e) => set('password', e.target.value)}
                autoComplete="new-password"
                placeholder={data?.passwordSet ? '•••••••• (stored)' : 'not set'}
                hint="Write-only: leave empty to keep the stored one. Type it again when the host or port changes: the stored one goes only to the server it was saved for."
                error={fe['password']}
              />
            </div>
            <div className="checks">
              <Checkbox label="Pause sending" hint={has('paused') ? 'Emails wait in the outbox until you resume.' : 'Not supported by this server yet.'} checked={form.paused} disabled={!has('paused')} onChange={(e) => set('paused', e.target.checked)} />
              <Checkbox
                label="One message per connection"
                hint={has('onePerConnection') ? 'For servers that misbehave when a connection carries several messages.' : 'Not supported by this server yet.'}
                checked={form.onePerConnection}
                disabled={!has('onePerConnection')}
                onChange={(e) => set('onePerConnection', e.target.checked)}
              />
              {has('allowSelfSigned') && (
                <Checkbox label="Accept self-signed certificates" hint="For test servers and internal relays only." checked={form.allowSelfSigned} onChange={(e) => set('allowSelfSigned', e.target.checked)} />
              )}
            </div>
            {has('maxConnections') && (
              <div className="grid-3">
                <TextField label="Parallel connections" type="number" min={1} max={50} value={form.maxConnections} onChange={(e) => set('maxConnections', e.target.value)} error={fe['maxConnections']} />
              </div>
            )}
            <TestOutcome result={test} />
            <div className="form-actions">
              <Flash msg={flash} />
              <button type="button" className="btn" onClick={() => void runTest()} disabled={busy !== null || !form.host}>
                {busy === 'test' ? 'Testing…' : dirty ? 'Save & test connection' : 'Test connection'}
              </button>
              <button type="submit" className="btn btn-primary" disabled={busy !== null}>
                {busy === 'save' ? 'Saving…' : 'Save'}
              </button>
            </div>
          </form>
        )}
      </Section>
      <StatusPanel show="outbox" />
    </>
  );
}

function PollCounts({ result }: { result: PollResult }) {
  const items: [keyof PollResult, string][] = [
    ['fetched', 'fetched'],
    ['imported', 'imported'],
    ['forwarded', 'forwarded'],
    ['deletedUntracked', 'deleted untracked'],
    ['kept', 'kept'],
    ['rejected', 'rejected'],
  ];
  return (
    <dl className="counts">
      {items.map(([k, label]) => (
        <div key={k} className={cx('count', result[k] > 0 && 'count-on')}>
          <dt>{label}</dt>
          <dd>{result[k]}</dd>
        </div>
      ))}
    </dl>
  );
}

function OutboxCountsView({ counts }: { counts: OutboxCounts }) {
  return (
    <dl className="counts">
      <div className={cx('count', counts.pending > 0 && 'count-on')}>
        <dt>waiting to send</dt>
        <dd>{counts.pending}</dd>
      </div>
      <div className={cx('count', counts.failed > 0 && 'count-bad')}>
        <dt>failed</dt>
        <dd>{counts.failed}</dd>
      </div>
    </dl>
  );
}

/** How often the status panels look again: the poller and the outbox work on their own. */
const STATUS_REFRESH_MS = 10_000;

/** Outbox counts and the last poll: GET /admin/email/status, or just /admin/email/outbox on servers without it. */
function StatusPanel({ show, refreshKey }: { show: 'outbox' | 'poll'; refreshKey?: number }) {
  const status = useResource<EmailStatusReport>('/admin/email/status');
  const statusMissing = status.error instanceof ApiError && status.error.notAvailable;
  const needOutbox = show === 'outbox' && (statusMissing || (!!status.data && !status.data.outbox));
  const outbox = useResource<OutboxCounts>(needOutbox ? '/admin/email/outbox' : null);
  useEffect(() => {
    if (refreshKey) void status.reload();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [refreshKey]);
  const s = status.data;
  const counts = s?.outbox ?? outbox.data;
  const reload = () => {
    void status.reload();
    if (needOutbox) void outbox.reload();
  };
  useInterval(
    () => {
      if (!document.hidden) reload();
    },
    STATUS_REFRESH_MS,
    !statusMissing || needOutbox,
  );
  let body: ReactNode;
  if (show === 'outbox') {
    body = counts ? (
      <OutboxCountsView counts={counts} />
    ) : needOutbox ? (
      outbox.error ? <ErrorNote error={outbox.error} what="The outbox status" /> : <Spinner />
    ) : status.error ? (
      <ErrorNote error={status.error} what="Email status" />
    ) : (
      <Spinner />
    );
  } else {
    const held = (s?.inbound?.['unmatched'] ?? 0) + (s?.inbound?.['rejected'] ?? 0);
    body =
      status.error && !s ? (
        <ErrorNote error={status.error} what="The poll status" />
      ) : !s ? (
        <Spinner />
      ) : (
        <div className="stack">
          <p>
            Last poll: <strong>{s.lastPollAt ? relative(s.lastPollAt) : 'never'}</strong>
            {s.lastPollAt && <span className="muted small"> · {fullDate(s.lastPollAt)}</span>}
          </p>
          {s.lastPollError && (
            <div className="notice notice-error" role="note">
              <strong>Last error:</strong> {s.lastPollError}
            </div>
          )}
          {s.lastPollResult && <PollCounts result={s.lastPollResult} />}
          {held > 0 && (
            <p>
              <Link to="/admin/inbound">
                {held} {held === 1 ? 'message was' : 'messages were'} not filed by itself and {held === 1 ? 'waits' : 'wait'} for you →
              </Link>
            </p>
          )}
          {s.outbox && (
            <>
              <h3 className="card-subtitle">Outbox (tracked email and forwards)</h3>
              <OutboxCountsView counts={s.outbox} />
            </>
          )}
        </div>
      );
  }
  return (
    <Section
      title={show === 'outbox' ? 'Outbox' : 'Last poll'}
      actions={
        <button type="button" className="btn btn-small btn-ghost" onClick={reload} disabled={status.loading}>
          Refresh
        </button>
      }
    >
      {body}
    </Section>
  );
}

function TrackingSection() {
  const { res, missing, unset } = useSettings<TrackingSettings>('/admin/email/tracking');
  const [form, setForm] = useState({
    protocol: 'pop3' as 'pop3' | 'imap' | 'graph',
    host: '',
    port: '995',
    security: 'tls' as Security,
    username: '',
    password: '',
    address: '',
    pollSeconds: '60',
    deleteUntracked: false,
    allowSelfSigned: false,
    plusAddressing: false,
  });
  const [dirty, setDirty] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<'save' | 'test' | 'poll' | null>(null);
  const [test, setTest] = useState<TestResult | null>(null);
  const [poll, setPoll] = useState<PollResult | null>(null);
  // A poll that failed (server unreachable, 409 another poll running) is said where its counts would be.
  const [pollError, setPollError] = useState<unknown>(null);
  const [pollKey, setPollKey] = useState(0);
  const [flash, setFlash] = useFlash();
  const data = res.data;

  useEffect(() => {
    if (!data) return;
    setForm({
      protocol: data.protocol ?? 'pop3',
      host: data.host ?? '',
      port: String(data.port ?? 995),
      security: data.security ?? 'tls',
      username: data.username ?? '',
      password: '',
      address: data.address ?? '',
      pollSeconds: String(data.pollSeconds ?? 60),
      deleteUntracked: !!data.deleteUntracked,
      allowSelfSigned: !!data.allowSelfSigned,
      plusAddressing: !!data.plusAddressing,
    });
    setDirty(false);
  }, [data]);

  const set = <K extends keyof typeof form>(k: K, v: (typeof form)[K]) => {
    // A connection test said something about the settings as they were; not any more.
    setTest(null);
    setForm((f) => {
      const next = { ...f, [k]: v };
      if ((k === 'security' || k === 'protocol') && Number(f.port) === DEFAULT_PORT[f.protocol][f.security]) {
        next.port = String(DEFAULT_PORT[next.protocol][next.security]);
      }
      return next;
    });
    setDirty(true);
  };

  const body = (): Record<string, unknown> => {
    const b: Record<string, unknown> = {
      protocol: form.protocol,
      host: form.host.trim(),
      port: Number(form.port),
      security: form.security,
      username: form.username.trim(),
      address: form.address.trim(),
      pollSeconds: Number(form.pollSeconds),
      deleteUntracked: form.deleteUntracked,
    };
    if (form.password) b['password'] = form.password;
    if (data && 'allowSelfSigned' in data) b['allowSelfSigned'] = form.allowSelfSigned;
    if (data && 'plusAddressing' in data) b['plusAddressing'] = form.plusAddressing;
    return b;
  };

  const save = async () => {
    const saved = await api.put<TrackingSettings>('/admin/email/tracking', body());
    if (saved && typeof saved === 'object') res.setData(saved);
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
        setPollKey((k) => k + 1);
      }
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };

  const fe = fieldErrors(error, ['protocol', 'host', 'port', 'security', 'username', 'password', 'address', 'pollSeconds']);
  return (
    <>
      <TrackingAccountsPanel refreshKey={pollKey} />
      <Section title="Default tracking account" intro="The dedicated mailbox replies arrive in. Its address is the Reply-To of tracked email of every project without an account of its own.">
        {missing ? (
          <NotAvailable what="Email tracking settings" />
        ) : !data && !unset ? (
          res.error ? <ErrorNote error={res.error} onRetry={() => void res.reload()} /> : <Spinner />
        ) : (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              void act('save');
            }}
            className="stack"
          >
            <ErrorNote error={unplaced(error, fe)} what="Tracking" />
            <div className="grid-3">
              <SelectField label="Protocol" value={form.protocol} onChange={(e) => set('protocol', e.target.value as 'pop3' | 'imap' | 'graph')} error={fe['protocol']}>
                <option value="pop3">POP3</option>
                <option value="imap">IMAP</option>
                {/* Graph needs OAuth2, its folder and removal choice: set in the account list's dialog. */}
                {form.protocol === 'graph' && <option value="graph">Microsoft Graph (edit in the account list)</option>}
              </SelectField>
              <TextField label="Host" value={form.host} onChange={(e) => set('host', e.target.value)} placeholder="pop.example.com" required error={fe['host']} />
              <TextField label="Port" type="number" min={1} max={65535} value={form.port} onChange={(e) => set('port', e.target.value)} required error={fe['port']} />
            </div>
            <div className="grid-3">
              <SecuritySelect value={form.security} onChange={(s) => set('security', s)} error={fe['security']} />
              <TextField label="Username" value={form.username} onChange={(e) => set('username', e.target.value)} autoComplete="off" required error={fe['username']} />
              <TextField
                label="Password"
                type="password"
                value={form.password}
                onChange={(e) => set('password', e.target.value)}
                autoComplete="new-password"
                placeholder={data?.passwordSet ? '•••••••• (stored)' : 'not set'}
                hint="Write-only: leave empty to keep the stored one. Type it again when the host or port changes: the stored one goes only to the server it was saved for."
                error={fe['password']}
              />
            </div>
            <div className="grid-3">
              <TextField label="Address" className="span-2" type="email" value={form.address} onChange={(e) => set('address', e.target.value)} placeholder="tracker@example.com" required error={fe['address']} hint="Replies to tracked email are sent here." />
              <TextField label="Poll every (seconds)" type="number" min={5} value={form.pollSeconds} onChange={(e) => set('pollSeconds', e.target.value)} required error={fe['pollSeconds']} />
            </div>
            <div className="checks">
              <Checkbox
                label="Delete untracked mail"
                hint="Mail without a valid tracking cookie is deleted from the account. Off: it stays there, fetched once (and listed under Unmatched mail)."
                checked={form.deleteUntracked}
                onChange={(e) => set('deleteUntracked', e.target.checked)}
              />
              {data && 'allowSelfSigned' in data && (
                <Checkbox label="Accept self-signed certificates" hint="For test servers and internal mail hosts only." checked={form.allowSelfSigned} onChange={(e) => set('allowSelfSigned', e.target.checked)} />
              )}
              {data && 'plusAddressing' in data && (
                <Checkbox
                  label="Plus addressing"
                  hint="Reply-To becomes tracking+COOKIE@domain, so replies match even when a mail program drops headers. Some servers (Exchange) drop plus addresses."
                  checked={form.plusAddressing}
                  onChange={(e) => set('plusAddressing', e.target.checked)}
                />
              )}
            </div>
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
        )}
      </Section>
      <StatusPanel show="poll" refreshKey={pollKey} />
    </>
  );
}

const STATE_LABEL: Record<InboundState, string> = {
  unmatched: 'Unmatched',
  rejected: 'Rejected',
  bounce: 'Bounces',
  auto_reply: 'Auto-replies',
  dismissed: 'Dismissed',
};

/** Where an admin files the message: on the record itself, or under one of its emails (by id). */
const ON_RECORD = 'record';

/**
 * Files an inbound message by hand on a record: as a reply under one of its tracked emails
 * (forwarded like any reply), or on the record itself as a conversation of its own (never
 * forwarded; the only choice when the record has no email yet).
 */
function AttachDialog({ message, onClose, onDone }: { message: InboundMessage | null; onClose: () => void; onDone: (outcome: string) => void }) {
  const projects = useResource<{ projects: Project[] }>('/projects');
  const [projectKey, setProjectKey] = useState('');
  const [q, setQ] = useState('');
  const [record, setRecord] = useState<TrackerRecord | null>(null);
  const [target, setTarget] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const key = projectKey || projects.data?.projects[0]?.key || '';
  // A string, so the search waits for typing to pause and does not ask on every key.
  const search = useDebounced(q, 250);
  const records = useResource<{ records: TrackerRecord[] }>(key && message ? `/projects/${enc(key)}/records${query({ q: search, limit: 20, sort: 'updatedAt', order: 'desc' })}` : null, { keep: true });
  const emails = useResource<{ emails: TrackedEmail[] }>(record ? `/projects/${enc(key)}/records/${enc(record.id)}/emails` : null);

  useEffect(() => {
    setRecord(null);
    setTarget('');
    setError(null);
  }, [message]);

  const list = emails.data?.emails ?? [];
  // Without an email to reply under, the record itself is the only place.
  const chosen = record && emails.data && list.length === 0 ? ON_RECORD : target;

  const attach = async (body: { emailId: string } | { recordId: string }) => {
    if (!message) return;
    setBusy(true);
    setError(null);
    try {
      const res = await api.post<{ outcome?: { kind?: string } }>(`/admin/inbound/${enc(message.id)}/attach`, body);
      onDone(res.outcome?.kind ?? 'attached');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!record || !chosen) return;
    void attach(chosen === ON_RECORD ? { recordId: record.id } : { emailId: chosen });
  };

  return (
    <Dialog open={!!message} title="Attach to a record" onClose={onClose} wide>
      {message && (
        <form className="stack" onSubmit={submit}>
          <p className="muted small">
            “{message.subject || '(no subject)'}” from {message.from || 'an unknown sender'}. Filed as a reply under an email you pick, it is forwarded like any reply; filed on the record
            itself, it starts a conversation of its own and is not forwarded.
          </p>
          <ErrorNote error={error} what="Attaching mail" />
          {message.targetEmailId && (
            <div className="notice notice-muted">
              <span>The message names a tracked email.</span>
              <button type="button" className="btn btn-small" disabled={busy} onClick={() => void attach({ emailId: message.targetEmailId! })}>
                Attach it there
              </button>
            </div>
          )}
          <div className="grid-2">
            <SelectField
              label="Project"
              value={key}
              onChange={(e) => {
                setProjectKey(e.target.value);
                setRecord(null);
                setTarget('');
              }}
            >
              {(projects.data?.projects ?? []).map((p) => (
                <option key={p.key} value={p.key}>
                  {p.key} — {p.name}
                </option>
              ))}
            </SelectField>
            <TextField label="Find the record" type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder="Words in title or description" />
          </div>
          <div className="pick-list" role="radiogroup" aria-label="Record">
            {records.error ? (
              <ErrorNote error={records.error} />
            ) : !records.data ? (
              <Spinner />
            ) : records.data.records.length === 0 ? (
              <p className="muted small">No records match.</p>
            ) : (
              records.data.records.map((r) => (
                <label key={r.id} className={cx('pick', record?.id === r.id && 'is-on')}>
                  <input
                    type="radio"
                    name="record"
                    checked={record?.id === r.id}
                    onChange={() => {
                      setRecord(r);
                      setTarget('');
                    }}
                  />
                  <span className="mono">{r.tag}</span> {r.title}
                </label>
              ))
            )}
          </div>
          {record &&
            (emails.error ? (
              <ErrorNote error={emails.error} what="Tracked email" />
            ) : !emails.data ? (
              <Spinner />
            ) : list.length === 0 ? (
              <p className="muted small" role="note">
                {record.tag} has no tracked email yet: the message starts a conversation on {record.tag} and is not forwarded. Reply to it from the record to answer its sender.
              </p>
            ) : (
              <SelectField label="File it" value={target} onChange={(e) => setTarget(e.target.value)}>
                <option value="">Choose where in {record.tag}…</option>
                <option value={ON_RECORD}>On {record.tag} itself, as a conversation of its own (not forwarded)</option>
                <optgroup label="As a reply to (forwarded like any reply)">
                  {list.map((em) => (
                    <option key={em.id} value={em.id}>
                      {shortDate(em.date)} · {cleanSubject(em.subject)} ({em.fromName || em.from})
                    </option>
                  ))}
                </optgroup>
              </SelectField>
            ))}
          <div className="form-actions">
            <button type="button" className="btn btn-ghost" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="btn btn-primary" disabled={!record || !chosen || busy}>
              {busy ? 'Attaching…' : record && chosen === ON_RECORD ? `Attach to ${record.tag}` : 'Attach'}
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}

function InboundSection() {
  const [state, setState] = useState<InboundState>('unmatched');
  const inbound = useResource<{ messages: InboundMessage[] }>(`/admin/inbound?state=${state}`);
  const [attaching, setAttaching] = useState<InboundMessage | null>(null);
  const [creating, setCreating] = useState<InboundMessage | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [flash, setFlash] = useFlash();
  const missing = inbound.error instanceof ApiError && inbound.error.notAvailable;
  // The poller keeps filing mail while the page is open; new unmatched mail shows up by itself.
  useInterval(
    () => {
      if (!document.hidden) void inbound.reload();
    },
    STATUS_REFRESH_MS,
    !missing,
  );
  const drop = (id: string) => inbound.setData((old) => ({ messages: (old?.messages ?? []).filter((x) => x.id !== id) }));

  const act = async (m: InboundMessage, what: 'dismiss' | 'reprocess') => {
    setError(null);
    try {
      const res = await api.post<{ outcome?: { kind?: string; reason?: string } }>(`/admin/inbound/${enc(m.id)}/${what}`);
      if (what === 'dismiss') {
        drop(m.id);
        setFlash('Dismissed');
      } else {
        setFlash(`Processed again: ${res.outcome?.kind ?? 'done'}${res.outcome?.reason ? ` (${res.outcome.reason})` : ''}`);
        await inbound.reload();
      }
    } catch (err) {
      setError(err);
    }
  };

  return (
    <Section title="Unmatched mail" intro="Mail the tracking account received that was not filed on a record by itself." actions={<Flash msg={flash} />}>
      <Tabs label="Which mail" value={state} onChange={setState} tabs={INBOUND_STATES.map((id) => ({ id, label: STATE_LABEL[id] }))} />
      <ErrorNote error={error} />
      {missing ? (
        <NotAvailable what="Unmatched mail" />
      ) : inbound.error ? (
        <ErrorNote error={inbound.error} onRetry={() => void inbound.reload()} />
      ) : !inbound.data ? (
        <Spinner />
      ) : inbound.data.messages.length === 0 ? (
        <Empty title={`No ${STATE_LABEL[state].toLowerCase()} mail`}>
          {state === 'unmatched'
            ? 'Every reply found its record. Mail without a tracking cookie shows up here when the account keeps it.'
            : state === 'rejected'
              ? 'No mail was turned away (forged or expired tracking cookies show up here).'
              : 'Nothing here.'}
        </Empty>
      ) : (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">From</th>
                <th scope="col">Subject</th>
                <th scope="col" className="hide-narrow">
                  Received
                </th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {inbound.data.messages.map((m) => (
                <tr key={m.id}>
                  <td className="ellipsis">{m.from || <span className="muted">unknown</span>}</td>
                  <td>
                    {m.subject || <span className="muted">(no subject)</span>}
                    {(m.message || m.reason) && <div className="muted small">{m.message || m.reason}</div>}
                  </td>
                  <td className="hide-narrow muted" title={fullDate(m.receivedAt)}>
                    {shortDate(m.receivedAt)}
                  </td>
                  <td className="actions">
                    {(state === 'unmatched' || state === 'rejected') && (
                      <button type="button" className="btn btn-small btn-primary" onClick={() => setCreating(m)}>
                        Create record…
                      </button>
                    )}
                    {state !== 'dismissed' && (
                      <button type="button" className="btn btn-small" onClick={() => setAttaching(m)}>
                        Attach…
                      </button>
                    )}
                    {m.canRetry && (
                      <button type="button" className="btn btn-small btn-ghost" onClick={() => void act(m, 'reprocess')}>
                        Retry
                      </button>
                    )}
                    <RawMessageButton path={`/admin/inbound/${enc(m.id)}/raw`} label="Raw" />
                    {state !== 'dismissed' && (
                      <button type="button" className="btn btn-small btn-ghost" onClick={() => void act(m, 'dismiss')}>
                        Dismiss
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <CreateRecordDialog
        message={creating}
        onClose={() => setCreating(null)}
        onDone={({ recordId, projectKey }) => {
          if (creating) drop(creating.id);
          setCreating(null);
          setFlash(recordId ? `Record created in ${projectKey}` : 'Done');
        }}
      />
      <AttachDialog
        message={attaching}
        onClose={() => setAttaching(null)}
        onDone={(kind) => {
          if (attaching) drop(attaching.id);
          setAttaching(null);
          setFlash(kind === 'attached' ? 'Attached' : `Done: ${kind}`);
        }}
      />
    </Section>
  );
}

function UserDialog({ user, open, onClose, onSaved }: { user: User | null; open: boolean; onClose: () => void; onSaved: (u: User) => void }) {
  const me = useUser();
  const [form, setForm] = useState({ username: '', fullName: '', email: '', password: '', disabled: false });
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (!open) return;
    setForm({ username: user?.username ?? '', fullName: user?.fullName ?? '', email: user?.email ?? '', password: '', disabled: user?.disabled ?? false });
    setError(null);
  }, [open, user]);
  const fe = fieldErrors(error, ['username', 'fullName', 'email', 'password']);
  const set = <K extends keyof typeof form>(k: K, v: (typeof form)[K]) => setForm((f) => ({ ...f, [k]: v }));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      let saved: User;
      if (user) {
        const patch: Record<string, unknown> = {};
        if (form.fullName !== user.fullName) patch['fullName'] = form.fullName.trim();
        if (form.email !== user.email) patch['email'] = form.email.trim();
        if (form.password) patch['password'] = form.password;
        if (form.disabled !== user.disabled) patch['disabled'] = form.disabled;
        saved = Object.keys(patch).length > 0 ? await api.patch<User>(`/users/${enc(user.username)}`, patch) : user;
      } else {
        saved = await api.post<User>('/users', { username: form.username.trim(), fullName: form.fullName.trim(), email: form.email.trim(), password: form.password });
      }
      onSaved(saved);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog open={open} title={user ? `Edit ${user.username}` : 'Add user'} onClose={onClose}>
      <form className="stack" onSubmit={submit}>
        <ErrorNote error={unplaced(error, fe)} />
        {!user && <TextField label="Username" value={form.username} onChange={(e) => set('username', e.target.value)} required autoFocus autoComplete="off" error={fe['username']} hint="Letters, digits, dots, dashes; used to sign in." />}
        <TextField label="Full name" value={form.fullName} onChange={(e) => set('fullName', e.target.value)} required autoFocus={!!user} error={fe['fullName']} />
        <TextField label="Email" type="email" value={form.email} onChange={(e) => set('email', e.target.value)} required error={fe['email']} />
        <TextField
          label={user ? 'New password' : 'Password'}
          type="password"
          autoComplete="new-password"
          value={form.password}
          onChange={(e) => set('password', e.target.value)}
          required={!user}
          error={fe['password']}
          hint={user ? 'Leave empty to keep the current password.' : undefined}
        />
        {user && user.username !== me.username && !user.isAdmin && (
          <Checkbox label="Disabled" hint="A disabled user cannot sign in and receives no notifications." checked={form.disabled} onChange={(e) => set('disabled', e.target.checked)} />
        )}
        <div className="form-actions">
          <button type="button" className="btn btn-ghost" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Saving…' : user ? 'Save' : 'Add user'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function UsersSection() {
  const users = useResource<{ users: User[] }>('/users');
  const suppressed = useSuppressedIndex();
  const [editing, setEditing] = useState<User | null>(null);
  const [adding, setAdding] = useState(false);
  const [filter, setFilter] = useState('');
  const [flash, setFlash] = useFlash();
  const f = filter.trim().toLowerCase();
  const list = (users.data?.users ?? []).filter((u) => !f || u.username.toLowerCase().includes(f) || u.fullName.toLowerCase().includes(f) || u.email.toLowerCase().includes(f));
  return (
    <Section
      title="Users"
      intro="People who can sign in. Add them to projects from each project's settings."
      actions={
        <div className="row">
          <Flash msg={flash} />
          <button type="button" className="btn btn-primary" onClick={() => setAdding(true)}>
            Add user
          </button>
        </div>
      }
    >
      {users.error ? (
        <ErrorNote error={users.error} onRetry={() => void users.reload()} />
      ) : !users.data ? (
        <Spinner />
      ) : (
        <>
          <div className="toolbar">
            <div className="search">
              <input type="search" aria-label="Filter users" placeholder="Filter users…" value={filter} onChange={(e) => setFilter(e.target.value)} />
            </div>
            <span className="muted small">{users.data.users.length} users</span>
          </div>
          <div className="table-wrap">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">User</th>
                  <th scope="col">Email</th>
                  <th scope="col" className="hide-narrow">
                    Since
                  </th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.map((u) => (
                  <tr key={u.id} className={cx(u.disabled && 'row-disabled')}>
                    <td>
                      <strong>{u.fullName || u.username}</strong> <span className="muted mono small">{u.username}</span>
                      {u.isAdmin && (
                        <>
                          {' '}
                          <Badge tone="accent">admin</Badge>
                        </>
                      )}
                      {u.disabled && (
                        <>
                          {' '}
                          <Badge tone="muted">disabled</Badge>
                        </>
                      )}
                    </td>
                    <td className="ellipsis">
                      {u.email}
                      {suppressed.get(u.email.toLowerCase()) && (
                        <>
                          {' '}
                          <SuppressedBadge entry={suppressed.get(u.email.toLowerCase())!} />
                        </>
                      )}
                    </td>
                    <td className="hide-narrow muted">{shortDate(u.createdAt)}</td>
                    <td className="actions">
                      <button type="button" className="btn btn-small btn-ghost" onClick={() => setEditing(u)} aria-label={`Edit ${u.username}`}>
                        Edit
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      <UserDialog
        open={adding || editing !== null}
        user={editing}
        onClose={() => {
          setAdding(false);
          setEditing(null);
        }}
        onSaved={(u) => {
          setFlash(adding ? `Added ${u.username}` : 'Saved');
          setAdding(false);
          setEditing(null);
          void users.reload();
        }}
      />
    </Section>
  );
}

