import { sanitizeEmailHtml } from '../mail/sanitizeHtml.js';

export interface ReaderHtml {
  html: string;
  /** Remote images left unloaded; the client offers "show images" when > 0. */
  blockedImages: number;
}

/**
 * sanitize-html writes every attribute double-quoted with `"` escaped, so on its output this
 * finds exactly the images the sanitizer blocked, with their address still attribute-escaped.
 */
const BLOCKED_IMAGE = /(<img\b[^>]*?)\sdata-blocked-src="([^"]*)"/gi;
const REMOTE = /^(?:https?:)?\/\//i;

/**
 * An email's HTML as the sandbox shows it: the same sanitizing as tracked email
 * (src/mail/sanitizeHtml.ts, one policy for all mail we display), and — only when the
 * reader asks — the remote images that policy blocks put back.
 */
export function readerHtml(dirty: string, opts: { remoteImages: boolean }): ReaderHtml {
  let blockedImages = 0;
  const html = sanitizeEmailHtml(dirty).replace(BLOCKED_IMAGE, (whole, head: string, url: string) => {
    if (!opts.remoteImages || !REMOTE.test(url)) {
      blockedImages++;
      return whole;
    }
    return `${head} src="${url.startsWith('//') ? `https:${url}` : url}"`;
  });
  return { html, blockedImages };
}
