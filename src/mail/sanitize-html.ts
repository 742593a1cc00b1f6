import sanitizeHtml from 'sanitize-html';

/**
 * HTML mail bodies are attacker-controlled and end up rendered in the CRM's web UI, so they go
 * through an allowlist: formatting survives, anything that runs code, loads remote content,
 * submits data or changes how the page around it behaves does not.
 *
 * The policy, and why:
 * - Only formatting tags. Tags outside the list are removed but their text kept, except for the
 *   ones whose content is code or metadata (NON_TEXT_TAGS), which are removed with their content.
 * - No event handlers (`on*`), no `id`/`class`/`name` attributes (they would let mail content
 *   clobber or style the surrounding page, the CSS having been removed anyway).
 * - Links: absolute http, https and mailto only (relative and `#fragment` links would resolve
 *   against the CRM page), opened in a new browsing context without an opener or referrer, so a
 *   link cannot reach back into the CRM page (window.opener) or leak the CRM URL to the target.
 * - Images: only `cid:` (RFC 2392, parts of the same message) and raster `data:image/*`. A remote
 *   `src` is a tracking pixel that tells the sender when and where the mail was opened, so it is
 *   dropped; the `<img>` stays for its alt text and size. `data:image/svg+xml` is dropped too: SVG is
 *   a document that can carry script.
 * - Inline styles: a small set of layout/typography properties with plain values. A `style` that
 *   mentions `url(` (remote loads), `expression(` (old IE script), `@import`, `behavior`/`binding`
 *   or uses CSS escapes or comments (ways to spell those past a filter) is dropped entirely.
 */

const ALLOWED_TAGS = [
  'p', 'br', 'div', 'span', 'b', 'i', 'u', 's', 'strike', 'sub', 'sup', 'small', 'big', 'strong', 'em', 'a',
  'ul', 'ol', 'li', 'dl', 'dt', 'dd',
  'table', 'thead', 'tbody', 'tfoot', 'tr', 'td', 'th', 'caption', 'colgroup', 'col',
  'h1', 'h2', 'h3', 'h4', 'h5', 'h6',
  'blockquote', 'pre', 'code', 'img', 'hr', 'font', 'center',
];

/** Disallowed tags whose content must not leak into the output as text either. */
const NON_TEXT_TAGS = [
  'script', 'style', 'textarea', 'option', 'select', 'noscript', 'noembed', 'noframes', 'template',
  'title', 'xmp', 'iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'svg', 'math',
];

const TABLE_CELL_ATTRIBUTES = ['colspan', 'rowspan', 'align', 'valign', 'width', 'height', 'bgcolor', 'nowrap'];

const ALLOWED_ATTRIBUTES: Record<string, string[]> = {
  '*': ['style', 'title', 'dir', 'lang', 'align'],
  a: ['href', 'target', 'rel'],
  img: ['src', 'alt', 'width', 'height', 'border'],
  font: ['color', 'face', 'size'],
  table: ['width', 'height', 'border', 'cellpadding', 'cellspacing', 'bgcolor', 'summary'],
  tr: ['valign', 'bgcolor', 'height'],
  td: TABLE_CELL_ATTRIBUTES,
  th: TABLE_CELL_ATTRIBUTES,
  col: ['span', 'width'],
  colgroup: ['span', 'width'],
  ol: ['start', 'type'],
  ul: ['type'],
  li: ['value'],
  hr: ['width', 'size', 'noshade'],
};

/**
 * Values allowed for the permitted CSS properties: words, numbers with units, percentages, hex
 * colours, quoted font names, commas and rgb()/rgba()/hsl() calls. No backslashes (CSS escapes,
 * CSS Syntax §4.3.7), no `:` or `;`, nothing that could open a url() or another declaration.
 */
