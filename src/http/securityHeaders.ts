import type { FastifyInstance } from 'fastify';

/**
 * The Content-Security-Policy of every response we serve (docs/security.md). Scripts come only
 * from our own files (Vite emits no inline script), so a script that slips into a page — an
 * injected `<script>`, an `onerror=` attribute — does not run.
 *
 * The email viewer (web/src/components/SafeHtml.tsx) is a sandboxed `srcdoc` frame, and a
 * srcdoc document inherits this policy on top of its own, so this policy must allow what that
 * frame needs: inline styles (mail is styled with `style=` and `<style>`), `data:` images
 * (inline `cid:` parts, which the client turns into data: URLs) and — only once the reader
 * presses "Load images", which the frame's own, narrower policy decides — remote images over
 * http(s). The app's own pages load no remote image.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
  "connect-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: https: http:",
  "font-src 'self' data:",
].join('; ');

/**
 * On every response: the policy above (unless a route set a narrower one, like an inline file),
 * nothing of ours framed (clickjacking), sniffed into another type (a raw message shown as
 * HTML), or its URL leaked as a Referer (record ids, sandbox addresses).
 */
export function installSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'same-origin');
    if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
    return payload;
  });
}
