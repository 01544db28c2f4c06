import sanitize from 'sanitize-html';

/**
 * Inbound HTML is written by strangers and shown inside our web client, so it is reduced to
 * what displays mail: no scripts, styles sheets, forms, frames or event handlers; links only to
 * http(s)/mailto; remote images blocked (a remote image is a read receipt and a tracking pixel
 * for whoever sent it), with the address kept in `data-blocked-src` so the client can offer
 * "show images"; `cid:` images pointing at the email's own attachments.
 */
export interface SanitizeOptions {
  /** Content-ID (without brackets) → URL of the stored attachment. */
  cidUrls?: ReadonlyMap<string, string>;
}

const allowedTags = [
  'a', 'abbr', 'b', 'bdi', 'bdo', 'blockquote', 'br', 'caption', 'center', 'cite', 'code', 'col', 'colgroup', 'dd', 'del',
  'details', 'dfn', 'div', 'dl', 'dt', 'em', 'figcaption', 'figure', 'font', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'i',
  'img', 'ins', 'kbd', 'li', 'mark', 'ol', 'p', 'pre', 'q', 's', 'samp', 'small', 'span', 'strike', 'strong', 'sub',
  'summary', 'sup', 'table', 'tbody', 'td', 'tfoot', 'th', 'thead', 'tr', 'tt', 'u', 'ul', 'var', 'wbr',
];

// Presentation only. Nothing that takes a URL (background-image, list-style-image, …): CSS
// url() would load remote content just like an <img>.
const safeValue = [/^[#\w\s.,%()+-]*$/];
const allowedStyles = Object.fromEntries(
  [
    'color', 'background-color', 'font-weight', 'font-style', 'font-size', 'font-family', 'text-align', 'text-decoration',
    'vertical-align', 'white-space', 'margin', 'margin-left', 'margin-right', 'margin-top', 'margin-bottom', 'padding',
    'padding-left', 'padding-right', 'padding-top', 'padding-bottom', 'border', 'border-left', 'border-collapse', 'width',
    'height', 'line-height',
  ].map((p) => [p, safeValue]),
);

const allowedDataImage = /^data:image\/(png|gif|jpe?g|webp);base64,[a-z0-9+/=\s]+$/i;

export function sanitizeEmailHtml(html: string, opts: SanitizeOptions = {}): string {
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
    allowedSchemesByTag: { img: ['data'] },
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
        const trimmed = src.trim();
        if (/^cid:/i.test(trimmed)) {
          const url = opts.cidUrls?.get(decodeURIComponent(trimmed.slice(4)).replace(/^<|>$/g, ''));
          if (url) out.src = url;
        } else if (allowedDataImage.test(trimmed)) {
          out.src = trimmed;
        } else if (/^https?:/i.test(trimmed) || trimmed.startsWith('//')) {
          out['data-blocked-src'] = trimmed;
        }
        return { tagName, attribs: out };
      },
    },
  });
}
