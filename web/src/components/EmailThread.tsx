import { useMemo, useState, type FormEvent } from 'react';
import { RawMessageButton } from './RawMessage';
import { API, api, enc } from '../api/client';
import { useResource } from '../api/hooks';
import type { Suppression, TrackedEmail } from '../api/types';
import { cleanSubject, displayName, fullDate, list, shortDate, size, subjectTopic } from '../format';
import { SafeHtml } from './SafeHtml';
import { Avatar, Badge, Dialog, EmailStatusBadge, ErrorNote, FormatToggle, Icon, cx, type MailFormat } from './ui';
import { AuthBadge, SuppressedBadge, SuppressedWarning, suppressedOf, suppressionSentence } from './Suppression';

export interface ThreadNode {
  email: TrackedEmail;
  depth: number;
}

export interface Conversation {
  root: TrackedEmail;
  items: ThreadNode[];
  last: string;
}

/**
 * Groups emails into conversations by parentId: each root with its replies and forwards
 * depth-first (siblings in the order the API gave), newest conversation first.
 */
export function conversations(emails: TrackedEmail[]): Conversation[] {
  const byId = new Map(emails.map((e) => [e.id, e]));
  const children = new Map<string, TrackedEmail[]>();
  const roots: TrackedEmail[] = [];
  for (const e of emails) {
    if (e.parentId && byId.has(e.parentId) && e.parentId !== e.id) {
      const arr = children.get(e.parentId) ?? [];
      arr.push(e);
      children.set(e.parentId, arr);
    } else roots.push(e);
  }
  const out = roots.map((root) => {
    const items: ThreadNode[] = [];
    const seen = new Set<string>();
    const walk = (e: TrackedEmail, depth: number) => {
      if (seen.has(e.id)) return;
      seen.add(e.id);
      items.push({ email: e, depth });
      for (const c of children.get(e.id) ?? []) walk(c, depth + 1);
    };
    walk(root, 0);
    const last = items.reduce((m, n) => (n.email.date > m ? n.email.date : m), root.date);
    return { root, items, last };
  });
  return out.sort((a, b) => (a.last < b.last ? 1 : a.last > b.last ? -1 : 0));
}

function verb(email: TrackedEmail): string {
  if (email.status === 'forwarded') return 'replied · forwarded';
  if (email.direction === 'inbound') return email.parentId ? 'replied' : 'wrote';
  if (email.source === 'rule') return 'notified';
  return email.parentId ? 'replied' : 'sent';
}

export function senderName(email: TrackedEmail): string {
  return email.fromName || displayName(email.from);
}

function EmailBody({ email }: { email: TrackedEmail }) {
  const [quoted, setQuoted] = useState(false);
  const [view, setView] = useState<MailFormat>('text');
  const inbound = email.direction === 'inbound';
  const reply = email.replyText ?? '';
  const trimmed = inbound && reply.trim() !== '' && reply.trim() !== email.text.trim();
  const shown = trimmed ? reply : email.text;
  const rest = trimmed ? (email.quotedText ?? email.text) : null;
  return (
    <div className="mail-body">
      {email.html && <FormatToggle value={view} onChange={setView} label="Message format" small />}
      {view === 'html' && email.html ? (
        <SafeHtml html={email.html} title={`Message: ${email.subject}`} inline={email} />
      ) : (
        <>
          {trimmed && email.replySegments?.some((s) => s.kind === 'reply') ? (
            <Segments segments={email.replySegments} />
          ) : (
            <pre className="mail-text">{shown || <span className="muted">(no text)</span>}</pre>
          )}
          {rest && (
            <>
              <button type="button" className="quote-toggle" aria-expanded={quoted} onClick={() => setQuoted((q) => !q)}>
                {quoted ? 'Hide quoted text' : 'Show quoted text'} <span aria-hidden="true">···</span>
              </button>
              {quoted && <pre className="mail-text mail-quoted">{rest}</pre>}
            </>
          )}
        </>
      )}
    </div>
  );
}