const SAFE_CSS_VALUE = /^(?:[-\w\s#%.,'"+/]|(?:rgba?|hsla?)\([\d\s.,%]*\))*$/i;

const STYLE_PROPERTIES = [
  'color', 'background-color', 'font', 'font-family', 'font-size', 'font-style', 'font-weight', 'font-variant',
  'text-align', 'text-decoration', 'text-transform', 'text-indent', 'line-height', 'letter-spacing',
  'word-spacing', 'white-space', 'vertical-align', 'direction',
  'width', 'height', 'min-width', 'max-width', 'min-height', 'max-height',
  'margin', 'margin-top', 'margin-right', 'margin-bottom', 'margin-left',
  'padding', 'padding-top', 'padding-right', 'padding-bottom', 'padding-left',
  'border', 'border-top', 'border-right', 'border-bottom', 'border-left', 'border-color', 'border-style',
  'border-width', 'border-collapse', 'border-spacing', 'border-radius',
  'display', 'float', 'clear', 'list-style-type', 'table-layout',
];

const ALLOWED_STYLES: Record<string, Record<string, RegExp[]>> = {
  '*': Object.fromEntries(STYLE_PROPERTIES.map((property) => [property, [SAFE_CSS_VALUE]])),
};

/**
 * Checked on the entity-decoded attribute value (htmlparser2 decodes entities before we see it), so
 * `url&#40;` is caught as well as `url(`. Whitespace between the function name and `(` is allowed
 * by old IE for expression(), hence `\s*`.
 */
const DANGEROUS_STYLE = /url\s*\(|expression\s*\(|@import|behavior|-moz-binding|javascript:|\\|\/\*/i;

/** `data:` images that are plain raster formats (RFC 2397); SVG is excluded because it can carry script. */
const SAFE_DATA_IMAGE = /^data:image\/(?:png|gif|jpe?g|webp|bmp|x-icon|vnd\.microsoft\.icon);base64,[a-z0-9+/=\s]*$/i;
const CID_URL = /^cid:\S+$/i;
/** Schemes for links; checked on the decoded, trimmed value, so entity or whitespace tricks fail the test. */
const SAFE_HREF = /^(?:https?:\/\/|mailto:)/i;

const OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: ALLOWED_TAGS,
  allowedAttributes: ALLOWED_ATTRIBUTES,
  nonTextTags: NON_TEXT_TAGS,
  disallowedTagsMode: 'discard',
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesByTag: { img: ['cid', 'data'] },
  allowedSchemesAppliedToAttributes: ['href', 'src', 'cite'],
  // `//host/path` would inherit the CRM page's scheme and load or link remote content.
  allowProtocolRelative: false,
  allowedStyles: ALLOWED_STYLES,
  parseStyleAttributes: true,
  transformTags: {
    a: (tagName, attribs) => {
      const { href, ...rest } = attribs;
      const attributes: sanitizeHtml.Attributes = { ...rest, rel: 'noopener noreferrer', target: '_blank' };
      const trimmed = href?.trim();
      if (trimmed !== undefined && SAFE_HREF.test(trimmed)) {
        attributes.href = trimmed;
      }
      return { tagName, attribs: attributes };
    },
    img: (tagName, attribs) => {
      const { src, ...rest } = attribs;
      const attributes: sanitizeHtml.Attributes = { ...rest };
      const trimmed = src?.trim();
      if (trimmed !== undefined && (CID_URL.test(trimmed) || SAFE_DATA_IMAGE.test(trimmed))) {
        attributes.src = trimmed;
      }
      return { tagName, attribs: attributes };
    },
    '*': (tagName, attribs) => {
      const style = attribs.style;
      if (style === undefined || !DANGEROUS_STYLE.test(style)) return { tagName, attribs };
      const { style: _dropped, ...rest } = attribs;
      return { tagName, attribs: rest };
    },
  },
};

/** Sanitizes the HTML body of a mail for display; see the policy above. */
export function sanitizeMailHtml(html: string): string {
  return sanitizeHtml(html, OPTIONS);
}
