/**
 * Turns third-party corpus messages into replies to one of our tracked emails, leaving the
 * client's own bytes alone except where the cookie is put — one carrier at a time:
 *   headers: In-Reply-To / References name our Message-ID (what every threading client does);
 *   subject: only the subject carries the cookie tag (a client that drops References);
 *   body:    only the quoted original carries our "Mailtrail ref" line (headers and subject
 *            stripped of anything of ours), re-encoded in the part's own charset and transfer
 *            encoding.
 */
import iconv from 'iconv-lite';

export type Carrier = 'headers' | 'subject' | 'body';
export const CARRIERS: readonly Carrier[] = ['headers', 'subject', 'body'];

export interface Tracked {
  cookie: string;
  /** With angle brackets. */
  messageId: string;
  recordTag: string;
  tracking: string;
}

interface Field {
  name: string;
  /** The whole field as written, folded lines included, without the final newline. */
  raw: string;
}

function splitHead(msg: string): { fields: Field[]; nl: string; body: string } {
  const m = /\r?\n\r?\n/.exec(msg);
  const head = m ? msg.slice(0, m.index) : msg;
  const nl = m && m[0].startsWith('\r') ? '\r\n' : '\n';
  const body = m ? msg.slice(m.index + m[0].length) : '';
  const fields: Field[] = [];
  for (const line of head.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && fields.length > 0) fields[fields.length - 1]!.raw += `${nl}${line}`;
    else
      fields.push({
        name: line
          .slice(0, Math.max(0, line.indexOf(':')))
          .trim()
          .toLowerCase(),
        raw: line,
      });
  }
  return { fields, nl, body };
}

function joinHead(fields: Field[], nl: string, body: string): string {
  return `${fields.map((f) => f.raw).join(nl)}${nl}${nl}${body}`;
}

function value(f: Field | undefined): string {
  return f
    ? f.raw
        .slice(f.raw.indexOf(':') + 1)
        .replace(/\r?\n[ \t]+/g, ' ')
        .trim()
    : '';
}

function param(contentType: string, name: string): string | undefined {
  return new RegExp(`${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]+))`, 'i')
    .exec(contentType)
    ?.slice(1)
    .find((v) => v !== undefined);
}

function qpDecode(s: string): Buffer {
  const text = s.replace(/=\r?\n/g, '');
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '=' && /^[0-9a-f]{2}$/i.test(text.slice(i + 1, i + 3))) {
      out.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(c.charCodeAt(0) & 0xff);
  }
  return Buffer.from(out);
}

function qpEncode(buf: Buffer, nl: string): string {
  const lines = buf.toString('latin1').split(/\r?\n/);
  return lines
    .map((line) => {
      let enc = '';
      for (let i = 0; i < line.length; i++) {
        const code = line.charCodeAt(i);
        const last = i === line.length - 1;
        const plain = (code >= 33 && code <= 126 && code !== 61) || ((code === 32 || code === 9) && !last);
        enc += plain ? line[i] : `=${code.toString(16).toUpperCase().padStart(2, '0')}`;
      }
      const parts: string[] = [];
      while (enc.length > 75) {
        let cut = 75;
        // never split an =XX escape
        const eq = enc.lastIndexOf('=', cut);
        if (eq > cut - 3) cut = eq;
        parts.push(`${enc.slice(0, cut)}=`);
        enc = enc.slice(cut);
      }
      parts.push(enc);
      return parts.join(nl);
    })
    .join(nl);
}

function charsetOf(contentType: string): string {
  const cs = (param(contentType, 'charset') ?? 'us-ascii').toLowerCase();
  // us-ascii parts often carry 8-bit bytes anyway; latin1 round-trips every byte.
  return cs === 'us-ascii' || cs === 'ascii' || !iconv.encodingExists(cs) ? 'latin1' : cs;
}

function rewriteEntity(entity: string, fn: (text: string, subtype: 'plain' | 'html') => string): string {
  const { fields, nl, body } = splitHead(entity);
  const ct = value(fields.find((f) => f.name === 'content-type')) || 'text/plain';
  const type = ct.split(';')[0]!.trim().toLowerCase();
  if (type.startsWith('multipart/')) {
    const boundary = param(ct, 'boundary');
    if (!boundary) return entity;
    const delimiter = `--${boundary}`;
    const segments = body.split(delimiter);
    // segments[0] is the preamble; each later one starts right after a delimiter line.
    const rewritten = segments.map((seg, i) => {
      if (i === 0 || seg.startsWith('--')) return seg;
      const lead = /^[ \t]*\r?\n/.exec(seg)?.[0] ?? '';
      const trail = /\r?\n$/.exec(seg)?.[0] ?? '';
      const inner = seg.slice(lead.length, seg.length - trail.length);
      return `${lead}${rewriteEntity(inner, fn)}${trail}`;
    });
    return joinHead(fields, nl, rewritten.join(delimiter));
  }
  if (type !== 'text/plain' && type !== 'text/html') return entity;
  const cte = value(fields.find((f) => f.name === 'content-transfer-encoding')).toLowerCase();
  const charset = charsetOf(ct);
  const bytes = cte === 'base64' ? Buffer.from(body.replace(/\s+/g, ''), 'base64') : cte === 'quoted-printable' ? qpDecode(body) : Buffer.from(body, 'latin1');
  const changed = iconv.encode(fn(iconv.decode(bytes, charset), type === 'text/html' ? 'html' : 'plain'), charset);
  const encoded =
    cte === 'base64'
      ? (changed.toString('base64').match(/.{1,76}/g) ?? []).join(nl) + nl
      : cte === 'quoted-printable'
        ? qpEncode(changed, nl)
        : changed.toString('latin1');
  return joinHead(fields, nl, encoded);
}

