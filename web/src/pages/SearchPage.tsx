import { useEffect, useState } from 'react';
import { enc } from '../api/client';
import { useResource } from '../api/hooks';
import type { RecordType, SearchResponse, SearchResult } from '../api/types';
import { Empty, ErrorNote, Spinner, StatusPill, cx } from '../components/ui';
import { displayName, shortDate, cleanSubject } from '../format';
import { recordPath } from '../paths';
import { rememberProject, useProjects } from '../project';
import { RECORD_TYPES } from '../api/types';
import { TYPE_INFO, can } from '../recordTypes';
import { Link, useSearchParams } from '../router';
import { ProjectError } from './ProjectIndex';

const PAGE = 20;

/** The passage that matched, words that matched in <mark>; text only, never HTML from the server. */
export function Snippet({ parts }: { parts: { text: string; hit: boolean }[] }) {
  return <span className="snippet">{parts.map((p, i) => (p.hit ? <mark key={i}>{p.text}</mark> : <span key={i}>{p.text}</span>))}</span>;
}

function where(r: SearchResult): string {
  const hit = r.hit;
  if (!hit) return `Record id ${r.record.tag}`;
  if (hit.kind === 'email') {
    const from = `${hit.direction === 'inbound' ? 'Reply from' : 'Email from'} ${displayName(hit.from ?? '')}`;
    return `${from}${hit.date ? ` · ${shortDate(hit.date)}` : ''} · “${cleanSubject(hit.title)}”`;
  }
  if (hit.kind === 'comment') return 'Comment';
  if (hit.kind === 'file') return `File ${hit.title}`;
  if (hit.kind === 'step') return 'Test step';
  return 'Title or description';
}

function ResultItem({ projectKey, r }: { projectKey: string; r: SearchResult }) {
  const others = Object.entries(r.matches)
    .map(([kind, n]) =>
      (kind === r.hit?.kind ? (n ?? 0) - 1 : (n ?? 0)) > 0
        ? `${kind === r.hit?.kind ? (n ?? 0) - 1 : n} more in ${kind === 'record' ? 'the record' : `${kind}s`}`
        : null,
    )
    .filter(Boolean);
  const to = recordPath(projectKey, r.record, r.hit?.kind === 'email' ? { tab: 'email' } : {});
  return (
    <li className="search-result">
      <div className="search-result-head">
        <span className="record-tag mono">{r.record.tag}</span>
        <Link to={to} className="search-result-title">
          {r.record.title}
        </Link>
        <StatusPill status={r.record.status} />
        <span className="muted small">{TYPE_INFO[r.record.type].one}</span>
      </div>
      <div className="search-result-where muted small">
        {r.matchedBy === 'id' && <span className="badge badge-accent">id</span>} {where(r)}
        {others.length > 0 && <> · {others.join(', ')}</>}
      </div>
      {r.hit && r.hit.snippet.length > 0 && (
        <p className="search-result-snippet">
          <Snippet parts={r.hit.snippet} />
        </p>
      )}
    </li>
  );
}

/** Search results of one project: records found by id and by the words of their text and email. */
export function SearchPage({ projectKey }: { projectKey: string }) {
  const { current } = useProjects();
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const type = params.get('type') ?? '';
  const [text, setText] = useState(q);
  const [limit, setLimit] = useState(PAGE);
  useEffect(() => setText(q), [q]);
  useEffect(() => setLimit(PAGE), [q, type]);
  useEffect(() => rememberProject(projectKey), [projectKey]);
  useEffect(() => {
    document.title = q ? `“${q}” · Search ${projectKey} · Mailtrail` : `Search ${projectKey} · Mailtrail`;
  }, [q, projectKey]);
  const path = q.trim() ? `/projects/${enc(projectKey)}/search?q=${enc(q)}&limit=${limit}${type ? `&type=${enc(type)}` : ''}` : null;
  const res = useResource<SearchResponse>(path, { keep: true });
  if (current?.error) return <ProjectError error={current.error} />;
  const commands = current?.data?.commands;
  const types = RECORD_TYPES.filter((t) => can(commands, t, 'view'));
  const results = res.data?.results ?? [];

  return (
    <div className="page page-narrow">
      <div className="page-head">
        <div>
          <div className="eyebrow">{current?.data?.name ?? projectKey}</div>
          <h1>Search</h1>
        </div>
      </div>
      <form
        className="toolbar"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setParams({ q: text.trim() });
        }}
      >
        <div className="search">
          <svg viewBox="0 0 20 20" width="16" height="16" aria-hidden="true">
            <circle cx="8.5" cy="8.5" r="5.5" fill="none" stroke="currentColor" strokeWidth="1.8" />
            <path d="M13 13l4 4" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" />
          </svg>
          <input
            type="search"
            aria-label="Search words or a record id"
            placeholder="Words, or an id like DEMO-D4"
            value={text}
            onChange={(e) => setText(e.target.value)}
            autoFocus={!q}
          />
        </div>
        <label className="filter">
          <span>Type</span>
          <select value={type} onChange={(e) => setParams({ type: e.target.value }, { replace: true })}>
            <option value="">All types</option>
            {types.map((t: RecordType) => (
              <option key={t} value={t}>
                {TYPE_INFO[t].many}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="btn btn-primary">
          Search
        </button>
        {res.data && (
          <span className="toolbar-count muted small" aria-live="polite">
            {res.data.total === 1 ? '1 record' : `${res.data.total}${res.data.capped ? '+' : ''} records`}
          </span>
        )}
      </form>
      <p className="muted small">
        Finds titles, descriptions, comments and the text of tracked email (the new part of each reply), in every record type you may see. Words match their
        forms (“exports” finds “exported”).
      </p>
      <ErrorNote error={res.error} onRetry={() => void res.reload()} />
      {!q.trim() ? null : !res.data ? (
        !res.error && <Spinner />
      ) : results.length === 0 ? (
        <Empty title="Nothing found">No record, email or comment in {projectKey} has all of these words. Try fewer words, or another form of them.</Empty>
      ) : (
        <>
          <ol className={cx('search-results', res.loading && 'is-loading')} aria-label="Search results">
            {results.map((r) => (
              <ResultItem key={r.record.id} projectKey={projectKey} r={r} />
            ))}
          </ol>
          {res.data.total > results.length && (
            <div className="table-more">
              <button type="button" className="btn" onClick={() => setLimit((l) => Math.min(100, l + PAGE))} disabled={limit >= 100}>
                {limit >= 100 ? 'Showing the best 100: add words to narrow' : 'Show more'}
              </button>
            </div>
          )}
        </>
      )}
    </div>
  );
}
