/**
 * The Markdown of comments, rendered as React elements — never as HTML — so nothing a person
 * types can become markup or script: paragraphs, line breaks, **bold**, *italic*, `code`,
 * fenced code blocks, "- " and "1. " lists, > quotes, [links](https://…) (http, https and
 * mailto only) and @mentions. Anything else shows as the text it is.
 */
import type { ReactNode } from 'react';

const SAFE_URL = /^(https?:\/\/|mailto:)/i;

function inline(text: string, key: string): ReactNode[] {
  const out: ReactNode[] = [];
  const re =
    /(`[^`\n]+`)|(\*\*[^*\n]+\*\*)|(\*[^*\s][^*\n]*\*|_[^_\s][^_\n]*_)|(\[[^\]\n]+\]\([^)\s]+\))|((?<![\p{L}\p{N}_.@-])@[A-Za-z0-9][A-Za-z0-9_.-]*[A-Za-z0-9_])|(https?:\/\/[^\s<>()]+[^\s<>().,;:!?'"])/gu;
  let last = 0;
  let i = 0;
  for (const m of text.matchAll(re)) {
    const at = m.index;
    if (at > last) out.push(text.slice(last, at));
    const k = `${key}-${i++}`;
    const t = m[0];
    if (m[1]) out.push(<code key={k}>{t.slice(1, -1)}</code>);
    else if (m[2]) out.push(<strong key={k}>{inline(t.slice(2, -2), k)}</strong>);
    else if (m[3]) out.push(<em key={k}>{inline(t.slice(1, -1), k)}</em>);
    else if (m[4]) {
      const [, label, url] = /^\[([^\]]+)\]\(([^)]+)\)$/.exec(t)!;
      out.push(
        SAFE_URL.test(url!) ? (
          <a key={k} href={url} target="_blank" rel="noopener noreferrer nofollow">
            {label}
          </a>
        ) : (
          t
        ),
      );
    } else if (m[5])
      out.push(
        <span key={k} className="mention">
          {t}
        </span>,
      );
    else
      out.push(
        <a key={k} href={t} target="_blank" rel="noopener noreferrer nofollow">
          {t}
        </a>,
      );
    last = at + t.length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

function withBreaks(lines: string[], key: string): ReactNode[] {
  return lines.flatMap((l, i) => (i === 0 ? inline(l, `${key}-${i}`) : [<br key={`${key}-br${i}`} />, ...inline(l, `${key}-${i}`)]));
}

export function Markdown({ text }: { text: string }) {
  const blocks: ReactNode[] = [];
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  let i = 0;
  let n = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    const key = `b${n++}`;
    if (/^```/.test(line)) {
      const code: string[] = [];
      i++;
      while (i < lines.length && !/^```/.test(lines[i]!)) code.push(lines[i++]!);
      i++;
      blocks.push(
        <pre key={key} className="md-code">
          <code>{code.join('\n')}</code>
        </pre>,
      );
    } else if (/^\s*[-*] /.test(line)) {
      const items: string[] = [];
      while (i < lines.length && /^\s*[-*] /.test(lines[i]!)) items.push(lines[i++]!.replace(/^\s*[-*] /, ''));
      blocks.push(
        <ul key={key}>
          {items.map((it, k) => (
            <li key={k}>{inline(it, `${key}-${k}`)}</li>
          ))}
        </ul>,
      );
    } else if (/^\s*\d+[.)] /.test(line)) {
      const items: string[] = [];
      while (i < lines.length && /^\s*\d+[.)] /.test(lines[i]!)) items.push(lines[i++]!.replace(/^\s*\d+[.)] /, ''));
      blocks.push(
        <ol key={key}>
          {items.map((it, k) => (
            <li key={k}>{inline(it, `${key}-${k}`)}</li>
          ))}
        </ol>,
      );
    } else if (/^>/.test(line)) {
      const quoted: string[] = [];
      while (i < lines.length && /^>/.test(lines[i]!)) quoted.push(lines[i++]!.replace(/^> ?/, ''));
      blocks.push(<blockquote key={key}>{withBreaks(quoted, key)}</blockquote>);
    } else if (line.trim() === '') i++;
    else {
      const para: string[] = [];
      while (i < lines.length && lines[i]!.trim() !== '' && !/^(```|\s*[-*] |\s*\d+[.)] |>)/.test(lines[i]!)) para.push(lines[i++]!);
      blocks.push(<p key={key}>{withBreaks(para, key)}</p>);
    }
  }
  return <div className="markdown">{blocks}</div>;
}
