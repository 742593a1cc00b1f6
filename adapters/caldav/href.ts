// URL handling for DAV hrefs. Servers send hrefs as absolute paths or absolute URLs (RFC 4918
// §8.3) with their own choice of percent-encoding (`@` or `%40`); the bridge stores ABSOLUTE URLs
// (DESIGN.md principle 8) in one canonical encoding so that an href from a PROPFIND, a
// sync-collection and a multiget of the same resource compare equal.

// RFC 3986 pchar minus "%": unreserved, sub-delims, ":" and "@" stay as they are.
const PCHAR = /[A-Za-z0-9\-._~!$&'()*+,;=:@]/;

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment; // a stray "%" that is not an escape: keep the text as the server sent it
  }
}

function encodeSegment(segment: string): string {
  let out = '';
  for (const ch of segment) {
    if (PCHAR.test(ch)) out += ch;
    else for (const byte of Buffer.from(ch, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Resolve `href` against `base` and normalise the path's percent-encoding; drops any fragment. */
export function canonicalHref(href: string, base: string): string {
  const url = new URL(href, base);
  url.hash = '';
  url.pathname = url.pathname
    .split('/')
    .map((s) => encodeSegment(safeDecode(s)))
    .join('/');
  return url.href;
}

export function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

/** The collection containing `url` (`http://h/a/b/` -> `http://h/a/`). */
export function parentOf(url: string): string {
  const u = new URL(url);
  const path = u.pathname.endsWith('/') ? u.pathname.slice(0, -1) : u.pathname;
  u.pathname = path.slice(0, path.lastIndexOf('/') + 1) || '/';
  u.search = '';
  u.hash = '';
  return u.href;
}

/** Path (plus query) of an absolute URL: what goes into <D:href> of a multiget (RFC 4791 §9.10). */
export function pathOf(url: string): string {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
}

/** The URL for messages and logs: never userinfo (a password could sit there), never a query. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

export function sameUrl(a: string, b: string): boolean {
  return withTrailingSlash(canonicalHref(a, a)) === withTrailingSlash(canonicalHref(b, b));
}

/** A path segment for a new collection from its display name: lower-case ASCII letters, digits and dashes (may be empty). */
export function slugify(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48)
    .replace(/-+$/, '');
}
