import { Participants } from '../components/Participants';
import { Fragment, useEffect, useMemo, useState, type ReactNode } from 'react';
import { ApiError, api, enc } from '../api/client';
import { useInterval, useResource } from '../api/hooks';
import type { EditConflict, EmailDraft, EmailOptions, Member, RecordEvent, Suppression, TrackedEmail, TrackerRecord } from '../api/types';
import { Compose } from '../components/Compose';
import { EmailThreads, senderName } from '../components/EmailThread';
import { MergeDialog } from '../components/MergeDialog';
import { RecordForm, draftOf, patchOf, type RecordDraft } from '../components/RecordForm';
import { RecordHistory } from '../components/RecordHistory';
import { Comments } from '../components/Comments';
import { RecordFiles } from '../components/RecordFiles';
import { RecordLinks } from '../components/RecordLinks';
import { StatusMove } from '../components/StatusMove';
import { TypeContent } from '../components/TypeContent';
import { WatchButton, WatcherListCard, useWatchers } from '../components/Watchers';
import { useUser } from '../session';
import { Avatar, Empty, EmailStatusBadge, ErrorNote, NotAvailable, Spinner, StatusPill, Tabs, useFlash, Flash } from '../components/ui';
import { cleanSubject, displayName, fullDate, relative, shortDate } from '../format';
import { rememberProject, useProjects } from '../project';
import { TYPE_INFO, can } from '../recordTypes';
import { CATEGORY_LABEL, PRIORITY_LABEL, SEVERITY_LABEL, useTrackerConfig } from '../tracker';
import { Link, useLocation, useNavigate, useSearchParams } from '../router';
import { recordPath } from '../paths';
import { ProjectError } from './ProjectIndex';
import { useMembers } from './RecordsPage';

/** How often an open record looks for newly arrived replies when nothing of its own is being sent. */
const NEW_MAIL_POLL_MS = 10_000;

function LatestEmails({ emails, onOpen }: { emails: TrackedEmail[]; onOpen: () => void }) {
  const latest = [...emails].sort((a, b) => (a.date < b.date ? 1 : -1)).slice(0, 3);
  return (
    <ul className="latest-mail">
      {latest.map((e) => (
        <li key={e.id}>
          <button type="button" className="latest-row" onClick={onOpen}>
            <span className="latest-dir" aria-label={e.direction === 'inbound' ? 'received' : 'sent'}>
              {e.direction === 'inbound' ? '↙' : '↗'}
            </span>
            <span className="latest-from">{e.direction === 'inbound' ? senderName(e) : `to ${displayName(e.to[0] ?? '')}`}</span>
            <span className="latest-snippet">
              <strong>{cleanSubject(e.subject)}</strong> — {(e.direction === 'inbound' ? e.replyText || e.text : e.text).replace(/\s+/g, ' ').slice(0, 120)}
            </span>
            <EmailStatusBadge status={e.status} error={e.error} />
            <time className="muted small">{shortDate(e.date)}</time>
          </button>
        </li>
      ))}
    </ul>
  );
}

