// A small namespace-aware XML reader for WebDAV multistatus and error bodies.
//
// Why not tsdav's parser: tsdav (xml-js) strips namespace prefixes, camel-cases names and turns
// numeric-looking text into numbers ("1234" sync-tokens and ctags become 1234), so DAV:getetag and
// a vendor's getetag, or CalendarServer's getctag and a sync-token, cannot be told apart reliably.
// WebDAV (RFC 4918 §8.2 and Appendix A) requires clients to compare by namespace URI + local name
// whatever prefix a server picks: Radicale uses a default namespace, Xandikos `ns0:`, others `D:`.
//
// Deliberately minimal: elements, attributes, text and CDATA. No DTDs (a DOCTYPE is refused, which
// also rules out entity-expansion attacks), no processing instructions beyond skipping them.

export const NS_DAV = 'DAV:';
export const NS_CALDAV = 'urn:ietf:params:xml:ns:caldav';
export const NS_CARDDAV = 'urn:ietf:params:xml:ns:carddav';
/** CalendarServer extensions (getctag). */
export const NS_CS = 'http://calendarserver.org/ns/';
/** Apple iCal extensions (calendar-color). */
export const NS_ICAL = 'http://apple.com/ns/ical/';

const XML_NS = 'http://www.w3.org/XML/1998/namespace';

export interface XmlElement {
  /** Namespace URI ('' when the element is in no namespace). */
  ns: string;
  local: string;
  /** Attributes without a prefix by local name; prefixed ones as `{uri}local`. */
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Concatenated text and CDATA directly inside this element, entities decoded. */
  text: string;
  /**
   * The first character reference in this element's own text or attributes that names no XML
   * character (decoded as U+FFFD), e.g. `&#x110000;`; absent when there is none.
   */
  invalidReference?: string;
}

export class XmlParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XmlParseError';
  }
}

// One token per match: comment | CDATA | PI/declaration | DOCTYPE | end tag | start tag | text.
const TOKEN =
  /<!--[\s\S]*?-->|<!\[CDATA\[([\s\S]*?)\]\]>|<\?[\s\S]*?\?>|(<!DOCTYPE)|<\/([^\s>]+)\s*>|<([^\s/>!?]+)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|([^<]+)|(<)/gy;
