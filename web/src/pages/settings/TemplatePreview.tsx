import { useEffect, useState } from 'react';
import { api } from '../../api/client';
import { useDebounced } from '../../api/hooks';
import type { RenderedEmail } from '../../api/types';
import { SafeHtml } from '../../components/SafeHtml';
import { ErrorNote, cx } from '../../components/ui';

/** The template as typed, rendered by the server against a real record (after typing pauses). */
export function TemplatePreview({ base, draft, recordId }: { base: string; draft: { subject: string; text: string; html: string }; recordId: string }) {
  const d = useDebounced(draft, 400);
  const [result, setResult] = useState<RenderedEmail | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [view, setView] = useState<'text' | 'html'>('text');
  useEffect(() => {
    if (!recordId) return;
    let live = true;
    const body: Record<string, unknown> = { subject: d.subject, text: d.text, recordId };
    if (d.html.trim()) body['html'] = d.html;
    api
      .post<RenderedEmail>(`${base}/email-templates/preview`, body)
      .then((r) => {
        if (!live) return;
        setResult(r);
        setError(null);
      })
      .catch((err: unknown) => live && setError(err));
    return () => {
      live = false;
    };
  }, [base, d, recordId]);
  if (!recordId) return <p className="muted small">Add a record to this project to preview templates with real data.</p>;
  return (
    <div className="preview">
      <div className="preview-head">
        <span className="muted small">Preview</span>
        {result && <strong className="preview-subject">{result.subject}</strong>}
        {result?.html && (
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
      {error ? <ErrorNote error={error} what="Template preview" /> : null}
      {result &&
        (view === 'html' && result.html ? (
          <SafeHtml html={result.html} title="Template preview" height={280} />
        ) : (
          <pre className="mail-text">{result.text}</pre>
        ))}
    </div>
  );
}
