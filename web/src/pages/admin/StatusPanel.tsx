import { useEffect, type ReactNode } from 'react';
import { ApiError } from '../../api/client';
import { useInterval, useResource } from '../../api/hooks';
import type { EmailStatusReport, OutboxCounts, PollResult } from '../../api/types';
import { Section } from '../../components/Section';
import { ErrorNote, Spinner, cx } from '../../components/ui';
import { fullDate, relative } from '../../format';
import { Link } from '../../router';

export function PollCounts({ result }: { result: PollResult }) {
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
export const STATUS_REFRESH_MS = 10_000;

/** Outbox counts and the last poll: GET /admin/email/status, or just /admin/email/outbox on servers without it. */
export function StatusPanel({ show, refreshKey }: { show: 'outbox' | 'poll'; refreshKey?: number }) {
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
      outbox.error ? (
        <ErrorNote error={outbox.error} what="The outbox status" />
      ) : (
        <Spinner />
      )
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
