import { useEffect, useState, type FormEvent } from 'react';
import { ApiError, api, enc, fieldErrors, messageOf, query, unplaced } from '../api/client';
import { useDebounced, useResource } from '../api/hooks';
import type { EmailTemplate, Member, RecordType, RenderedEmail } from '../api/types';
import { RecipientInput, recipientValues, type Recipient } from './RecipientInput';
import { SafeHtml } from './SafeHtml';
import { SuppressedWarning, suppressedOf, useSuppressedCheck } from './Suppression';
import { ErrorNote, Field, TextArea, TextField, cx } from './ui';

/** Templates of the project for the picker; null while unknown, [] when there are none or none may be read. */
export function useTemplates(projectKey: string, recordType?: RecordType) {
  return useResource<{ templates: EmailTemplate[] }>(`/projects/${enc(projectKey)}/email-templates${query({ recordType })}`);
}

const ADDRESS_LIKE = /^[^\s@<>]+@[^\s@<>]+$/;

/** The chosen template rendered for this record, with the message typed so far in its email.text slot. */
function Preview({ projectKey, recordId, template, text, subject, recipient }: { projectKey: string; recordId: string; template: string; text: string; subject: string; recipient: Recipient | undefined }) {
  const [result, setResult] = useState<RenderedEmail | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [view, setView] = useState<'text' | 'html'>('text');
  // A string, so the debounced value only changes when the input does.
  // Rendered for the first recipient when it is an address (the template may greet them by name).
  const to = recipient && ADDRESS_LIKE.test(recipient.value) ? { email: recipient.value, ...(recipient.label !== recipient.value ? { name: recipient.label } : {}) } : null;
  const key = useDebounced(JSON.stringify({ template, text, subject, to }), 300);
  useEffect(() => {
    const input = JSON.parse(key) as { template: string; text: string; subject: string; to: { email: string; name?: string } | null };
    let live = true;
    const body: Record<string, unknown> = { template: input.template, recordId, emailText: input.text };
    if (input.subject.trim()) body['emailSubject'] = input.subject.trim();
    if (input.to) body['recipient'] = input.to;
    api
      .post<RenderedEmail>(`/projects/${enc(projectKey)}/email-templates/preview`, body)
      .then((r) => {
        if (!live) return;
        setResult(r);
        setError(null);
      })
      .catch((err: unknown) => live && setError(err));
    return () => {
      live = false;
    };
  }, [projectKey, recordId, key]);
  if (error) return <ErrorNote error={error} what="Template preview" />;
  if (!result) return <div className="preview muted small">Rendering preview…</div>;
  return (
    <div className="preview" aria-live="polite" aria-label="Preview">
      <div className="preview-head">
        <span className="muted small">Preview</span>
        <strong className="preview-subject">{subject.trim() || result.subject}</strong>
        {result.html && (
          <div className="seg" role="group" aria-label="Preview format">
            <button type="button" className={cx(view === 'text' && 'is-on')} aria-pressed={view === 'text'} onClick={() => setView('text')}>
              Text
            </button>
            <button type="button" className={cx(view === 'html' && 'is-on')} aria-pressed={view === 'html'} onClick={() => setView('html')}>
              HTML
            </button>
          </div>
        )}
      </div>
      {view === 'html' && result.html ? <SafeHtml html={result.html} title="Template preview" height={260} /> : <pre className="mail-text">{result.text}</pre>}
    </div>
  );
}

/**
 * Writes a new tracked email about a record: recipients with member suggestions, a template
 * (previewed live for this record) or free subject and text.
 */
