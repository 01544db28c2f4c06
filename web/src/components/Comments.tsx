import { useState } from 'react';
import { ApiError, api, enc } from '../api/client';
import { useResource } from '../api/hooks';
import type { RecordComment } from '../api/types';
import { fullDate, relative } from '../format';
import { Markdown } from '../markdown';
import { useUser } from '../session';
import { Avatar, ErrorNote, Spinner } from './ui';

/** Internal notes of the team on a record: Markdown, @mentions, never emailed. */
export function Comments({
  projectKey,
  recordId,
  canAdd,
  names,
  onChanged,
}: {
  projectKey: string;
  recordId: string;
  canAdd: boolean;
  names: Map<string, string>;
  onChanged: () => void;
}) {
  const user = useUser();
  const path = `/projects/${enc(projectKey)}/records/${enc(recordId)}/comments`;
  const comments = useResource<{ comments: RecordComment[] }>(path);
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const list = comments.data?.comments ?? [];
  const post = async () => {
    if (!text.trim()) return;
    setBusy(true);
    setError(null);
    try {
      await api.post(path, { body: text });
      setText('');
      await comments.reload();
      onChanged();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const remove = async (c: RecordComment) => {
    try {
      await api.del(`${path}/${enc(c.id)}`);
      await comments.reload();
      onChanged();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section className="card" aria-labelledby="comments-title">
      <h2 className="card-title" id="comments-title">
        Comments <span className="muted small">internal, never emailed</span>
      </h2>
      {comments.error && !(comments.error instanceof ApiError && comments.error.notAvailable) ? (
        <ErrorNote error={comments.error} onRetry={() => void comments.reload()} />
      ) : !comments.data ? (
        <Spinner />
      ) : list.length === 0 ? (
        <p className="muted small">No comments yet.</p>
      ) : (
        <ol className="comments" aria-label="Comments">
          {list.map((c) => {
            const who = c.author ? (names.get(c.author) ?? c.author) : 'Someone';
            return (
              <li key={c.id} className="comment">
                <Avatar name={who} size={24} />
                <div className="comment-body">
                  <div className="comment-head">
                    <strong>{who}</strong>{' '}
                    <time className="muted small" dateTime={c.createdAt} title={fullDate(c.createdAt)}>
                      {relative(c.createdAt)}
                    </time>
                    {c.author === user.username && (
                      <button type="button" className="link-button small" onClick={() => void remove(c)}>
                        Delete
                      </button>
                    )}
                  </div>
                  <Markdown text={c.body} />
                </div>
              </li>
            );
          })}
        </ol>
      )}
      {canAdd && (
        <form
          className="comment-add"
          onSubmit={(e) => {
            e.preventDefault();
            void post();
          }}
        >
          <textarea
            aria-label="New comment"
            placeholder="Write a note for the team — **bold**, *italic*, `code`, lists; @name mentions a member"
            rows={3}
            value={text}
            onChange={(e) => setText(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void post();
            }}
          />
          <div className="comment-actions">
            <button type="submit" className="btn btn-small btn-primary" disabled={busy || !text.trim()}>
              {busy ? 'Adding…' : 'Add comment'}
            </button>
          </div>
        </form>
      )}
      <ErrorNote error={error} />
    </section>
  );
}