/**
 * A reply written below or between quotes: each answer with the question it answers above it,
 * collapsed to one line until opened. The person's words are never hidden.
 */
/**
 * One line standing for a folded quote: the question it most likely asks. The quoted original's
 * signature (after `-- `) and our reply marker say nothing about it, so they never label a fold;
 * a bottom-post quotes the whole original, whose last question is the best label.
 */
function foldLabel(quote: string): string {
  const lines: string[] = [];
  for (const raw of quote.split('\n')) {
    const l = raw.replace(/^[>\s]+/, '').trimEnd();
    if (/^--$/.test(l)) break;
    if (l.trim() === '' || /##-/.test(l)) continue;
    lines.push(l);
  }
  return [...lines].reverse().find((l) => /\?\s*$/.test(l)) ?? lines.pop() ?? 'quoted text';
}

function Segments({ segments }: { segments: { kind: 'reply' | 'quote'; text: string }[] }) {
  const end = segments.reduce((last, s, i) => (s.kind === 'reply' ? i : last), -1);
  return (
    <div className="mail-segments">
      {segments.slice(0, end + 1).map((s, i) =>
        s.kind === 'reply' ? (
          <pre key={i} className="mail-text">
            {s.text}
          </pre>
        ) : (
          <details key={i} className="mail-segment-quote">
            <summary title="Show the quoted question">{foldLabel(s.text)}</summary>
            <pre className="mail-text mail-quoted">{s.text}</pre>
          </details>
        ),
      )}
    </div>
  );
}

/** Who a reply (or a reply to all) goes to, as the server works it out (without our own addresses). */
function useReplyRecipients(emailId: string, all: boolean) {
  return useResource<{ to: string[]; cc: string[] }>(`/emails/${enc(emailId)}/reply-recipients${all ? '?all=true' : ''}`);
}

function ReplyBox({ email, all, onDone, onCancel }: { email: TrackedEmail; all: boolean; onDone: () => void; onCancel: () => void }) {
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const recipients = useReplyRecipients(email.id, all);
  // A 409 recipient_suppressed keeps the list, so the next click can send anyway.
  const [refused, setRefused] = useState<ReturnType<typeof suppressedOf>>(null);
  const submit = async (e?: FormEvent) => {
    e?.preventDefault();
    if (!text.trim()) {
      setError(new Error('Write your reply first.'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const body: Record<string, unknown> = { text, ...(all ? { replyAll: true } : {}) };
      if (refused && refused.length > 0) body['force'] = true;
      await api.post(`/emails/${enc(email.id)}/reply`, body);
      onDone();
    } catch (err) {
      const hit = suppressedOf(err);
      if (hit) setRefused(hit);
      else setError(err);
      setBusy(false);
    }
  };
  const r = recipients.data;
  return (
    <form
      className="reply-box"
      aria-label={all ? 'Reply to all' : 'Reply'}
      onSubmit={submit}
      onKeyDown={(e) => {
        if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void submit();
        if (e.key === 'Escape' && !text.trim()) onCancel();
      }}
    >
      <ErrorNote error={error ?? recipients.error} what="Replying to tracked email" />
      {refused && <SuppressedWarning entries={refused} insist />}
      {r && (
        <p className="muted small" aria-label="Reply recipients">
          To {list(r.to)}
          {r.cc.length > 0 && <> · Cc {list(r.cc)}</>}
        </p>
      )}
      <label className="sr-only" htmlFor={`reply-${email.id}`}>
        Reply to {senderName(email)}
      </label>
      <textarea
        id={`reply-${email.id}`}
        rows={5}
        autoFocus
        placeholder={all ? 'Reply to all…' : `Reply to ${senderName(email)}…`}
        value={text}
        onChange={(e) => setText(e.target.value)}
      />
      <div className="form-actions">
        <span className="muted small hide-narrow">Ctrl+Enter sends</span>
        <button type="button" className="btn btn-ghost" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Sending…' : refused && refused.length > 0 ? 'Send anyway' : all ? 'Send to all' : 'Send reply'}
        </button>
      </div>
    </form>
  );
}

/** Forwards an email of the record, with its attachments, to new recipients; a tracked email like any other. */
function ForwardBox({ email, onDone, onCancel }: { email: TrackedEmail; onDone: () => void; onCancel: () => void }) {
  const [to, setTo] = useState('');
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = async (e?: FormEvent) => {
    e?.preventDefault();
    const addresses = to.split(/[\s,;]+/).filter(Boolean);
    if (addresses.length === 0) {
      setError(new Error('Whom should it go to? Type one or more addresses.'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await api.post(`/emails/${enc(email.id)}/forward`, { to: addresses, text });
      onDone();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <form className="reply-box" aria-label="Forward" onSubmit={submit}>
      <ErrorNote error={error} what="Forwarding" />
      <label className="small" htmlFor={`fwd-to-${email.id}`}>
        Forward to
      </label>
      <input
        id={`fwd-to-${email.id}`}
        type="text"
        autoFocus
        placeholder="name@example.com, another@example.com"
        value={to}
        onChange={(e) => setTo(e.target.value)}
      />
      <label className="sr-only" htmlFor={`fwd-${email.id}`}>
        Your note
      </label>
      <textarea
        id={`fwd-${email.id}`}
        rows={3}
        placeholder="Add a note above the forwarded email (optional)"
        value={text}
        onChange={(e) => setText(e.target.value)}
      />
      <p className="muted small">
        The email goes below your note
        {email.attachments.length > 0 ? `, with ${email.attachments.length === 1 ? 'its attachment' : `its ${email.attachments.length} attachments`}` : ''}.
        Replies come back to this record.
      </p>
      <div className="form-actions">
        <button type="button" className="btn btn-ghost" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Forwarding…' : 'Forward'}
        </button>
      </div>
    </form>
  );
}

function EmailCard({
  email,
  depth,
  defaultOpen,
  canReply,
  canForward,
  canDelete,
  onChanged,
  threadSubject,
  suppressed,
}: {
  email: TrackedEmail;
  threadSubject: string;
  /** Suppressed addresses of the record's emails, by address. */
  suppressed: ReadonlyMap<string, Suppression>;
  depth: number;
  defaultOpen: boolean;
  canReply: boolean;
  canForward: boolean;
  canDelete: boolean;
  onChanged: () => void;
}) {
  const [open, setOpen] = useState(defaultOpen);
  const [replying, setReplying] = useState<'reply' | 'replyAll' | 'forward' | null>(null);
  const [confirm, setConfirm] = useState(false);
  const [deleteError, setDeleteError] = useState<unknown>(null);
  const [deleting, setDeleting] = useState(false);
  const inbound = email.direction === 'inbound';
  const who = senderName(email);
  const snippet = (inbound && email.replyText ? email.replyText : email.text).replace(/\s+/g, ' ').slice(0, 140);
  const flags = email.flags ?? {};
  // Our email's recipients that bounced or complained (the reply's sender, for inbound mail).
  const dead = (inbound ? [email.from] : [...email.to, ...(email.cc ?? [])]).flatMap((a) => suppressed.get(a.toLowerCase()) ?? []);

  if (email.deleted) {
    return (
      <article className="mail mail-deleted" style={{ marginLeft: `min(${depth * 24}px, ${depth * 4}vw)` }} aria-label="Deleted email">
        <p className="muted small">
          <Icon name="trash" /> {inbound ? `A reply from ${who}` : `An email by ${who}`} was deleted by <strong>{email.deleted.by ?? 'Mailtrail'}</strong>{' '}
          <time dateTime={email.deleted.at} title={fullDate(email.deleted.at)}>
            {shortDate(email.deleted.at)}
          </time>
          ; the replies below stay in this conversation.
        </p>
      </article>
    );
  }

  const remove = async () => {
    setDeleting(true);
    setDeleteError(null);
    try {
      await api.del(`/emails/${enc(email.id)}`);
      setConfirm(false);
      onChanged();
    } catch (err) {
      setDeleteError(err);
    } finally {
      setDeleting(false);
    }
  };

  return (
    <article
      className={cx('mail', inbound ? 'mail-in' : 'mail-out', open && 'is-open', email.status === 'failed' && 'mail-failed')}
      style={{ marginLeft: `min(${depth * 24}px, ${depth * 4}vw)` }}
      aria-label={`${inbound ? 'Received from' : 'Sent by'} ${who}: ${cleanSubject(email.subject)}`}
    >
      <header className="mail-head">
        <button type="button" className="mail-toggle" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
          <Avatar name={who} size={30} />
          <span className="mail-who">
            <span className="mail-from">
              <strong>{who}</strong>
              <span className="mail-dir">{verb(email)}</span>
            </span>
            {open ? (
              <span className="mail-to">
                to {list(email.to)}
                {email.cc && email.cc.length > 0 && <> · cc {list(email.cc)}</>}
                {email.bcc && email.bcc.length > 0 && <> · bcc {list(email.bcc)}</>}
              </span>
            ) : (
              <span className="mail-snippet">{snippet}</span>
            )}
          </span>
        </button>
        <span className="mail-badges">
          {!!flags.bounce && !flags.bounceUnverified && <Badge tone="bad">bounce</Badge>}
          {!!flags.bounceUnverified && (
            <Badge tone="warn" title="It did not arrive at the bounce address the email was sent from, so the email's status was left alone.">
              unverified bounce
            </Badge>
          )}
          {!!flags.autoReply && <Badge tone="warn">{flags.complaint ? 'spam complaint' : 'auto-reply'}</Badge>}
          {!inbound && dead[0] && <SuppressedBadge entry={dead[0]} />}
          {inbound && email.auth && <AuthBadge auth={email.auth} />}
          {!!flags.unexpectedSender && (
            <Badge
              tone="warn"
              title={
                flags.dmarcFailed
                  ? "The From address is one this record knows, but its domain's DMARC check failed: someone else may be using it."
                  : 'The reply came from an address the email was not sent to.'
              }
            >
              unexpected sender
            </Badge>
          )}
          <EmailStatusBadge status={email.status} error={email.error} />
          <time className="mail-date" dateTime={email.date} title={fullDate(email.date)}>
            {shortDate(email.date)}
          </time>
        </span>
      </header>
      {open && (
        <div className="mail-main">
          {/* Only a subject that changed the topic is worth repeating ("Re:" and our cookie are not). */}
          {subjectTopic(email.subject) !== subjectTopic(threadSubject) && <h4 className="mail-subject">{cleanSubject(email.subject)}</h4>}
          {email.status === 'failed' && (
            <div className="notice notice-error" role="alert">
              Sending failed{email.error ? `: ${email.error}` : '.'}
            </div>
          )}
          {dead.length > 0 && (
            <div className="notice notice-warn" aria-label="Suppressed addresses">
              <div>
                {dead.map((d) => (
                  <div key={d.address}>
                    <strong>{d.address}</strong> {suppressionSentence(d)}. New mail to it is refused until an administrator lifts it.
                  </div>
                ))}
              </div>
            </div>
          )}
          <EmailBody email={email} />
          {email.attachments.length > 0 && (
            <ul className="attachments" aria-label="Attachments">
              {email.attachments.map((a) => (
                <li key={a.id}>
                  <a className="attachment" href={`${API}/emails/${enc(email.id)}/attachments/${enc(a.id)}`} download={a.filename}>
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
          <div className="mail-actions">
            {canReply && !replying && (
              <>
                <button type="button" className="btn btn-small" onClick={() => setReplying('reply')}>
                  ↩ Reply
                </button>
                {email.to.length + email.cc.length > 1 && (
                  <button type="button" className="btn btn-small" onClick={() => setReplying('replyAll')}>
                    ↩↩ Reply all
                  </button>
                )}
              </>
            )}
            {canForward && !replying && (
              <button type="button" className="btn btn-small" onClick={() => setReplying('forward')}>
                ↪ Forward
              </button>
            )}
            <RawMessageButton path={`/emails/${enc(email.id)}/raw`} title={`Source of “${email.subject || '(no subject)'}”`} />
            {canDelete && (
              <button type="button" className="btn btn-small btn-ghost btn-danger-text" onClick={() => setConfirm(true)}>
                Delete
              </button>
            )}
          </div>
          {replying === 'forward' ? (
            <ForwardBox
              email={email}
              onCancel={() => setReplying(null)}
              onDone={() => {
                setReplying(null);
                onChanged();
              }}
            />
          ) : (
            replying && (
              <ReplyBox
                email={email}
                all={replying === 'replyAll'}
                onCancel={() => setReplying(null)}
                onDone={() => {
                  setReplying(null);
                  onChanged();
                }}
              />
            )
          )}
        </div>
      )}
      <Dialog open={confirm} title="Delete this email?" onClose={() => setConfirm(false)}>
        <div className="stack">
          <p>
            The email from <strong>{who}</strong> ({cleanSubject(email.subject)}) is removed from the record. Replies to it stay.
          </p>
          <ErrorNote error={deleteError} what="Deleting tracked email" />
          <div className="form-actions">
            <button type="button" className="btn btn-ghost" onClick={() => setConfirm(false)} data-autofocus>
              Keep it
            </button>
            <button type="button" className="btn btn-danger" onClick={() => void remove()} disabled={deleting}>
              {deleting ? 'Deleting…' : 'Delete email'}
            </button>
          </div>
        </div>
      </Dialog>
    </article>
  );
}

/** A deleted root keeps no subject: the conversation is named by its first email still there. */
const topicOf = (c: Conversation) => c.items.find((n) => !n.email.deleted)?.email.subject ?? c.root.subject;

export function EmailThreads({
  emails,
  suppressed = [],
  canReply,
  canForward = false,
  canDelete,
  onChanged,
}: {
  emails: TrackedEmail[];
  /** From the same GET …/emails: suppressed addresses among these emails' people. */
  suppressed?: Suppression[];
  canReply: boolean;
  /** Forwarding is a new email: it needs sendTrackedEmail. */
  canForward?: boolean;
  canDelete: boolean;
  onChanged: () => void;
}) {
  const convs = useMemo(() => conversations(emails), [emails]);
  const byAddress = useMemo(() => new Map(suppressed.map((s) => [s.address.toLowerCase(), s])), [suppressed]);
  return (
    <div className="threads">
      {convs.map((c) => (
        <section key={c.root.id} className="thread card" aria-label={`Conversation: ${cleanSubject(topicOf(c))}`}>
          <header className="thread-head">
            <h3>{cleanSubject(topicOf(c)) || '(no subject)'}</h3>
            <span className="muted small">
              {c.items.length} {c.items.length === 1 ? 'message' : 'messages'} · last {shortDate(c.last)}
            </span>
          </header>
          {c.items.map((n, i) => (
            <EmailCard
              key={n.email.id}
              email={n.email}
              threadSubject={topicOf(c)}
              depth={n.depth}
              defaultOpen={c.items.length <= 3 || i >= c.items.length - 2 || n.email.status === 'failed' || n.email.status === 'queued'}
              canReply={canReply}
              canForward={canForward}
              canDelete={canDelete}
              onChanged={onChanged}
              suppressed={byAddress}
            />
          ))}
        </section>
      ))}
    </div>
  );
}
