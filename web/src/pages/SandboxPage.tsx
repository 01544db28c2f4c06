import { useState, type FormEvent } from 'react';
import { RawMessageButton } from '../components/RawMessage';
import { API, ApiError, api, enc } from '../api/client';
import { useInterval, useResource } from '../api/hooks';
import type { Mailbox, SandboxMessage, SandboxSummary } from '../api/types';
import { SafeHtml } from '../components/SafeHtml';
import { Avatar, Checkbox, Empty, ErrorNote, FormatToggle, Icon, NotAvailable, Spinner, cx, type MailFormat } from '../components/ui';
import { addressOf, displayName, fullDate, list, shortDate, size } from '../format';
import { Link } from '../router';

function mailboxPath(address: string) {
  return `/sandbox/${enc(address)}`;
}

function ReplyForm({ address, message }: { address: string; message: SandboxMessage }) {
  const [text, setText] = useState('');
  const [replyAll, setReplyAll] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [sent, setSent] = useState(false);
  const submit = async (e?: FormEvent) => {
    e?.preventDefault();
    if (!text.trim()) {
      setError(new Error('Write the reply first.'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await api.post(`/sandbox/mailboxes/${enc(address)}/messages/${enc(message.id)}/reply`, { text, replyAll });
      setSent(true);
      setText('');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      className="reply-box sandbox-reply"
      onSubmit={submit}
      onKeyDown={(e) => {
        if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void submit();
      }}
    >
      <label htmlFor="sandbox-reply" className="reply-label">
        Reply as <strong>{address}</strong>
      </label>
      <ErrorNote error={error} what="Replying from the sandbox" />
      {sent && (
        <div className="notice notice-ok" role="status">
          Reply sent. If it carries a tracking cookie, it appears on its record after the next poll.
        </div>
      )}
      <textarea
        id="sandbox-reply"
        rows={5}
        value={text}
        onChange={(e) => setText(e.target.value)}
        placeholder="Write a reply; the original is quoted below it, like a real mail client does."
      />
      <div className="form-actions">
        <Checkbox label="Reply all" checked={replyAll} onChange={(e) => setReplyAll(e.target.checked)} />
        <span className="muted small hide-narrow">Ctrl+Enter sends</span>
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Sending…' : 'Send reply'}
        </button>
      </div>
    </form>
  );
}

function MessageView({ address, id }: { address: string; id: string }) {
  const path = `/sandbox/mailboxes/${enc(address)}/messages/${enc(id)}`;
  const [images, setImages] = useState(false);
  const msg = useResource<SandboxMessage>(images ? `${path}?images=1` : path, { keep: true });
  const [view, setView] = useState<MailFormat>('html');
  const [headers, setHeaders] = useState(false);
  if (msg.error) return <ErrorNote error={msg.error} what="The mail sandbox" />;
  const m = msg.data;
  if (!m) return <Spinner />;
  const showHtml = view === 'html' && !!m.html;
  return (
    <article className="sandbox-message" aria-label={m.subject}>
      <Link to={mailboxPath(address)} className="back-link only-narrow">
        ← {address}
      </Link>
      <h2 className="sandbox-subject">{m.subject || '(no subject)'}</h2>
      <div className="sandbox-from">
        <Avatar name={displayName(m.from)} size={34} />
        <div>
          <div>
            <strong>{displayName(m.from)}</strong> <span className="muted small">{addressOf(m.from) !== displayName(m.from) ? addressOf(m.from) : ''}</span>
          </div>
          <div className="muted small">
            to {list(m.to)}
            {m.cc && list(m.cc) && <> · cc {list(m.cc)}</>}
          </div>
        </div>
        <time className="muted small" dateTime={m.date}>
          {fullDate(m.date)}
        </time>
      </div>
      <div className="sandbox-tools">
        {m.html && <FormatToggle value={view} onChange={setView} label="Message format" order={['html', 'text']} small />}
        <button type="button" className="btn btn-small btn-ghost" aria-expanded={headers} onClick={() => setHeaders((h) => !h)}>
          {headers ? 'Hide headers' : 'All headers'}
        </button>
        <RawMessageButton path={`${path}/raw`} />
      </div>
      {headers && (
        <div className="table-wrap">
          <table className="headers-table">
            <tbody>
              {m.headers.map(([k, v], i) => (
                <tr key={i}>
                  <th scope="row">{k}</th>
                  <td>{v}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {showHtml ? (
        <SafeHtml
          html={m.html!}
          title={`Message: ${m.subject}`}
          height={320}
          blockedImages={images ? 0 : (m.blockedImages ?? 0)}
          onLoadImages={() => setImages(true)}
        />
      ) : (
        <pre className="mail-text sandbox-text">{m.text || '(no text part)'}</pre>
      )}
      {m.attachments.length > 0 && (
        <ul className="attachments" aria-label="Attachments">
          {m.attachments.map((a) => (
            <li key={a.index}>
              <a className="attachment" href={`${API}${path}/attachments/${a.index}`} download={a.filename}>
                <span className="attachment-icon" aria-hidden="true">
                  <Icon name="paperclip" />
                </span>
                <span className="attachment-name">{a.filename}</span>
                <span className="muted small">{size(a.size)}</span>
              </a>
            </li>
          ))}
        </ul>
      )}
      <ReplyForm key={m.id} address={address} message={m} />
    </article>
  );
}

export function SandboxPage({ address, messageId }: { address: string | null; messageId: string | null }) {
  const mailboxes = useResource<{ mailboxes: Mailbox[] }>('/sandbox/mailboxes', { keep: true });
  const messages = useResource<{ messages: SandboxSummary[]; total?: number }>(address ? `/sandbox/mailboxes/${enc(address)}/messages` : null, { keep: true });
  const missing = mailboxes.error instanceof ApiError && mailboxes.error.notAvailable;
  // New mail shows up without reloading the page.
  useInterval(
    () => {
      void mailboxes.reload();
      if (address) void messages.reload();
    },
    5000,
    !missing && !mailboxes.error,
  );

  const boxes = mailboxes.data?.mailboxes ?? [];
  const msgs = address ? (messages.data?.messages ?? []) : [];
  const pane = messageId ? 'message' : address ? 'list' : 'boxes';

  return (
    <div className="page page-wide">
      <div className="page-head">
        <div>
          <p className="eyebrow">Built-in mail system</p>
          <h1>Mail sandbox</h1>
        </div>
        <p className="muted small head-note">Every address that received mail has a mailbox here. Read what Mailtrail sent and answer as its owner.</p>
      </div>
      {missing ? (
        <NotAvailable what="The mail sandbox" />
      ) : mailboxes.error ? (
        <ErrorNote error={mailboxes.error} what="The mail sandbox" onRetry={() => void mailboxes.reload()} />
      ) : !mailboxes.data ? (
        <Spinner />
      ) : boxes.length === 0 ? (
        <Empty title="No mail yet">Send a tracked email from a record: each recipient's mailbox appears here.</Empty>
      ) : (
        <div className={cx('mailer', `show-${pane}`)}>
          <nav className="mailer-boxes" aria-label="Mailboxes">
            <h2 className="pane-title">Mailboxes</h2>
            <ul>
              {boxes.map((b) => (
                <li key={b.address}>
                  <Link
                    to={mailboxPath(b.address)}
                    className={cx('box-link', b.address === address && 'is-active')}
                    aria-current={b.address === address ? 'page' : undefined}
                  >
                    <span className="box-address">{b.address}</span>
                    <span className="box-count">{b.count}</span>
                  </Link>
                </li>
              ))}
            </ul>
          </nav>
          <section className="mailer-list" aria-label="Messages">
            {!address ? (
              <p className="muted small pad">Choose a mailbox.</p>
            ) : (
              <>
                <h2 className="pane-title">
                  <Link to="/sandbox" className="back-link only-narrow">
                    ←
                  </Link>{' '}
                  {address}
                </h2>
                {messages.error ? (
                  <ErrorNote error={messages.error} />
                ) : !messages.data ? (
                  <Spinner />
                ) : msgs.length === 0 ? (
                  <p className="muted small pad">This mailbox is empty.</p>
                ) : (
                  <ul className="msg-list">
                    {msgs.map((m) => (
                      <li key={m.id}>
                        <Link to={`${mailboxPath(address)}/${enc(m.id)}`} className={cx('msg-link', m.id === messageId && 'is-active')}>
                          <span className="msg-top">
                            <strong className="ellipsis">{displayName(m.from)}</strong>
                            <time className="muted small">{shortDate(m.date)}</time>
                          </span>
                          <span className="msg-subject ellipsis">{m.subject || '(no subject)'}</span>
                          <span className="muted small">{size(m.size)}</span>
                        </Link>
                      </li>
                    ))}
                  </ul>
                )}
              </>
            )}
          </section>
          <section className="mailer-read" aria-label="Message">
            {address && messageId ? (
              <MessageView key={messageId} address={address} id={messageId} />
            ) : (
              <p className="muted small pad">{address ? 'Choose a message.' : ''}</p>
            )}
          </section>
        </div>
      )}
    </div>
  );
}