const ATTR = /([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

/** XML 1.0 §2.2 Char: what a character reference may name (§4.1 WFC: Legal Character). */
function isXmlChar(cp: number): boolean {
  return cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

/**
 * Decode the predefined entities and numeric character references (XML 1.0 §4.1, §4.6). A
 * reference to something that is not an XML character (`&#x110000;` beyond Unicode, `&#0;`, a
 * surrogate) would make the whole document ill-formed; a strict parser would refuse every item
 * of a multistatus for one bad byte sequence in one of them. It becomes U+FFFD instead and is
 * reported through `onInvalid`, so the caller can refuse just the element that holds it.
 */
export function decodeEntities(s: string, onInvalid?: (reference: string) => void): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (match, e: string) => {
    switch (e) {
      case 'lt':
        return '<';
      case 'gt':
        return '>';
      case 'amp':
        return '&';
      case 'quot':
        return '"';
      case 'apos':
        return "'";
      default: {
        // parseInt/Number of a 30-digit reference give a huge number or Infinity, never a throw.
        const cp = e[1] === 'x' ? parseInt(e.slice(2), 16) : Number(e.slice(1));
        if (isXmlChar(cp)) return String.fromCodePoint(cp);
        onInvalid?.(match);
        return '\uFFFD';
      }
    }
  });
}

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

interface Open {
  el: XmlElement;
  qname: string;
  scope: Map<string, string>;
}

function splitName(qname: string): [prefix: string, local: string] {
  const i = qname.indexOf(':');
  return i < 0 ? ['', qname] : [qname.slice(0, i), qname.slice(i + 1)];
}

/** Parse a document and return its root element. Throws XmlParseError on malformed input. */
export function parseXml(xml: string): XmlElement {
  const stack: Open[] = [];
  let root: XmlElement | undefined;
  let scope = new Map<string, string>([['xml', XML_NS]]);
  TOKEN.lastIndex = 0;
  let m: RegExpExecArray | null;
  while (TOKEN.lastIndex < xml.length && (m = TOKEN.exec(xml)) !== null) {
    const [, cdata, doctype, endName, startName, rawAttrs, selfClose, text, stray] = m;
    const top = stack[stack.length - 1];
    if (doctype !== undefined) throw new XmlParseError('DOCTYPE is not allowed in DAV responses');
    if (stray !== undefined) throw new XmlParseError(`malformed markup at offset ${m.index}`);
    if (cdata !== undefined || text !== undefined) {
      if (top !== undefined) {
        const el = top.el;
        el.text += cdata ?? decodeEntities(text ?? '', (ref) => (el.invalidReference ??= ref));
      }
      else if ((text ?? cdata ?? '').trim() !== '') throw new XmlParseError('text outside the root element');
      continue;
    }
    if (endName !== undefined) {
      if (top === undefined || top.qname !== endName) throw new XmlParseError(`unexpected </${endName}>`);
      stack.pop();
      scope = stack[stack.length - 1]?.scope ?? new Map([['xml', XML_NS]]);
      continue;
    }
    if (startName === undefined) continue; // comment or processing instruction
    if (root !== undefined && stack.length === 0) throw new XmlParseError('more than one root element');

    // Namespace declarations first (they apply to the element's own name and attributes).
    const attrPairs: Array<[string, string]> = [];
    let elementScope = scope;
    let invalidReference: string | undefined;
    for (const a of (rawAttrs ?? '').matchAll(ATTR)) {
      const name = a[1] ?? '';
      const value = decodeEntities(a[2] ?? a[3] ?? '', (ref) => (invalidReference ??= ref));
      if (name === 'xmlns' || name.startsWith('xmlns:')) {
        if (elementScope === scope) elementScope = new Map(scope);
        elementScope.set(name === 'xmlns' ? '' : name.slice(6), value);
      } else {
        attrPairs.push([name, value]);
      }
    }
    const [prefix, local] = splitName(startName);
    const ns = elementScope.get(prefix);
    if (ns === undefined && prefix !== '') throw new XmlParseError(`undeclared namespace prefix "${prefix}"`);
    const attrs: Record<string, string> = {};
    for (const [name, value] of attrPairs) {
      const [aPrefix, aLocal] = splitName(name);
      if (aPrefix === '') {
        attrs[aLocal] = value; // unprefixed attributes are in no namespace (XML Namespaces §6.2)
      } else {
        const aNs = elementScope.get(aPrefix);
        if (aNs === undefined) throw new XmlParseError(`undeclared namespace prefix "${aPrefix}"`);
        attrs[`{${aNs}}${aLocal}`] = value;
      }
    }
    const el: XmlElement = { ns: ns ?? '', local, attrs, children: [], text: '', ...(invalidReference !== undefined ? { invalidReference } : {}) };
    if (top !== undefined) top.el.children.push(el);
    else root = el;
    if (selfClose !== '/') {
      stack.push({ el, qname: startName, scope: elementScope });
      scope = elementScope;
    }
  }
  if (stack.length > 0) throw new XmlParseError(`unclosed <${stack[stack.length - 1]?.qname ?? ''}>`);
  if (root === undefined) throw new XmlParseError('no root element');
  return root;
}

export function isElement(el: XmlElement | undefined, ns: string, local: string): el is XmlElement {
  return el !== undefined && el.ns === ns && el.local === local;
}

export function childOf(el: XmlElement | undefined, ns: string, local: string): XmlElement | undefined {
  return el?.children.find((c) => c.ns === ns && c.local === local);
}

export function childrenOf(el: XmlElement | undefined, ns: string, local: string): XmlElement[] {
  return el?.children.filter((c) => c.ns === ns && c.local === local) ?? [];
}

/** Depth-first search for the first descendant (or self) with this name. */
export function findDeep(el: XmlElement | undefined, ns: string, local: string): XmlElement | undefined {
  if (el === undefined) return undefined;
  if (el.ns === ns && el.local === local) return el;
  for (const c of el.children) {
    const hit = findDeep(c, ns, local);
    if (hit !== undefined) return hit;
  }
  return undefined;
}

/** The first invalid character reference in `el` or below it (see XmlElement.invalidReference). */
export function invalidReferenceIn(el: XmlElement): string | undefined {
  // Iterative: a hostile document may nest deeper than the call stack.
  const pending: XmlElement[] = [el];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (next.invalidReference !== undefined) return next.invalidReference;
    for (let i = next.children.length - 1; i >= 0; i--) pending.push(next.children[i] as XmlElement);
  }
  return undefined;
}
