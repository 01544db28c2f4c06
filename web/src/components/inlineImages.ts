/**
 * Inline images (`cid:` parts) of a tracked email. The server rewrites `<img src="cid:…">` to the
 * URL of the same email's stored attachment (src/mail/sanitizeHtml.ts) and drops every other
 * relative address. The email viewer is a sandboxed frame with an opaque origin, so it cannot
 * load that URL itself (no cookie goes with it, and its policy allows only data: images): the
 * page fetches each part with the reader's session and hands the frame a data: URL instead.
 * Anything that is not an image attachment of this very email stays as it is — blocked.
 */
import { useEffect, useMemo, useState } from 'react';
import { API, enc } from '../api/client';
import type { Attachment } from '../api/types';

/** Larger parts are left out rather than copied into the page as a data: URL. */
const MAX_INLINE_BYTES = 5 * 1024 * 1024;
const MAX_INLINE_IMAGES = 40;

/** sanitize-html writes every attribute double-quoted, so this finds exactly the images' src. */
const IMG_SRC = /(<img\b[^>]*?\ssrc=")([^"]*)(")/gi;

export interface InlineSource {
  id: string;
  attachments: Attachment[];
}

function inlineCandidates(html: string, email: InlineSource | undefined): Map<string, Attachment> {
  const out = new Map<string, Attachment>();
  if (!email) return out;
  const byUrl = new Map(email.attachments.map((a) => [`${API}/emails/${enc(email.id)}/attachments/${enc(a.id)}`, a]));
  for (const m of html.matchAll(IMG_SRC)) {
    const att = byUrl.get(m[2] ?? '');
    if (att && att.contentType.startsWith('image/') && att.size <= MAX_INLINE_BYTES && out.size < MAX_INLINE_IMAGES) out.set(m[2]!, att);
  }
  return out;
}

function dataUrl(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error ?? new Error('could not read the image'));
    reader.readAsDataURL(blob);
  });
}

/** The email's HTML with its own inline images as data: URLs (once fetched). */
export function useInlineImages(html: string, email: InlineSource | undefined): string {
  // The thread is fetched again now and then: a new object for the same email must not refetch its images.
  const key = email ? `${email.id}:${email.attachments.map((a) => a.id).join(',')}` : '';
  // eslint-disable-next-line react-hooks/exhaustive-deps -- `key` stands for `email`, see above
  const wanted = useMemo(() => inlineCandidates(html, email), [html, key]);
  const [loaded, setLoaded] = useState<ReadonlyMap<string, string>>(new Map());
  useEffect(() => {
    if (wanted.size === 0) return;
    const abort = new AbortController();
    void Promise.all(
      [...wanted].map(async ([url, att]) => {
        const res = await fetch(url, { credentials: 'same-origin', signal: abort.signal });
        if (!res.ok) return null;
        // The server names the type from the stored part; a data: URL of anything else would not be an image.
        const blob = new Blob([await res.arrayBuffer()], { type: att.contentType });
        return [url, await dataUrl(blob)] as const;
      }),
    )
      .then((pairs) => {
        if (!abort.signal.aborted) setLoaded(new Map(pairs.filter((p): p is readonly [string, string] => p !== null)));
      })
      .catch(() => undefined);
    return () => abort.abort();
  }, [wanted]);
  return useMemo(() => {
    if (wanted.size === 0) return html;
    return html.replace(IMG_SRC, (whole, head: string, src: string, tail: string) => {
      if (!wanted.has(src)) return whole;
      const data = loaded.get(src);
      // Until it is fetched the frame would only be refused the URL; show the alt text meanwhile.
      return data ? `${head}${data}${tail}` : whole.replace(/\ssrc="[^"]*"/, '');
    });
  }, [html, wanted, loaded]);
}
