import { useState } from 'react';
import { ApiError, api, enc } from '../../api/client';
import { useInterval, useResource } from '../../api/hooks';
import { INBOUND_STATES, type InboundMessage, type InboundState } from '../../api/types';
import { CreateRecordDialog } from '../../components/CreateRecordDialog';
import { RawMessageButton } from '../../components/RawMessage';
import { Section, SettingsTable } from '../../components/Section';
import { Empty, ErrorNote, Flash, NotAvailable, Spinner, Tabs, useFlash } from '../../components/ui';
import { fullDate, shortDate } from '../../format';
import { AttachDialog } from './AttachDialog';
import { STATUS_REFRESH_MS } from './StatusPanel';

const STATE_LABEL: Record<InboundState, string> = {
  unmatched: 'Unmatched',
  rejected: 'Rejected',
  bounce: 'Bounces',
  auto_reply: 'Auto-replies',
  dismissed: 'Dismissed',
};

export function InboundSection() {
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
        <SettingsTable columns={['From', 'Subject', { label: 'Received', className: 'hide-narrow' }]}>
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
        </SettingsTable>
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
