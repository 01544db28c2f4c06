import { useEffect, useMemo, useRef, useState } from 'react';
import { api, enc, query } from '../api/client';
import { useDebounced, useResource } from '../api/hooks';
import type { CustomField, FieldValue, Member, RecordType, TrackerRecord } from '../api/types';
import { RecordForm, draftOf } from '../components/RecordForm';
import { Avatar, Dialog, Empty, ErrorNote, Icon, Spinner, StatusPill, cx } from '../components/ui';
import { fullDate, shortDate } from '../format';
import { rememberProject, useProjects, viewableTypes } from '../project';
import { TYPE_INFO, can } from '../recordTypes';
import { CATEGORY_LABEL, PRIORITIES, PRIORITY_LABEL, useTrackerConfig } from '../tracker';
import { Link, useNavigate, useSearchParams } from '../router';
import { recordPath } from '../paths';
import { useUser } from '../session';
import { ProjectError } from './ProjectIndex';

/** A column, or `field:<key>` for a custom field. */
type SortKey = string;
const SORTS = ['number', 'title', 'status', 'createdAt', 'updatedAt', 'priority'];
const FIELD_SORT = /^field:[a-z][a-zA-Z0-9_]{0,39}$/;
/** Custom field filters sit in the address as f.<key>=value. */
const FIELD_PARAM = 'f.';
/** Custom fields shown as columns and filters before "More filters": the first ones in the type's order. */
const LISTED_FIELDS = 3;
const PAGE = 100;

export function useMembers(projectKey: string) {
  return useResource<{ members: Member[] }>(`/projects/${enc(projectKey)}/members`);
}

/** The record-type tabs of a project. */
export function TypeTabs({ projectKey, commands, current }: { projectKey: string; commands: string[]; current: RecordType | null }) {
  return (
    <nav className="type-tabs" aria-label="Record types">
      {viewableTypes(commands).map((t) => (
        <Link key={t} to={`/projects/${enc(projectKey)}/${t}`} className={cx('type-tab', t === current && 'is-active')} aria-current={t === current ? 'page' : undefined}>
          {TYPE_INFO[t].many}
        </Link>
      ))}
    </nav>
  );
}

function SortHeader({ label, k, sort, order, onSort, className }: { label: string; k: SortKey; sort: SortKey; order: 'asc' | 'desc'; onSort: (k: SortKey) => void; className?: string }) {
  const active = sort === k;
  return (
    <th scope="col" className={className} aria-sort={active ? (order === 'asc' ? 'ascending' : 'descending') : 'none'}>
      <button type="button" className={cx('th-sort', active && 'is-active')} onClick={() => onSort(k)}>
        {label}
        <span className="sort-arrow" aria-hidden="true">
          {active ? (order === 'asc' ? '▲' : '▼') : '↕'}
        </span>
      </button>
    </th>
  );
}

/** Text sorts A to Z first; dates, numbers and priorities newest or highest first. */
function ascendingFirst(k: SortKey): boolean {
  return k === 'title' || k === 'status' || k.startsWith('field:');
}

/** A custom field's value as one line; a member's name for a user field. */
function shown(f: CustomField, v: FieldValue | undefined, names: Map<string, string>): string | null {
  if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) return null;
  if (Array.isArray(v)) return v.join(', ');
  return f.kind === 'user' ? (names.get(String(v)) ?? String(v)) : String(v);
}

/**
 * The list filter of one custom field: a choice of its options (or of members), or the exact
 * value typed, sent a moment after typing stops.
 */
