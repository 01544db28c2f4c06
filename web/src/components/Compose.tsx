import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { ApiError, api, enc, fieldErrors, messageOf, query, unplaced } from '../api/client';
import { useDebounced, useResource } from '../api/hooks';
import type { EmailDraft, EmailTemplate, Member, RecordType, RenderedEmail } from '../api/types';
import { AttachmentList, DropZone, useDraftFiles } from './DraftAttachments';
import { RecipientInput, recipientFor, recipientValues, type Recipient } from './RecipientInput';
import { SafeHtml } from './SafeHtml';
import { SuppressedWarning, suppressedOf, useSuppressedCheck } from './Suppression';
import { ErrorNote, Field, FormatToggle, TextArea, TextField, cx, type MailFormat } from './ui';

/** Templates of the project for the picker; null while unknown, [] when there are none or none may be read. */
export function useTemplates(projectKey: string, recordType?: RecordType) {
  return useResource<{ templates: EmailTemplate[] }>(`/projects/${enc(projectKey)}/email-templates${query({ recordType })}`);
}

const ADDRESS_LIKE = /^[^\s@<>]+@[^\s@<>]+$/;

/** The chosen template rendered for this record, with the message typed so far in its email.text slot. */
function Preview({
  projectKey,
  recordId,
  template,
  text,
  subject,
  recipient,
}: {
  projectKey: string;
  recordId: string;
  template: string;
  text: string;
  subject: string;
  recipient: Recipient | undefined;
}) {
  const [result, setResult] = useState<RenderedEmail | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [view, setView] = useState<MailFormat>('text');
  // A string, so the debounced value only changes when the input does.
  // Rendered for the first recipient when it is an address (the template may greet them by name).
  const to =
    recipient && ADDRESS_LIKE.test(recipient.value)
      ? { email: recipient.value, ...(recipient.label !== recipient.value ? { name: recipient.label } : {}) }
      : null;
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
        {result.html && <FormatToggle value={view} onChange={setView} label="Preview format" />}
      </div>
      {view === 'html' && result.html ? <SafeHtml html={result.html} title="Template preview" height={260} /> : <pre className="mail-text">{result.text}</pre>}
    </div>
  );
}

/** A recipient as the draft stored it (an address or a username), named like a member when it is one. */
function recipientOf(value: string, members: Member[]): Recipient {
  const m = members.find((x) => x.email === value || x.username === value);
  return m ? recipientFor(m) : { value, label: value };
}

interface DraftFields {
  to: string[];
  cc: string[];
  bcc: string[];
  subject: string;
  text: string;
  template: string | null;
}

const fieldsOf = (d: EmailDraft): DraftFields => ({ to: d.to, cc: d.cc, bcc: d.bcc, subject: d.subject, text: d.text, template: d.template });

/**
 * Keeps a draft on the server as it is typed: saved a moment after the last keystroke, and at
 * once when the compose box goes away (a tab switch), so nothing typed is lost.
 */
function useAutosave(draft: EmailDraft, fields: DraftFields, onSaved: (d: EmailDraft) => void) {
  const key = JSON.stringify(fields);
  const saved = useRef(JSON.stringify(fieldsOf(draft)));
  const latest = useRef(key);
  latest.current = key;
  const [state, setState] = useState<'saved' | 'saving' | 'error'>('saved');
  const save = useCallback(async () => {
    const k = latest.current;
    if (k === saved.current) return;
    saved.current = k;
    setState('saving');
    try {
      onSaved(await api.patch<EmailDraft>(`/drafts/${enc(draft.id)}`, JSON.parse(k)));
      if (latest.current === k) setState('saved');
    } catch {
      saved.current = '';
      setState('error');
    }
  }, [draft.id, onSaved]);
  useEffect(() => {
    const id = window.setTimeout(() => void save(), 400);
    return () => window.clearTimeout(id);
  }, [key, save]);
  useEffect(() => {
    const flush = () => void save();
    window.addEventListener('pagehide', flush);
    return () => {
      window.removeEventListener('pagehide', flush);
      flush();
    };
  }, [save]);
  return { save, state };
}

/**
 * Writes a new tracked email about a record: recipients with member suggestions (To, Cc, Bcc), a
 * template (previewed live for this record) or free subject and text, attachments by button or
 * by dropping them on the box. It is a draft on the server all along: a tab switch or a reload
 * brings it back, until it is sent or discarded.
 */
