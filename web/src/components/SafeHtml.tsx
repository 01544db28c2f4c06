/**
 * Shows an email's HTML (already sanitized by the server) in an iframe with sandbox="" — no
 * scripts, no forms, an opaque origin — and a Content-Security-Policy that blocks remote images
 * (tracking pixels) until the reader asks for them.
 */
import { useMemo, useState } from 'react';
import { useInlineImages, type InlineSource } from './inlineImages';

function hasRemoteImages(html: string): boolean {
  return (
    /<img\b[^>]*\bsrc\s*=\s*["']?\s*(https?:)?\/\//i.test(html) ||
    /url\(\s*["']?\s*(https?:)?\/\//i.test(html) ||
    /\bbackground\s*=\s*["']?\s*(https?:)?\/\//i.test(html)
  );
}

/**
 * The server moves a remote image's address to data-blocked-src (src/mail/sanitizeHtml.ts),
 * so even a relaxed CSP would not load it; when the reader asks for images it goes back to src.
 */
function withRemoteImages(html: string): string {
  return html.replace(/<img\b[^>]*>/gi, (tag) => (/\ssrc\s*=/i.test(tag) ? tag : tag.replace(/\sdata-blocked-src=/i, ' src=')));
}

function documentFor(html: string, loadImages: boolean): string {
  const img = loadImages ? 'data: https: http:' : 'data:';
  const csp = `default-src 'none'; img-src ${img}; style-src 'unsafe-inline'; font-src data:`;
  return `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${csp}"><base target="_blank"><style>
html{color-scheme:light}body{margin:12px 14px;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;word-wrap:break-word;overflow-wrap:anywhere}
img{max-width:100%;height:auto}blockquote{margin:0 0 0 .4em;padding-left:.8em;border-left:3px solid #d5dbe7;color:#5b6478}pre{white-space:pre-wrap}table{max-width:100%}
</style></head><body>${loadImages ? withRemoteImages(html) : html}</body></html>`;
}

/**
 * `blockedImages` and `onLoadImages` are for servers that strip remote images themselves (the
 * sandbox): the bar then asks the server for the message with images. `inline` is the tracked
 * email the HTML belongs to: its own `cid:` images are shown at once (./inlineImages.ts).
 */
export function SafeHtml({
  html: served,
  title,
  height = 360,
  blockedImages = 0,
  onLoadImages,
  inline,
}: {
  html: string;
  title: string;
  height?: number;
  blockedImages?: number;
  onLoadImages?: () => void;
  inline?: InlineSource;
}) {
  const html = useInlineImages(served, inline);
  const [loadImages, setLoadImages] = useState(false);
  const remote = useMemo(() => hasRemoteImages(html) || blockedImages > 0, [html, blockedImages]);
  const doc = useMemo(() => documentFor(html, loadImages), [html, loadImages]);
  return (
    <div className="safe-html">
      {remote && !loadImages && (
        <div className="safe-html-bar">
          <span>
            {blockedImages > 0 ? `${blockedImages} remote ${blockedImages === 1 ? 'image was' : 'images were'} blocked` : 'Remote images are blocked'} to
            protect your privacy.
          </span>
          <button
            type="button"
            className="btn btn-small"
            onClick={() => {
              setLoadImages(true);
              onLoadImages?.();
            }}
          >
            Load images
          </button>
        </div>
      )}
      <div className="safe-html-frame" style={{ height }}>
        <iframe sandbox="" srcDoc={doc} title={title} referrerPolicy="no-referrer" />
      </div>
    </div>
  );
}