function FieldFilter({ field, value, members, onChange }: { field: CustomField; value: string; members: Member[]; onChange: (v: string) => void }) {
  const [typed, setTyped] = useState(value);
  const debounced = useDebounced(typed, 300);
  const sent = useRef(value);
  useEffect(() => {
    if (field.kind === 'text' || field.kind === 'number') {
      if (debounced !== sent.current) {
        sent.current = debounced;
        onChange(debounced);
      }
    }
  }, [debounced, field.kind, onChange]);
  useEffect(() => {
    if (value !== sent.current) {
      sent.current = value;
      setTyped(value);
    }
  }, [value]);
  if (field.kind === 'choice' || field.kind === 'multiChoice' || field.kind === 'user') {
    return (
      <label className="filter">
        <span>{field.label}</span>
        <select value={value} onChange={(e) => onChange(e.target.value)}>
          <option value="">Any</option>
          {field.kind === 'user'
            ? members.map((m) => (
                <option key={m.username} value={m.username}>
                  {m.fullName || m.username}
                </option>
              ))
            : field.options.map((o) => (
                <option key={o} value={o}>
                  {o}
                </option>
              ))}
        </select>
      </label>
    );
  }
  if (field.kind === 'date') {
    return (
      <label className="filter">
        <span>{field.label}</span>
        <input type="date" value={value} onChange={(e) => onChange(e.target.value)} />
      </label>
    );
  }
  return (
    <label className="filter">
      <span>{field.label}</span>
      <input type={field.kind === 'number' ? 'number' : 'search'} {...(field.kind === 'number' ? { step: 'any' } : {})} value={typed} placeholder="Any" title="Records whose value is exactly this (in any case)" onChange={(e) => setTyped(e.target.value)} />
    </label>
  );
}