export function Compose({
  projectKey,
  recordId,
  recordType,
  members,
  defaultSubject,
  tag,
  onSent,
  onCancel,
}: {
  projectKey: string;
  recordId: string;
  recordType: RecordType;
  members: Member[];
  defaultSubject: string;
  /** The record tag the server puts in front of the subject. */
  tag: string;
  onSent: () => void;
  onCancel: () => void;
}) {
  const templates = useTemplates(projectKey, recordType);
  const [to, setTo] = useState<Recipient[]>([]);
  const [cc, setCc] = useState<Recipient[]>([]);
  const [showCc, setShowCc] = useState(false);
  const [template, setTemplate] = useState('');
  const [subject, setSubject] = useState(defaultSubject);
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [local, setLocal] = useState<string | null>(null);
  const fe = fieldErrors(error, ['to', 'cc', 'subject', 'text', 'template']);
  // Suppressed recipients: warned while typing; the server refuses them unless the send is forced.
  const checked = useSuppressedCheck(projectKey, [...recipientValues(to), ...recipientValues(cc)]);
  const refused = suppressedOf(error);
  const suppressed = refused && refused.length > 0 ? refused : checked;

  const list = templates.data?.templates ?? [];
  const templatesUnavailable = templates.error instanceof ApiError;

  // With a template the subject comes from it unless typed; without, the record's title is the start.
  const pickTemplate = (name: string) => {
    setTemplate(name);
    if (name && subject === defaultSubject) setSubject('');
    if (!name && !subject.trim()) setSubject(defaultSubject);
  };

  const submit = async (e?: FormEvent) => {
    e?.preventDefault();
    if (to.length === 0) {
      setLocal('Add at least one recipient.');
      return;
    }
    if (!template && !text.trim()) {
      setLocal('Write a message, or pick a template.');
      return;
    }
    setLocal(null);
    setBusy(true);
    setError(null);
    try {
      const body: Record<string, unknown> = { to: recipientValues(to), text };
      if (suppressed.length > 0) body['force'] = true;
      if (cc.length > 0) body['cc'] = recipientValues(cc);
      if (template) {
        body['template'] = template;
        if (subject.trim()) body['subject'] = subject.trim();
      } else body['subject'] = subject.trim() || defaultSubject;
      await api.post(`/projects/${enc(projectKey)}/records/${enc(recordId)}/emails`, body);
      onSent();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <form
      className="compose card"
      aria-label="New tracked email"
      onSubmit={submit}
      onKeyDown={(e) => {
        if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void submit();
        // Esc discards only an untouched draft; typed work is never lost to a stray key.
        if (e.key === 'Escape' && to.length === 0 && !text.trim()) onCancel();
      }}
    >
      <div className="compose-head">
        <h3>New tracked email</h3>
        <span className="muted small">Replies come back to this record automatically.</span>
      </div>
      {local ? (
        <div className="notice notice-error" role="alert">
          {local}
        </div>
      ) : (
        !refused && <ErrorNote error={unplaced(error, fe)} what="Sending tracked email" />
      )}
      <SuppressedWarning entries={suppressed} insist={refused !== null} />
      <Field label="To" error={fe['to']}>
        {(id, d) => (
          <div className="row-field">
            <RecipientInput id={id} label="To" value={to} onChange={setTo} members={members} describedBy={d} autoFocus />
            {!showCc && (
              <button type="button" className="btn btn-ghost btn-small" onClick={() => setShowCc(true)}>
                Cc
              </button>
            )}
          </div>
        )}
      </Field>
      {showCc && <Field label="Cc" error={fe['cc']}>{(id, d) => <RecipientInput id={id} label="Cc" value={cc} onChange={setCc} members={members} describedBy={d} />}</Field>}
      <Field
        label="Template"
        error={fe['template']}
        hint={templatesUnavailable ? (templates.error instanceof ApiError && templates.error.notAvailable ? 'Templates are not available on this server yet.' : `Templates cannot be listed: ${messageOf(templates.error)}`) : undefined}
      >
        {(id, d) => (
          <select id={id} aria-describedby={d} value={template} onChange={(e) => pickTemplate(e.target.value)} disabled={templatesUnavailable || list.length === 0}>
            <option value="">No template — write it yourself</option>
            {list.map((t) => (
              <option key={t.name} value={t.name}>
                {t.name}
              </option>
            ))}
          </select>
        )}
      </Field>
      <div className={cx('compose-grid', template && 'has-preview')}>
        <div className="compose-fields">
          <TextField
            label="Subject"
            value={subject}
            onChange={(e) => setSubject(e.target.value)}
            error={fe['subject']}
            placeholder={template ? 'From the template' : ''}
            hint={template ? 'Leave empty to use the template’s subject.' : `Sent as “[${tag}] …”; replies find their way back to this record by themselves.`}
          />
          <TextArea
            label="Message"
            rows={8}
            value={text}
            onChange={(e) => setText(e.target.value)}
            error={fe['text']}
            hint={template ? 'Goes into the template where it says {{ email.text }}.' : undefined}
          />
        </div>
        {template && <Preview projectKey={projectKey} recordId={recordId} template={template} text={text} subject={subject} recipient={to[0]} />}
      </div>
      <div className="form-actions">
        <span className="muted small hide-narrow">Ctrl+Enter sends</span>
        <button type="button" className="btn btn-ghost" onClick={onCancel}>
          Discard
        </button>
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Sending…' : suppressed.length > 0 ? 'Send anyway' : 'Send'}
        </button>
      </div>
    </form>
  );
}
