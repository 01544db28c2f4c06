import sanitize from 'sanitize-html';

/**
 * One policy for every HTML body we keep, inbound or outbound: reduced to what displays mail —
 * no scripts, style sheets, forms, frames or event handlers; links only to http(s)/mailto; CSS
 * only presentation without url().
 *
 * Inbound HTML is written by strangers and shown inside our web client, so in addition remote
 * images are blocked (a remote image is a read receipt and a tracking pixel for whoever sent it),
 * with the address kept in `data-blocked-src` so the client can offer "show images", and `cid:`
 * images point at the email's own attachments.
 *
 * Outbound HTML (`sanitizeOutboundHtml`) is written by members (a compose body, a template's
 * output) and goes to customers' mail programs: the same reduction, but images keep their
 * address — `cid:` parts travel with the message and a remote logo is the sender's choice; the
 * web client's frame still blocks remote images until the reader asks.
 */
export interface SanitizeOptions {
  /** Content-ID (without brackets) → URL of the stored attachment. */
  cidUrls?: ReadonlyMap<string, string>;
}

const allowedTags = [
  'a',
  'abbr',
  'b',
  'bdi',
  'bdo',
  'blockquote',
  'br',
  'caption',
  'center',
  'cite',
  'code',
  'col',
  'colgroup',
  'dd',
  'del',
  'details',
  'dfn',
  'div',
  'dl',
  'dt',
  'em',
  'figcaption',
  'figure',
  'font',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'hr',
  'i',
  'img',
  'ins',
  'kbd',
  'li',
  'mark',
  'ol',
  'p',
  'pre',
  'q',
  's',
  'samp',
  'small',
  'span',
  'strike',
  'strong',
  'sub',
  'summary',
  'sup',
  'table',
  'tbody',
  'td',
  'tfoot',
  'th',
  'thead',
  'tr',
  'tt',
  'u',
  'ul',
  'var',
  'wbr',
];

// Presentation only. Nothing that takes a URL (background-image, list-style-image, …): CSS
// url() would load remote content just like an <img>.
// Parentheses are for rgb() and the like; expression() (old IE's script in CSS) never passes.
const safeValue = [/^(?![\s\S]*\b(expression|url)\s*\()[#\w\s.,%()+-]*$/i];
const allowedStyles = Object.fromEntries(
  [
    'color',
    'background-color',
    'font-weight',
    'font-style',
    'font-size',
    'font-family',
    'text-align',
    'text-decoration',
    'vertical-align',
    'white-space',
    'margin',
    'margin-left',
    'margin-right',
    'margin-top',
    'margin-bottom',
    'padding',
    'padding-left',
    'padding-right',
    'padding-top',
    'padding-bottom',
    'border',
    'border-left',
    'border-collapse',
    'width',
    'height',
    'line-height',
  ].map((p) => [p, safeValue]),
);

const allowedDataImage = /^data:image\/(png|gif|jpe?g|webp);base64,[a-z0-9+/=\s]+$/i;

/** Inbound HTML for display: see the comment at the top. */
export function sanitizeEmailHtml(html: string, opts: SanitizeOptions = {}): string {
  return sanitizeWith(html, ['data'], (src) => {
    if (/^cid:/i.test(src)) return { src: opts.cidUrls?.get(contentId(src)) };
    if (allowedDataImage.test(src)) return { src };
    if (/^https?:/i.test(src) || src.startsWith('//')) return { 'data-blocked-src': src };
    return {};
  });
}

/** HTML written by members, before it is stored and sent: see the comment at the top. */
export function sanitizeOutboundHtml(html: string): string {
  return sanitizeWith(html, ['data', 'cid', 'https', 'http'], (src) => (/^(cid:|https?:\/\/)/i.test(src) || allowedDataImage.test(src) ? { src } : {}));
}

/** Where an image's address goes (src or data-blocked-src); none of them: the image shows its alt text. */
type ImageSource = (trimmedSrc: string) => { src?: string | undefined; 'data-blocked-src'?: string };

function contentId(cidUrl: string): string {
  const id = cidUrl.slice(4);
  let decoded = id;
  try {
    decoded = decodeURIComponent(id);
  } catch {
    // A stray % is part of the id as written.
  }
  return decoded.replace(/^<|>$/g, '');
}

/** `imageSchemes`: what sanitize-html lets through in an image's src once `imageSource` has placed it. */
function sanitizeWith(html: string, imageSchemes: string[], imageSource: ImageSource): string {
  return sanitize(html, {
    allowedTags,
    allowedAttributes: {
      '*': ['style', 'title', 'dir', 'lang', 'align', 'valign', 'width', 'height', 'bgcolor', 'color'],
      a: ['href', 'name', 'target', 'rel'],
      img: ['src', 'alt', 'data-blocked-src'],
      td: ['colspan', 'rowspan'],
      th: ['colspan', 'rowspan'],
      table: ['border', 'cellpadding', 'cellspacing'],
      font: ['face', 'size'],
      ol: ['start', 'type'],
      blockquote: ['type', 'cite'],
    },
    allowedStyles: { '*': allowedStyles },
    allowedSchemes: ['http', 'https', 'mailto'],
    allowedSchemesByTag: { img: imageSchemes },
    allowProtocolRelative: false,
    // Content of these is not text a reader should see once the tag is gone.
    nonTextTags: ['style', 'script', 'textarea', 'option', 'noscript', 'title', 'head', 'xml', 'template'],
    disallowedTagsMode: 'discard',
    transformTags: {
      a: (tagName, attribs) => ({
        tagName,
        attribs: { ...attribs, target: '_blank', rel: 'noopener noreferrer nofollow' },
      }),
      img: (tagName, attribs) => {
        const { src = '', ...rest } = attribs;
        const out: sanitize.Attributes = {};
        if (rest.alt !== undefined) out.alt = rest.alt;
        if (rest.width !== undefined) out.width = rest.width;
        if (rest.height !== undefined) out.height = rest.height;
        if (rest.style !== undefined) out.style = rest.style;
        for (const [k, v] of Object.entries(imageSource(src.trim()))) if (v) out[k] = v;
        return { tagName, attribs: out };
      },
    },
  });
}
