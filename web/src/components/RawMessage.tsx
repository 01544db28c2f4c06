import { useEffect, useState } from 'react';
import { API, api } from '../api/client';
import { Dialog, ErrorNote, Spinner } from './ui';

/** More than this is cut on screen (a message with big attachments); Download has it all. */
const SHOWN_CHARS = 2_000_000;

/**
 * "View raw": the message source, as text, in a dialog inside the app — not a download and not
 * a browser tab rendering it. `path` is the API path of a raw message (message/rfc822).
 */
export function RawMessageButton({
  path,
  label = 'View raw',
  title = 'Message source',
  filename = 'message.eml',
}: {
  path: string;
  label?: string;
  title?: string;
  filename?: string;
}) {
  const [open, setOpen] = useState(false);
  const [text, setText] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!open || text !== null) return;
    let live = true;
    api
      .get<string>(path)
      .then((t) => live && setText(typeof t === 'string' ? t : JSON.stringify(t, null, 2)))
      .catch((err: unknown) => live && setError(err));
    return () => {
      live = false;
    };
  }, [open, path, text]);
  return (
    <>
      <button type="button" className="btn btn-small btn-ghost" onClick={() => setOpen(true)}>
        {label}
      </button>
      <Dialog open={open} title={title} onClose={() => setOpen(false)} wide>
        <div className="raw-actions">
          <a className="btn btn-small" href={`${API}${path}`} download={filename}>
            Download .eml
          </a>
          {text !== null && (
            <button
              type="button"
              className="btn btn-small btn-ghost"
              onClick={() => {
                void navigator.clipboard?.writeText(text).then(() => setCopied(true));
              }}
            >
              {copied ? 'Copied' : 'Copy'}
            </button>
          )}
          {text !== null && text.length > SHOWN_CHARS && (
            <span className="muted small">Showing the first {SHOWN_CHARS.toLocaleString()} characters; Download has all of it.</span>
          )}
        </div>
        <ErrorNote error={error} />
        {text === null ? (
          !error && <Spinner label="Loading the message source…" />
        ) : (
          <pre className="raw-message" aria-label="Message source" tabIndex={0}>
            {text.slice(0, SHOWN_CHARS)}
          </pre>
        )}
      </Dialog>
    </>
  );
}