export function Compose({
  projectKey,
  recordId,
  recordType,
  members,
  defaultSubject,
  draft: initial,
  onSent,
  onDiscarded,
  onSaved,
}: {
  projectKey: string;
  recordId: string;
  recordType: RecordType;
  members: Member[];
  defaultSubject: string;
  /** The draft this box edits (a new one, or the one left from before). */
  draft: EmailDraft;
  onSent: () => void;
  onDiscarded: () => void;
  /** Each version the server keeps, so the page opens the box again as it was left. */
  onSaved: (d: EmailDraft) => void;
}) {
  const templates = useTemplates(projectKey, recordType);
  const [draft, setDraftHere] = useState(initial);
  const saved = useRef(onSaved);
  saved.current = onSaved;
  const setDraft = useCallback((d: EmailDraft) => {
    setDraftHere(d);
    saved.current(d);
  }, []);
  const [to, setTo] = useState<Recipient[]>(() => initial.to.map((v) => recipientOf(v, members)));
  const [cc, setCc] = useState<Recipient[]>(() => initial.cc.map((v) => recipientOf(v, members)));
  const [bcc, setBcc] = useState<Recipient[]>(() => initial.bcc.map((v) => recipientOf(v, members)));
  const [showCc, setShowCc] = useState(initial.cc.length > 0 || initial.bcc.length > 0);
  const [template, setTemplate] = useState(initial.template ?? '');
  const [subject, setSubject] = useState(initial.subject);
  const [text, setText] = useState(initial.text);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [local, setLocal] = useState<string | null>(null);
  const autosave = useAutosave(
    draft,
    { to: recipientValues(to), cc: recipientValues(cc), bcc: recipientValues(bcc), subject, text, template: template || null },
    setDraft,
  );
  const files = useDraftFiles(draft, setDraft);
  const fe = fieldErrors(error, ['to', 'cc', 'bcc', 'subject', 'text', 'template']);
  // Suppressed recipients: warned while typing; the server refuses them unless the send is forced.
  const checked = useSuppressedCheck(projectKey, [...recipientValues(to), ...recipientValues(cc), ...recipientValues(bcc)]);
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
      await autosave.save();
      await api.post(`/drafts/${enc(draft.id)}/send`, suppressed.length > 0 ? { force: true } : {});
      onSent();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  const discard = async () => {
    try {
      await api.del(`/drafts/${enc(draft.id)}`);
      onDiscarded();
    } catch (err) {
      setError(err);
    }
  };

  const untouched = to.length === 0 && !text.trim() && draft.attachments.length === 0;
  const wire = template && !subject.trim() ? null : draft.subjectOnWire;

  return (
    <DropZone files={files} className="compose-drop" label="Compose box: drop files here to attach them">
      <form
        className="compose card"
        aria-label="New tracked email"
        onSubmit={submit}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void submit();
          // Esc discards only an untouched draft; typed work is never lost to a stray key.
          if (e.key === 'Escape' && untouched) void discard();
        }}
      >
        <div className="compose-head">
          <h3>New tracked email</h3>
          <span className="muted small" aria-live="polite">
            {autosave.state === 'saving' ? 'Saving draft…' : autosave.state === 'error' ? 'Draft not saved — check your connection' : 'Draft saved'} · Replies
            come back to this record automatically.
          </span>
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
              <RecipientInput id={id} label="To" value={to} onChange={setTo} members={members} describedBy={d} autoFocus={to.length === 0} />
              {!showCc && (
                <button type="button" className="btn btn-ghost btn-small" onClick={() => setShowCc(true)}>
                  Cc/Bcc
                </button>
              )}
            </div>
          )}
        </Field>
        {showCc && (
          <>
            <Field label="Cc" error={fe['cc']}>
              {(id, d) => <RecipientInput id={id} label="Cc" value={cc} onChange={setCc} members={members} describedBy={d} />}
            </Field>
            <Field label="Bcc" error={fe['bcc']} hint="They get the email; nobody else sees that they did.">
              {(id, d) => <RecipientInput id={id} label="Bcc" value={bcc} onChange={setBcc} members={members} describedBy={d} />}
            </Field>
          </>
        )}
        <Field
          label="Template"
          error={fe['template']}
          hint={
            templatesUnavailable
              ? templates.error instanceof ApiError && templates.error.notAvailable
                ? 'Templates are not available on this server yet.'
                : `Templates cannot be listed: ${messageOf(templates.error)}`
              : undefined
          }
        >
          {(id, d) => (
            <select
              id={id}
              aria-describedby={d}
              value={template}
              onChange={(e) => pickTemplate(e.target.value)}
              disabled={templatesUnavailable || list.length === 0}
            >
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
              hint={
                wire === null ? (
                  'Leave empty to use the template’s subject.'
                ) : (
                  <span data-testid="subject-on-wire">Recipients see “{wire}”; replies find their way back to this record by themselves.</span>
                )
              }
            />
            <TextArea
              label="Message"
              rows={8}
              value={text}
              onChange={(e) => setText(e.target.value)}
              error={fe['text']}
              hint={template ? 'Goes into the template where it says {{ email.text }}.' : undefined}
            />
            <AttachmentList draft={draft} files={files} />
          </div>
          {template && <Preview projectKey={projectKey} recordId={recordId} template={template} text={text} subject={subject} recipient={to[0]} />}
        </div>
        <div className="form-actions">
          <span className="muted small hide-narrow">Ctrl+Enter sends</span>
          <button type="button" className="btn btn-ghost" onClick={() => void discard()}>
            Discard
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy || files.busy}>
            {busy ? 'Sending…' : suppressed.length > 0 ? 'Send anyway' : 'Send'}
          </button>
        </div>
      </form>
    </DropZone>
  );
}