export function RecordsPage({ projectKey, type }: { projectKey: string; type: RecordType }) {
  const user = useUser();
  const { current } = useProjects();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const info = TYPE_INFO[type];

  const q = params.get('q') ?? '';
  const status = params.get('status') ?? '';
  const assignee = params.get('assignee') ?? '';
  const category = params.get('category') ?? '';
  const priority = params.get('priority') ?? '';
  const sortParam = params.get('sort');
  const sort: SortKey = sortParam && (SORTS.includes(sortParam) || FIELD_SORT.test(sortParam)) ? sortParam : 'updatedAt';
  const order: 'asc' | 'desc' = params.get('order') === 'asc' ? 'asc' : params.get('order') === 'desc' ? 'desc' : ascendingFirst(sort) ? 'asc' : 'desc';
  const fieldFilters = [...params.entries()].filter(([k, v]) => k.startsWith(FIELD_PARAM) && v !== '').map(([k, v]) => [k.slice(FIELD_PARAM.length), v] as const);
  const fieldQuery = fieldFilters.map(([k, v]) => `&field=${enc(`${k}:${v}`)}`).join('');

  // The search box writes ?q= a moment after typing stops; a q that arrives otherwise (back,
  // "Clear filters") is copied into the box.
  const [search, setSearch] = useState(q);
  const pushed = useRef(q);
  const debounced = useDebounced(search, 250);
  useEffect(() => {
    if (debounced !== pushed.current) {
      pushed.current = debounced;
      setParams({ q: debounced }, { replace: true });
    }
  }, [debounced, setParams]);
  useEffect(() => {
    if (q !== pushed.current) {
      pushed.current = q;
      setSearch(q);
    }
  }, [q]);

  const [limit, setLimit] = useState(PAGE);
  useEffect(() => setLimit(PAGE), [q, status, assignee, category, priority, sort, order, fieldQuery]);

  const base = `/projects/${enc(projectKey)}/records`;
  const records = useResource<{ records: TrackerRecord[] }>(`${base}${query({ type, q, status, assignee, category, priority, sort, order, limit })}${fieldQuery}`, { keep: true });
  // Every status in use for this type, for the filter (the list itself may be filtered).
  const facets = useResource<{ records: TrackerRecord[] }>(`${base}${query({ type, sort: 'status', limit: 500 })}`);
  const members = useMembers(projectKey);
  const tracker = useTrackerConfig(projectKey);

  const [creating, setCreating] = useState(false);
  const [moreFilters, setMoreFilters] = useState(false);
  const [created, setCreated] = useState<TrackerRecord | null>(null);

  useEffect(() => rememberProject(projectKey), [projectKey]);

  // "/" jumps to the search box, as in most trackers and mail programs.
  const searchBox = useRef<HTMLInputElement>(null);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey) return;
      const t = e.target as HTMLElement | null;
      if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName) || t.closest('dialog[open]'))) return;
      e.preventDefault();
      searchBox.current?.focus();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  // The workflow's statuses in its order, then any other a record still has.
  const workflowStatuses = tracker.workflow(type)?.statuses;
  const statuses = useMemo(
    () => [...new Set([...(workflowStatuses ?? []).map((s) => s.name), ...(facets.data?.records ?? []).map((r) => r.status).sort((a, b) => a.localeCompare(b))])],
    [facets.data, workflowStatuses],
  );
  const memberList = useMemo(() => members.data?.members ?? [], [members.data]);
  const names = useMemo(() => new Map(memberList.map((m) => [m.username, m.fullName || m.username])), [memberList]);

  if (!current?.data) return current?.error ? <ProjectError error={current.error} /> : <Spinner />;
  const project = current.data;
  const mayView = can(project.commands, type, 'view');
  const mayAdd = can(project.commands, type, 'add');

  const onSort = (k: SortKey) => {
    const nextOrder = sort === k ? (order === 'asc' ? 'desc' : 'asc') : ascendingFirst(k) ? 'asc' : 'desc';
    setParams({ sort: k, order: nextOrder }, { replace: true });
  };
  const typeFields = tracker.fields(type);
  // The first few fields are columns and filters; any other one that sorts or filters the list joins them.
  const inUse = (key: string) => sort === `field:${key}` || fieldFilters.some(([k]) => k === key);
  const listed = typeFields.filter((f, i) => i < LISTED_FIELDS || inUse(f.key));
  const more = typeFields.filter((f) => !listed.includes(f));
  const filtered = !!(q || status || assignee || category || priority || fieldFilters.length);
  const clear = { q: null, status: null, assignee: null, category: null, priority: null, ...Object.fromEntries(fieldFilters.map(([k]) => [FIELD_PARAM + k, null])) };
  const fieldFilter = (key: string) => fieldFilters.find(([k]) => k === key)?.[1] ?? '';
  const list = records.data?.records;

  return (
    <div className="page">
      <div className="page-head">
        <div>
          <p className="eyebrow">{project.name}</p>
          <h1>{info.many}</h1>
        </div>
        {mayAdd && (
          <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}>
            <Icon name="plus" /> New {info.one.toLowerCase()}
          </button>
        )}
      </div>
      <TypeTabs projectKey={projectKey} commands={project.commands} current={type} />

      {!mayView ? (
        <Empty title={`You cannot view ${info.many.toLowerCase()} here`}>
          Your security group in {project.name} does not include seeing {info.many.toLowerCase()}. A project administrator can give it to your group.
        </Empty>
      ) : (
        <>
          <div className="toolbar" role="search">
            <div className="search">
              <svg viewBox="0 0 20 20" width="16" height="16" aria-hidden="true">
                <circle cx="8.5" cy="8.5" r="5.5" fill="none" stroke="currentColor" strokeWidth="1.8" />
                <path d="M13 13l4 4" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" />
              </svg>
              <input ref={searchBox} type="search" aria-label={`Search ${info.many.toLowerCase()}`} aria-keyshortcuts="/" placeholder={`Search ${info.many.toLowerCase()}…`} value={search} onChange={(e) => setSearch(e.target.value)} />
              <kbd className="kbd-hint" aria-hidden="true">
                /
              </kbd>
            </div>
            <label className="filter">
              <span>Status</span>
              <select value={status} onChange={(e) => setParams({ status: e.target.value }, { replace: true })}>
                <option value="">Any</option>
                {[...new Set([...statuses, ...(status ? [status] : [])])].map((s) => (
                  <option key={s} value={s}>
                    {s}
                  </option>
                ))}
              </select>
            </label>
            <label className="filter">
              <span>State</span>
              <select value={category} onChange={(e) => setParams({ category: e.target.value }, { replace: true })}>
                <option value="">Any</option>
                <option value="notDone">Not done</option>
                {(['open', 'inProgress', 'done'] as const).map((c) => (
                  <option key={c} value={c}>
                    {CATEGORY_LABEL[c]}
                  </option>
                ))}
              </select>
            </label>
            <label className="filter">
              <span>Priority</span>
              <select value={priority} onChange={(e) => setParams({ priority: e.target.value }, { replace: true })}>
                <option value="">Any</option>
                {PRIORITIES.map((p) => (
                  <option key={p} value={p}>
                    {PRIORITY_LABEL[p]}
                  </option>
                ))}
              </select>
            </label>
            <label className="filter">
              <span>Assignee</span>
              <select value={assignee} onChange={(e) => setParams({ assignee: e.target.value }, { replace: true })}>
                <option value="">Anyone</option>
                <option value={user.username}>Me</option>
                <option value="none">Unassigned</option>
                {memberList
                  .filter((m) => m.username !== user.username)
                  .map((m) => (
                    <option key={m.username} value={m.username}>
                      {m.fullName || m.username}
                    </option>
                  ))}
              </select>
            </label>
            {(moreFilters ? typeFields : listed).map((f) => (
              <FieldFilter key={f.key} field={f} value={fieldFilter(f.key)} members={memberList} onChange={(v) => setParams({ [FIELD_PARAM + f.key]: v || null }, { replace: true })} />
            ))}
            {more.length > 0 && (
              <button type="button" className="btn btn-ghost btn-small" aria-expanded={moreFilters} onClick={() => setMoreFilters((m) => !m)}>
                {moreFilters ? 'Fewer filters' : `More filters (${more.length})`}
              </button>
            )}
            {filtered && (
              <button type="button" className="btn btn-ghost btn-small" onClick={() => setParams(clear, { replace: true })}>
                Clear filters
              </button>
            )}
            <span className="toolbar-count muted small" aria-live="polite">
              {list ? `${list.length}${list.length >= limit ? '+' : ''} ${list.length === 1 ? info.one.toLowerCase() : info.many.toLowerCase()}` : ''}
            </span>
          </div>

          {created && (
            <div className="notice notice-ok" role="status">
              Created <Link to={recordPath(projectKey, created)}>{created.tag}</Link> — {created.title}
              <button type="button" className="icon-btn" aria-label="Dismiss" onClick={() => setCreated(null)}>
                ×
              </button>
            </div>
          )}
          <ErrorNote error={records.error} onRetry={() => void records.reload()} />

          {!list ? (
            !records.error && <Spinner />
          ) : list.length === 0 ? (
            filtered ? (
              <Empty
                title={`No ${info.many.toLowerCase()} match`}
                action={
                  <button type="button" className="btn" onClick={() => setParams(clear, { replace: true })}>
                    Clear filters
                  </button>
                }
              >
                Try other words, or widen the status and assignee filters.
              </Empty>
            ) : (
              <Empty
                title={`No ${info.many.toLowerCase()} yet`}
                action={
                  mayAdd ? (
                    <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}>
                      New {info.one.toLowerCase()}
                    </button>
                  ) : undefined
                }
              >
                {mayAdd
                  ? `Add the first ${info.one.toLowerCase()}; you can then discuss it by tracked email with anyone, inside or outside the team.`
                  : `Nothing has been filed here yet. ${info.many} appear here as the team adds them.`}
              </Empty>
            )
          ) : (
            <div className={cx('table-wrap', records.loading && 'is-loading')}>
              <table className="records">
                <thead>
                  <tr>
                    <SortHeader label="ID" k="number" sort={sort} order={order} onSort={onSort} className="col-id" />
                    <SortHeader label="Title" k="title" sort={sort} order={order} onSort={onSort} className="col-title" />
                    <SortHeader label="Status" k="status" sort={sort} order={order} onSort={onSort} className="col-status" />
                    <SortHeader label="Priority" k="priority" sort={sort} order={order} onSort={onSort} className="col-priority" />
                    {listed.map((f) => (
                      <SortHeader key={f.key} label={f.label} k={`field:${f.key}`} sort={sort} order={order} onSort={onSort} className="col-field hide-narrow" />
                    ))}
                    <th scope="col" className="col-assignee">
                      Assignee
                    </th>
                    <SortHeader label="Updated" k="updatedAt" sort={sort} order={order} onSort={onSort} className="col-updated" />
                  </tr>
                </thead>
                <tbody>
                  {list.map((r) => {
                    const href = recordPath(projectKey, r);
                    return (
                      <tr
                        key={r.id}
                        className={cx(created?.id === r.id && 'row-new')}
                        onClick={(e) => {
                          if ((e.target as HTMLElement).closest('a,button')) return;
                          navigate(href);
                        }}
                      >
                        <td className="col-id mono">{r.tag}</td>
                        <td className="col-title">
                          <Link to={href} className="row-link">
                            {r.title}
                          </Link>
                          <span className="row-meta">
                            {r.tag} · {r.assignee ? names.get(r.assignee) ?? r.assignee : 'Unassigned'} · {shortDate(r.updatedAt)}
                          </span>
                        </td>
                        <td className="col-status">
                          <StatusPill status={r.status} />
                        </td>
                        <td className="col-priority">{r.priority ? <span className={`prio prio-${r.priority}`}>{PRIORITY_LABEL[r.priority] ?? r.priority}</span> : <span className="muted">—</span>}</td>
                        {listed.map((f) => (
                          <td key={f.key} className="col-field hide-narrow">
                            {shown(f, r.fields?.[f.key], names) ?? <span className="muted">—</span>}
                          </td>
                        ))}
                        <td className="col-assignee">
                          {r.assignee ? (
                            <span className="who">
                              <Avatar name={names.get(r.assignee) ?? r.assignee} size={20} />
                              {names.get(r.assignee) ?? r.assignee}
                            </span>
                          ) : (
                            <span className="muted">Unassigned</span>
                          )}
                        </td>
                        <td className="col-updated muted" title={fullDate(r.updatedAt)}>
                          {shortDate(r.updatedAt)}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
              {list.length >= limit && limit < 500 && (
                <div className="table-more">
                  <button type="button" className="btn" onClick={() => setLimit((l) => Math.min(500, l + PAGE))}>
                    Show more
                  </button>
                </div>
              )}
              {list.length >= 500 && <p className="muted small table-more">Showing the first 500; search or filter to narrow the list.</p>}
            </div>
          )}
        </>
      )}

      <Dialog open={creating} title={`New ${info.one.toLowerCase()}`} onClose={() => setCreating(false)} wide>
        <RecordForm
          initial={{ ...draftOf(null), status: tracker.workflow(type)?.initial ?? 'Open' }}
          members={memberList}
          statuses={statuses}
          workflow={tracker.workflow(type)}
          fields={typeFields}
          submitLabel={`Create ${info.one.toLowerCase()}`}
          busyLabel="Creating…"
          onCancel={() => setCreating(false)}
          onSubmit={async (d) => {
            const body: Record<string, unknown> = { type, title: d.title, status: d.status || undefined };
            if (d.description) body['description'] = d.description;
            if (d.assignee) body['assignee'] = d.assignee;
            if (d.priority) body['priority'] = d.priority;
            if (d.severity) body['severity'] = d.severity;
            const fields = Object.fromEntries(Object.entries(d.fields ?? {}).filter(([, v]) => v !== null && v !== '' && !(Array.isArray(v) && v.length === 0)));
            if (Object.keys(fields).length > 0) body['fields'] = fields;
            const rec = await api.post<TrackerRecord>(base, body);
            setCreating(false);
            setCreated(rec);
            await Promise.all([records.reload(), facets.reload()]);
          }}
        />
      </Dialog>
    </div>
  );
}