/**
 * Our footer line where a quoting client leaves it: at the end of the quoted original (the last
 * ">" line, or the last element of the HTML quote); as the last line for clients that quote
 * without markers (Outlook's From:/Sent: block, "---- Original Message ----").
 */
function injectQuoted(text: string, subtype: 'plain' | 'html', cookie: string): string {
  const line = `Mailtrail ref: ${cookie}`;
  if (subtype === 'html') {
    const lower = text.toLowerCase();
    const quote = lower.lastIndexOf('</blockquote>');
    if (quote >= 0) return `${text.slice(0, quote)}<div>${line}</div>${text.slice(quote)}`;
    const body = lower.lastIndexOf('</body>');
    const end = body >= 0 ? body : text.length;
    const div = lower.lastIndexOf('</div>', end);
    const at = div >= 0 ? div : end;
    return `${text.slice(0, at)}<div>${line}</div>${text.slice(at)}`;
  }
  const nl = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.split(/\r?\n/);
  let last = -1;
  lines.forEach((l, i) => {
    if (/^\s*>/.test(l)) last = i;
  });
  if (last >= 0) {
    const depth = /^\s*(>[> ]*)/.exec(lines[last]!)?.[1]?.replace(/\s+$/, '') ?? '>';
    lines.splice(last + 1, 0, `${depth} ${line}`);
    return lines.join(nl);
  }
  return `${text.replace(/\s+$/, '')}${nl}${line}${nl}`;
}

/** The subject tag the outbound side would put there: `[TRK-D1 mt1…]`. */
function taggedSubject(subject: string, t: Tracked): string {
  const m = /^((?:\s*(?:re|aw|sv|antw|r|fw|fwd)\s*:\s*)*)(.*)$/i.exec(subject);
  return `${m?.[1] ?? ''}[${t.recordTag} ${t.cookie}] ${m?.[2] ?? subject}`;
}

export function asTrackedReply(raw: Buffer, carrier: Carrier, t: Tracked, caseId: string): Buffer {
  const msg = raw.toString('latin1');
  const { fields, nl, body } = splitHead(msg);
  const keep = fields.filter((f) => !['in-reply-to', 'references', 'message-id', 'to', 'delivered-to', 'x-original-to'].includes(f.name));
  keep.push({ name: 'message-id', raw: `Message-ID: <${caseId}@corpus.test>` }, { name: 'to', raw: `To: ${t.tracking}` });
  if (carrier === 'headers') {
    keep.push({ name: 'in-reply-to', raw: `In-Reply-To: ${t.messageId}` }, { name: 'references', raw: `References: ${t.messageId}` });
  }
  if (carrier === 'subject') {
    const subject = keep.find((f) => f.name === 'subject');
    if (subject) subject.raw = `Subject: ${taggedSubject(value(subject), t)}`;
    else keep.push({ name: 'subject', raw: `Subject: ${taggedSubject('Re: Test', t)}` });
  }
  let out = joinHead(keep, nl, body);
  if (carrier === 'body') out = rewriteEntity(out, (text, subtype) => injectQuoted(text, subtype, t.cookie));
  return Buffer.from(out, 'latin1');
}

/** A plain-text or HTML body (no headers) as a complete reply message, UTF-8 in base64. */
export function wrapBody(body: string, subtype: 'plain' | 'html', from: string): Buffer {
  const b64 = (
    Buffer.from(body, 'utf8')
      .toString('base64')
      .match(/.{1,76}/g) ?? []
  ).join('\r\n');
  return Buffer.from(
    [
      `From: ${from}`,
      'To: someone@example.test',
      'Subject: Re: Invoice totals',
      'Date: Tue, 3 Mar 2026 10:00:00 +0000',
      'Message-ID: <placeholder@corpus.test>',
      'MIME-Version: 1.0',
      `Content-Type: text/${subtype}; charset=utf-8`,
      'Content-Transfer-Encoding: base64',
      '',
      b64,
      '',
    ].join('\r\n'),
    'latin1',
  );
}
