import { useEffect, useState } from 'react';
import { api, enc } from '../api/client';
import { useResource } from '../api/hooks';
import { DELIVERIES, NOTIFY_EVENTS, type AppNotification, type Delivery, type MyWork, type NotificationSettings, type NotifyEvent } from '../api/types';
import { NOTIFICATIONS_CHANGED } from '../components/Bell';
import { Empty, ErrorNote, Flash, SelectField, Spinner, StatusPill, useFlash } from '../components/ui';
import { relative } from '../format';
import { recordPath } from '../paths';
import { rememberProject, useProjects } from '../project';
import { Link } from '../router';
import { ProjectError } from './ProjectIndex';

const EVENT_LABEL: Record<NotifyEvent, string> = {
  mentioned: 'Someone @mentions you',
  assigned: 'A record is assigned to you',
  changed: 'A record you watch changes',
  commented: 'Someone comments on a record you watch',
};

const DELIVERY_LABEL: Record<Delivery, string> = {
  immediate: 'Email me at once',
  batch: 'Email me, batched per record',
  digest: 'In my daily digest',
  app: 'Only here (bell and My work)',
  never: 'Never',
};

type Brief = MyWork['assigned'][number];

function RecordList({ projectKey, records, empty }: { projectKey: string; records: Brief[]; empty: string }) {
  if (records.length === 0) return <p className="muted small">{empty}</p>;
  return (
    <ul className="work-list">
      {records.map((r) => (
        <li key={r.id}>
          <Link to={recordPath(projectKey, r)} className="work-row">
            <span className="mono record-tag">{r.tag}</span>
            <span className="work-title">{r.title}</span>
            <StatusPill status={r.status} />
            <time className="muted small">{relative(r.updatedAt)}</time>
          </Link>
        </li>
      ))}
    </ul>
  );
}

