import { useRef, useState, type DragEvent, type ReactNode } from 'react';
import { api, enc } from '../api/client';
import type { EmailDraft } from '../api/types';
import { size } from '../format';
import { ErrorNote, Icon, cx } from './ui';

/** What the attachments of one email may add up to; the server refuses more (attachments_too_large). */
export const MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024;

function base64Of(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onerror = () => reject(reader.error ?? new Error(`Could not read ${file.name}.`));
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ''));
    reader.readAsDataURL(file);
  });
}

/**
 * Files of a draft: a button, and dropping files anywhere on the compose box (`DropZone`). Each
 * file is stored with the draft on the server at once, so a reload keeps it too.
 */
export function useDraftFiles(draft: EmailDraft | null, onDraft: (d: EmailDraft) => void) {
  const [busy, setBusy] = useState(0);
  const [error, setError] = useState<unknown>(null);
  const add = async (files: FileList | File[]) => {
    if (!draft) return;
    setError(null);
    let total = draft.attachments.reduce((n, a) => n + a.size, 0);
    for (const file of Array.from(files)) {
      total += file.size;
      if (total > MAX_ATTACHMENT_BYTES) {
        setError(
          new Error(`“${file.name}” (${size(file.size)}) does not fit: the attachments of one email may add up to ${MAX_ATTACHMENT_BYTES / 1024 / 1024} MB.`),
        );
        return;
      }
      setBusy((n) => n + 1);
      try {
        onDraft(
          await api.post<EmailDraft>(`/drafts/${enc(draft.id)}/attachments`, {
            filename: file.name,
            contentType: file.type || 'application/octet-stream',
            contentBase64: await base64Of(file),
          }),
        );
      } catch (err) {
        setError(err);
        return;
      } finally {
        setBusy((n) => n - 1);
      }
    }
  };
  const remove = async (attachmentId: string) => {
    if (!draft) return;
    try {
      onDraft(await api.del<EmailDraft>(`/drafts/${enc(draft.id)}/attachments/${enc(attachmentId)}`));
    } catch (err) {
      setError(err);
    }
  };
  return { add, remove, busy: busy > 0, error };
}

export type DraftFiles = ReturnType<typeof useDraftFiles>;

/** The compose box as a drop target: files dropped on it are attached. */
export function DropZone({ files, children, className, label }: { files: DraftFiles; children: ReactNode; className?: string; label: string }) {
  const [over, setOver] = useState(false);
  const hasFiles = (e: DragEvent) => Array.from(e.dataTransfer.types).includes('Files');
  return (
    <div
      className={cx(className, over && 'is-drop-target')}
      aria-label={label}
      onDragOver={(e) => {
        if (!hasFiles(e)) return;
        e.preventDefault();
        e.dataTransfer.dropEffect = 'copy';
        setOver(true);
      }}
      onDragLeave={(e) => {
        if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setOver(false);
      }}
      onDrop={(e) => {
        if (!hasFiles(e)) return;
        e.preventDefault();
        setOver(false);
        void files.add(e.dataTransfer.files);
      }}
    >
      {children}
      {over && (
        <div className="drop-hint" aria-hidden="true">
          Drop to attach
        </div>
      )}
    </div>
  );
}

/** The attached files, each removable, and the button that adds more. */
export function AttachmentList({ draft, files }: { draft: EmailDraft | null; files: DraftFiles }) {
  const input = useRef<HTMLInputElement>(null);
  return (
    <div className="compose-files">
      <ErrorNote error={files.error} what="Attaching a file" />
      {draft && draft.attachments.length > 0 && (
        <ul className="attachments" aria-label="Attachments">
          {draft.attachments.map((a) => (
            <li key={a.id}>
              <span className="attachment">
                <span className="attachment-icon" aria-hidden="true">
                  <Icon name="paperclip" />
                </span>
                <span className="attachment-name">{a.filename}</span>
                <span className="muted small">{size(a.size)}</span>
                <button type="button" className="btn btn-ghost btn-small" aria-label={`Remove ${a.filename}`} onClick={() => void files.remove(a.id)}>
                  ×
                </button>
              </span>
            </li>
          ))}
        </ul>
      )}
      <div className="row-field">
        <button type="button" className="btn btn-small" onClick={() => input.current?.click()} disabled={!draft}>
          <Icon name="paperclip" /> Attach files
        </button>
        <span className="muted small">{files.busy ? 'Uploading…' : `or drop them here · up to ${MAX_ATTACHMENT_BYTES / 1024 / 1024} MB in all`}</span>
        <input
          ref={input}
          type="file"
          multiple
          hidden
          aria-label="Attach files"
          onChange={(e) => {
            if (e.target.files) void files.add(e.target.files);
            e.target.value = '';
          }}
        />
      </div>
    </div>
  );
}
