import { useRef, useState } from 'react';
import { API, ApiError, api, enc, uploadFile } from '../api/client';
import { useResource } from '../api/hooks';
import type { RecordFile } from '../api/types';
import { size } from '../format';
import { Dialog, ErrorNote, Spinner, cx } from './ui';

/** Files on the record itself: upload (button or drop), image thumbnails, PDF preview in a tab, download. */
export function RecordFiles({ projectKey, recordId, canEdit, onChanged }: { projectKey: string; recordId: string; canEdit: boolean; onChanged: () => void }) {
  const path = `/projects/${enc(projectKey)}/records/${enc(recordId)}/files`;
  const files = useResource<{ files: RecordFile[] }>(path);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [dragging, setDragging] = useState(false);
  const [viewing, setViewing] = useState<RecordFile | null>(null);
  const picker = useRef<HTMLInputElement>(null);
  const list = files.data?.files ?? [];
  const url = (f: RecordFile, inline = false) => `${API}/projects/${enc(projectKey)}/files/${enc(f.id)}${inline ? '?inline=1' : ''}`;
  const send = async (picked: FileList | File[]) => {
    setBusy(true);
    setError(null);
    try {
      for (const file of Array.from(picked)) await uploadFile(path, file);
      await files.reload();
      onChanged();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
      if (picker.current) picker.current.value = '';
    }
  };
  const remove = async (f: RecordFile) => {
    try {
      await api.del(`/projects/${enc(projectKey)}/files/${enc(f.id)}`);
      await files.reload();
      onChanged();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section
      className={cx('card', dragging && 'is-dropping')}
      aria-labelledby="files-title"
      onDragOver={(e) => {
        if (!canEdit) return;
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(e) => {
        if (!canEdit) return;
        e.preventDefault();
        setDragging(false);
        if (e.dataTransfer.files.length) void send(e.dataTransfer.files);
      }}
    >
      <div className="card-title-row">
        <h2 className="card-title" id="files-title">
          Files
        </h2>
        {canEdit && (
          <>
            <input ref={picker} type="file" multiple hidden aria-label="Choose files to attach" onChange={(e) => e.target.files && void send(e.target.files)} />
            <button type="button" className="btn btn-small" disabled={busy} onClick={() => picker.current?.click()}>
              {busy ? 'Uploading…' : 'Attach files'}
            </button>
          </>
        )}
      </div>
      {files.error && !(files.error instanceof ApiError && files.error.notAvailable) ? (
        <ErrorNote error={files.error} onRetry={() => void files.reload()} />
      ) : !files.data ? (
        <Spinner />
      ) : list.length === 0 ? (
        <p className="muted small">No files yet.{canEdit ? ' Drop screenshots, logs or documents here.' : ''}</p>
      ) : (
        <ul className="file-list" aria-label="Files">
          {list.map((f) => (
            <li key={f.id} className="file-row">
              {f.previewable && f.contentType.startsWith('image/') ? (
                <button type="button" className="file-thumb" aria-label={`Preview ${f.filename}`} onClick={() => setViewing(f)}>
                  <img src={url(f, true)} alt="" loading="lazy" />
                </button>
              ) : (
                // The extension as a badge: no icon font or emoji needed.
                <span className="file-icon" aria-hidden="true">
                  {(/\.([A-Za-z0-9]{1,5})$/.exec(f.filename)?.[1] ?? 'file').toUpperCase()}
                </span>
              )}
              <span className="file-name">{f.filename}</span>
              <span className="muted small">{size(f.size)}</span>
              {f.contentType === 'application/pdf' && (
                <a className="btn btn-small btn-ghost" href={url(f, true)} target="_blank" rel="noopener noreferrer">
                  Preview
                </a>
              )}
              <a className="btn btn-small btn-ghost" href={url(f)} download={f.filename}>
                Download
              </a>
              {canEdit && (
                <button type="button" className="icon-btn" aria-label={`Remove ${f.filename}`} onClick={() => void remove(f)}>
                  ×
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <ErrorNote error={error} />
      <Dialog open={viewing !== null} title={viewing?.filename ?? ''} onClose={() => setViewing(null)} wide>
        {viewing && <img className="file-preview" src={url(viewing, true)} alt={viewing.filename} />}
      </Dialog>
    </section>
  );
}