function Inbox({ projectKey }: { projectKey: string }) {
  const list = useResource<{ unread: number; notifications: AppNotification[] }>('/me/notifications?limit=50');
  const [error, setError] = useState<unknown>(null);
  const mark = async (ids?: string[]) => {
    setError(null);
    try {
      await api.post('/me/notifications/read', ids ? { ids } : {});
      window.dispatchEvent(new Event(NOTIFICATIONS_CHANGED));
      await list.reload();
    } catch (err) {
      setError(err);
    }
  };
  const items = list.data?.notifications ?? [];
  return (
    <section className="card" aria-label="Notifications">
      <div className="card-title-row">
        <h2 className="card-title">Notifications {list.data && list.data.unread > 0 && <span className="tab-count">{list.data.unread} unread</span>}</h2>
        {list.data && list.data.unread > 0 && (
          <button type="button" className="btn btn-small" onClick={() => void mark()}>
            Mark all read
          </button>
        )}
      </div>
      <ErrorNote error={error ?? list.error} what="Notifications" />
      {!list.data ? (
        !list.error && <Spinner />
      ) : items.length === 0 ? (
        <p className="muted small">Nothing yet. Watch a record, or wait for someone to @mention you.</p>
      ) : (
        <ul className="notification-list">
          {items.map((n) => (
            <li key={n.id} className={n.readAt ? 'is-read' : 'is-unread'}>
              <Link to={recordPath(n.projectKey, n.record)} onClick={() => !n.readAt && void mark([n.id])}>
                <span className="notification-summary">{n.summary}</span>
                {n.detail && n.kind !== 'assigned' && <span className="notification-detail">{n.detail.slice(0, 200)}</span>}
              </Link>
              <span className="muted small">
                {n.projectKey !== projectKey && `${n.projectKey} · `}
                {relative(n.createdAt)}
              </span>
              {!n.readAt && (
                <button type="button" className="btn btn-small btn-ghost" aria-label={`Mark “${n.summary}” read`} onClick={() => void mark([n.id])}>
                  ✓
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function SettingsCard({ projectKey }: { projectKey: string }) {
  const path = `/projects/${enc(projectKey)}/notification-settings`;
  const settings = useResource<NotificationSettings>(path);
  const [error, setError] = useState<unknown>(null);
  const [flash, setFlash] = useFlash();
  const save = async (change: { events?: Partial<Record<NotifyEvent, Delivery>>; digestHour?: number; timeZone?: string | null }) => {
    setError(null);
    try {
      settings.setData(await api.put<NotificationSettings>(path, change));
      setFlash('Saved');
    } catch (err) {
      setError(err);
    }
  };
  const s = settings.data;
  return (
    <section className="card" aria-label="Notification settings">
      <div className="card-title-row">
        <h2 className="card-title">Notification settings</h2>
        <Flash msg={flash} />
      </div>
      <p className="muted small card-intro">
        What reaches you in this project, and how. Every notification also shows under the bell; a batch is one email per record once it has been quiet for two
        minutes.
      </p>
      <ErrorNote error={error ?? settings.error} what="Notification settings" />
      {!s ? (
        !settings.error && <Spinner />
      ) : (
        <div className="stack">
          {NOTIFY_EVENTS.map((e) => (
            <SelectField key={e} label={EVENT_LABEL[e]} value={s.events[e]} onChange={(ev) => void save({ events: { [e]: ev.target.value as Delivery } })}>
              {DELIVERIES.map((d) => (
                <option key={d} value={d}>
                  {DELIVERY_LABEL[d]}
                </option>
              ))}
            </SelectField>
          ))}
          <SelectField label="Daily digest at" value={String(s.digestHour)} onChange={(ev) => void save({ digestHour: Number(ev.target.value) })}>
            {Array.from({ length: 24 }, (_, h) => (
              <option key={h} value={h}>
                {`${String(h).padStart(2, '0')}:00`}
              </option>
            ))}
          </SelectField>
          <p className="muted small">
            In {s.timeZone ?? `${s.serverTimeZone} (the server's time zone)`}: one email with a section per record; reply to a section and it is filed on that
            record.
          </p>
        </div>
      )}
    </section>
  );
}

/** My work: what is yours to do in the project, what you follow, where you were asked, and the inbox. */
export function MyWorkPage({ projectKey }: { projectKey: string }) {
  const { current } = useProjects();
  useEffect(() => rememberProject(projectKey), [projectKey]);
  const work = useResource<MyWork>(`/projects/${enc(projectKey)}/my-work`);
  if (current?.error) return <ProjectError error={current.error} />;
  return (
    <div className="page">
      <div className="page-head">
        <h1>My work</h1>
      </div>
      <ErrorNote error={work.error} onRetry={() => void work.reload()} />
      <div className="work-layout">
        <div className="record-main">
          <Inbox projectKey={projectKey} />
          {!work.data ? (
            !work.error && <Spinner />
          ) : (
            <>
              <section className="card" aria-label="Assigned to me">
                <h2 className="card-title">Assigned to me</h2>
                <RecordList projectKey={projectKey} records={work.data.assigned} empty="Nothing open is assigned to you." />
              </section>
              <section className="card" aria-label="Watching">
                <h2 className="card-title">Watching</h2>
                <RecordList projectKey={projectKey} records={work.data.watching} empty="You watch no record here. Use Watch on a record to follow it." />
              </section>
              <section className="card" aria-label="Mentioned">
                <h2 className="card-title">Mentioned</h2>
                {work.data.mentioned.length === 0 ? (
                  <Empty title="No mentions">When someone writes @you in a comment, it shows here.</Empty>
                ) : (
                  <ul className="notification-list">
                    {work.data.mentioned.map((n) => (
                      <li key={n.id}>
                        <Link to={recordPath(projectKey, n.record)}>
                          <span className="notification-summary">{n.summary}</span>
                          <span className="notification-detail">{n.detail.slice(0, 200)}</span>
                        </Link>
                        <span className="muted small">{relative(n.createdAt)}</span>
                      </li>
                    ))}
                  </ul>
                )}
              </section>
            </>
          )}
        </div>
        <aside>
          <SettingsCard projectKey={projectKey} />
        </aside>
      </div>
    </div>
  );
}