export function RecordPage({ projectKey, recordId }: { projectKey: string; recordId: string }) {
  const { current } = useProjects();
  const [params, setParams] = useSearchParams();
  // recordId is what the address holds: the readable tag (DEMO-D4), or an internal id from an
  // older link, which the server resolves too; everything after that goes by the internal id.
  const record = useResource<TrackerRecord>(`/projects/${enc(projectKey)}/records/${enc(recordId)}`);
  const base = record.data ? `/projects/${enc(projectKey)}/records/${enc(record.data.id)}` : '';
  const history = useResource<{ events: RecordEvent[] }>(base ? `${base}/history` : null);
  const navigate = useNavigate();
  const { search } = useLocation();
  const tag = record.data?.tag;
  useEffect(() => {
    if (tag && recordId !== tag) navigate(recordPath(projectKey, { tag }) + search, { replace: true });
  }, [tag, recordId, projectKey, search, navigate]);
  const members = useMembers(projectKey);
  const me = useUser();
  const watchers = useWatchers(projectKey, record.data?.id);
  const tracker = useTrackerConfig(projectKey);
  const commands = current?.data?.commands;
  const type = record.data?.type;
  const mayViewEmail = !!type && can(commands, type, 'viewTrackedEmail');
  const emails = useResource<{ emails: TrackedEmail[]; suppressed?: Suppression[] }>(mayViewEmail && base ? `${base}/emails` : null, { keep: true });
  const options = useResource<EmailOptions>(mayViewEmail ? `/projects/${enc(projectKey)}/options/email` : null);
  const [editing, setEditing] = useState(false);
  const [conflict, setConflict] = useState<{ details: EditConflict; base: RecordDraft; mine: RecordDraft } | null>(null);
  // Your drafts on this record, kept by the server: an email being written reopens as it was left.
  const maySendHere = !!type && can(commands, type, 'sendTrackedEmail');
  const drafts = useResource<{ drafts: EmailDraft[] }>(maySendHere && base ? `${base}/drafts` : null);
  const newDraft = drafts.data?.drafts.find((d) => d.kind === 'new');
  const [composing, setComposing] = useState(false);
  const [startError, setStartError] = useState<unknown>(null);
  const startDraft = async () => {
    setComposing(true);
    setStartError(null);
    try {
      const d = await api.post<EmailDraft>(`${base}/drafts`, {});
      drafts.setData((old) => ({ drafts: [...(old?.drafts ?? []), d] }));
    } catch (err) {
      setStartError(err);
    } finally {
      setComposing(false);
    }
  };
  const [flash, setFlash] = useFlash();
  useEffect(() => rememberProject(projectKey), [projectKey]);
  const loadedTitle = record.data ? `${record.data.tag} ${record.data.title}` : null;
  useEffect(() => {
    if (loadedTitle) document.title = `${loadedTitle} · Mailtrail`;
  }, [loadedTitle]);

  const emailList = emails.data?.emails ?? [];
  const queued = emailList.some((e) => e.status === 'queued');
  // While something waits in the outbox, watch it leave (or fail): often at first, then calmer.
  const [pollMs, setPollMs] = useState(2000);
  useEffect(() => {
    if (!queued) setPollMs(2000);
  }, [queued]);
  // Replies (and the forwards of them) arrive without anyone here doing anything: the tracking
  // poller files them. Look for them now and then, only while the page is in sight.
  useInterval(
    () => {
      if (!queued && document.hidden) return;
      void emails.reload();
      if (queued) setPollMs((ms) => Math.min(15000, Math.round(ms * 1.3)));
    },
    queued ? pollMs : NEW_MAIL_POLL_MS,
    mayViewEmail,
  );

  const memberList: Member[] = useMemo(() => members.data?.members ?? [], [members.data]);
  const names = useMemo(() => new Map(memberList.map((m) => [m.username, m.fullName || m.username])), [memberList]);

  if (current?.error) return <ProjectError error={current.error} />;
  if (record.error) {
    if (record.error instanceof ApiError && (record.error.status === 404 || record.error.status === 403)) {
      return (
        <div className="page page-narrow">
          <Empty title={record.error.status === 404 ? 'No such record' : 'Not allowed'} action={<Link to={`/projects/${enc(projectKey)}`} className="btn">Back to the project</Link>}>
            {record.error.message}
          </Empty>
        </div>
      );
    }
    return (
      <div className="page">
        <ErrorNote error={record.error} onRetry={() => void record.reload()} />
      </div>
    );
  }
  const r = record.data;
  if (!r || !current?.data) return <Spinner />;
  const typeFields = tracker.fields(r.type);
  const labels = Object.fromEntries([['priority', 'priority'], ['severity', 'severity'], ...typeFields.map((f) => [`fields.${f.key}`, f.label])]);
  const info = TYPE_INFO[r.type];
  const mayEdit = can(commands, r.type, 'edit');
  const maySend = can(commands, r.type, 'sendTrackedEmail');
  const tab = params.get('tab') === 'email' && mayViewEmail ? 'email' : 'overview';
  const setTab = (t: 'overview' | 'email') => setParams({ tab: t === 'email' ? 'email' : null }, { replace: true });
  const emailsMissing = emails.error instanceof ApiError && emails.error.notAvailable;

  // Saves only what this person changed, from the version they opened; if someone saved in
  // between, the server refuses (409) and the merge dialog takes over with both versions.
  const saveFrom = async (before: RecordDraft, d: RecordDraft, version: number) => {
    const patch = patchOf(before, d);
    if (Object.keys(patch).length > 0) {
      try {
        const updated = await api.patch<TrackerRecord>(base, { ...patch, version });
        record.setData(updated);
        setFlash('Saved');
      } catch (err) {
        if (err instanceof ApiError && err.code === 'edit_conflict' && err.details) {
          const details = err.details as unknown as EditConflict;
          setConflict({ details, base: before, mine: d });
          void history.reload();
          return false;
        }
        throw err;
      }
      await history.reload();
    }
    setConflict(null);
    setEditing(false);
    return true;
  };
  const save = async (d: RecordDraft) => void (await saveFrom(draftOf(r), d, r.version));

  const tabs: { id: 'overview' | 'email'; label: ReactNode }[] = [{ id: 'overview', label: 'Overview' }];
  if (mayViewEmail) {
    tabs.push({
      id: 'email',
      label: (
        <>
          Email{emails.data && <span className="tab-count">{emailList.length}</span>}
          {queued && <span className="dot-pulse" aria-label="sending" />}
        </>
      ),
    });
  }

  return (
    <div className="page">
      {conflict && (
        <MergeDialog
          key={conflict.details.current.version}
          conflict={conflict.details}
          base={conflict.base}
          mine={conflict.mine}
          members={memberList}
          onClose={() => setConflict(null)}
          onDiscardMine={() => {
            record.setData(conflict.details.current);
            setConflict(null);
            setEditing(false);
            setFlash(`Showing ${conflict.details.current.tag} as saved by the others`);
          }}
          onSave={async (merged, version) => {
            // The merge is based on what is stored now: only fields that differ from it are sent.
            const ok = await saveFrom(draftOf(conflict.details.current), merged, version);
            if (ok) setFlash('Merged and saved');
          }}
        />
      )}
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link to={`/projects/${enc(projectKey)}`}>{current.data.name}</Link>
        <span aria-hidden="true">/</span>
        <Link to={`/projects/${enc(projectKey)}/${r.type}`}>{info.many}</Link>
        <span aria-hidden="true">/</span>
        <span aria-current="page">{r.tag}</span>
      </nav>
      <div className="record-head">
        <div className="record-title">
          <span className="record-tag mono">{r.tag}</span>
          <h1>{r.title}</h1>
        </div>
        <div className="record-head-actions">
          <Flash msg={flash} />
          <WatchButton projectKey={projectKey} recordId={r.id} username={me.username} watchers={watchers} onChanged={() => void history.reload()} />
          {mayEdit && !editing && (
            <button
              type="button"
              className="btn"
              onClick={() => {
                setTab('overview');
                setEditing(true);
              }}
            >
              Edit
            </button>
          )}
          {maySend && (
            <button
              type="button"
              className="btn btn-primary"
              onClick={() => {
                setTab('email');
                setComposing(true);
              }}
            >
              ✉ Email
            </button>
          )}
        </div>
      </div>
      <div className="record-meta">
        <StatusPill status={r.status} />
        {r.statusCategory && <span className="muted small">{CATEGORY_LABEL[r.statusCategory]}</span>}
        {mayEdit && !editing && <StatusMove workflow={tracker.workflow(r.type)} status={r.status} onMove={(to) => save({ ...draftOf(r), status: to })} />}
        <span>
          {info.one} · opened by <strong>{names.get(r.creator) ?? r.creator}</strong> <time title={fullDate(r.createdAt)}>{relative(r.createdAt)}</time>
        </span>
      </div>

      <Tabs label="Record sections" tabs={tabs} value={tab} onChange={setTab} />

      {tab === 'overview' ? (
        <div className="record-layout" role="tabpanel" aria-label="Overview">
          <div className="record-main">
            {editing ? (
              <section className="card">
                <h2 className="card-title">Edit {info.one.toLowerCase()}</h2>
                <div
                  onKeyDown={(e) => {
                    if (e.key === 'Escape') setEditing(false);
                  }}
                >
                  <RecordForm initial={draftOf(r)} members={memberList} statuses={[r.status]} workflow={tracker.workflow(r.type)} fields={typeFields} currentStatus={r.status} submitLabel="Save changes" busyLabel="Saving…" onSubmit={save} onCancel={() => setEditing(false)} />
                </div>
              </section>
            ) : (
              <section className="card">
                <h2 className="card-title">Description</h2>
                {r.description ? <div className="description">{r.description}</div> : <p className="muted">No description yet.{mayEdit ? (r.type === 'testCase' ? ' Use Edit to add the preconditions; the steps go below.' : ' Use Edit to add steps, expectations or context.') : ''}</p>}
              </section>
            )}
            <TypeContent
              projectKey={projectKey}
              record={r}
              commands={commands}
              // A run's status follows its result: the record is read again with the history.
              onChanged={() => {
                void history.reload();
                void record.reload();
              }}
            />
            <RecordLinks projectKey={projectKey} recordId={r.id} tag={r.tag} canEdit={mayEdit} onChanged={() => void history.reload()} />
            <RecordFiles projectKey={projectKey} recordId={r.id} canEdit={mayEdit} onChanged={() => void history.reload()} />
            <Comments projectKey={projectKey} recordId={r.id} canAdd={mayEdit} names={names} onChanged={() => void history.reload()} />
            {mayViewEmail && (
              <section className="card">
                <div className="card-title-row">
                  <h2 className="card-title">Latest tracked email</h2>
                  {emailList.length > 0 && (
                    <button type="button" className="btn btn-small btn-ghost" onClick={() => setTab('email')}>
                      All email →
                    </button>
                  )}
                </div>
                {emailsMissing ? (
                  <NotAvailable what="Tracked email" />
                ) : emails.error ? (
                  <ErrorNote error={emails.error} />
                ) : !emails.data ? (
                  <Spinner />
                ) : emailList.length === 0 ? (
                  <p className="muted small">No email about this {info.one.toLowerCase()} yet.{maySend ? ' Send one from the Email tab; replies are filed here automatically.' : ''}</p>
                ) : (
                  <LatestEmails emails={emailList.filter((e) => !e.deleted)} onOpen={() => setTab('email')} />
                )}
              </section>
            )}
            {mayViewEmail && <Participants projectKey={projectKey} recordId={r.id} canEdit={mayEdit} />}
            <section className="card">
              <h2 className="card-title">History</h2>
              {history.error ? <ErrorNote error={history.error} /> : history.data ? <RecordHistory events={history.data.events} names={names} labels={labels} /> : <Spinner />}
            </section>
          </div>
          <aside className="record-side card" aria-label="Details">
            <dl className="props">
              <dt>Status</dt>
              <dd>
                <StatusPill status={r.status} />
              </dd>
              <dt>Assignee</dt>
              <dd>
                {r.assignee ? (
                  <span className="who">
                    <Avatar name={names.get(r.assignee) ?? r.assignee} size={20} />
                    {names.get(r.assignee) ?? r.assignee}
                  </span>
                ) : (
                  <span className="muted">Unassigned</span>
                )}
              </dd>
              <dt>Priority</dt>
              <dd>{r.priority ? <span className={`prio prio-${r.priority}`}>{PRIORITY_LABEL[r.priority] ?? r.priority}</span> : <span className="muted">None</span>}</dd>
              <dt>Severity</dt>
              <dd>{r.severity ? (SEVERITY_LABEL[r.severity] ?? r.severity) : <span className="muted">None</span>}</dd>
              {typeFields.map((f) => {
                const v = r.fields?.[f.key];
                return (
                  <Fragment key={f.key}>
                    <dt>{f.label}</dt>
                    <dd>{v === undefined || v === null ? <span className="muted">—</span> : Array.isArray(v) ? v.join(', ') : f.kind === 'user' ? (names.get(String(v)) ?? String(v)) : String(v)}</dd>
                  </Fragment>
                );
              })}
              <dt>Creator</dt>
              <dd>{names.get(r.creator) ?? r.creator}</dd>
              <dt>Type</dt>
              <dd>{info.one}</dd>
              <dt>Created</dt>
              <dd title={fullDate(r.createdAt)}>{fullDate(r.createdAt)}</dd>
              <dt>Updated</dt>
              <dd title={fullDate(r.updatedAt)}>{fullDate(r.updatedAt)}</dd>
            </dl>
            <WatcherListCard projectKey={projectKey} recordId={r.id} watchers={watchers} members={memberList} canManage={can(commands, r.type, 'manageWatchers')} onChanged={() => void history.reload()} />
          </aside>
        </div>
      ) : (
        <div className="email-layout">
        <div className="email-tab" role="tabpanel" aria-label="Email">
          {emailsMissing ? (
            <NotAvailable what="Tracked email" />
          ) : (
            <>
              {options.data && !options.data.sendingEnabled && maySend && (
                <div className="notice notice-warn" role="note">
                  Sending tracked email is turned off for this project; a project administrator can turn it on in the project settings.
                </div>
              )}
              {maySend && !newDraft && (
                <div className="email-bar">
                  <button type="button" className="btn btn-primary" disabled={composing} onClick={() => void startDraft()}>
                    ✉ New tracked email
                  </button>
                  {queued && <span className="muted small">Sending… this page follows the outbox.</span>}
                </div>
              )}
              <ErrorNote error={startError} what="Starting an email" />
              {newDraft && (
                <Compose
                  key={newDraft.id}
                  projectKey={projectKey}
                  recordId={r.id}
                  recordType={r.type}
                  members={memberList}
                  defaultSubject={r.title}
                  draft={newDraft}
                  onDiscarded={() => void drafts.reload()}
                  onSaved={(d) => drafts.setData((old) => ({ drafts: (old?.drafts ?? []).map((x) => (x.id === d.id ? d : x)) }))}
                  onSent={() => {
                    void drafts.reload();
                    setPollMs(2000);
                    setFlash('Email queued');
                    void emails.reload();
                  }}
                />
              )}
              <ErrorNote error={emails.error} onRetry={() => void emails.reload()} />
              {!emails.data ? (
                !emails.error && <Spinner />
              ) : emailList.length === 0 ? (
                !newDraft && (
                  <Empty title="No tracked email yet">
                    {maySend
                      ? `Email anyone about ${r.tag} — teammates, customers, vendors. Their replies are filed here, even from a plain mail client.`
                      : 'Email sent about this record, and the replies to it, will appear here.'}
                  </Empty>
                )
              ) : (
                <EmailThreads emails={emailList} suppressed={emails.data?.suppressed ?? []} canReply={can(commands, r.type, 'replyTrackedEmail')} canForward={maySend} canDelete={can(commands, r.type, 'deleteTrackedEmail')} onChanged={() => void emails.reload()} />
              )}
            </>
          )}
        </div>
          {/* The team's internal notes next to the conversation with the outside. */}
          <aside className="email-side" aria-label="Team notes">
            <Comments projectKey={projectKey} recordId={r.id} canAdd={mayEdit} names={names} onChanged={() => void history.reload()} />
          </aside>
        </div>
      )}
    </div>
  );
}
