/**
 * DAV hrefs as the engine compares them. Servers spell one resource in several ways: with or
 * without a trailing slash, percent-encoded or not (RFC 3986 §6.2.2.2: percent-encoding
 * normalisation), as an absolute URL or a path (RFC 4918 §8.3 allows either in a multistatus).
 * The adapters make every href absolute (DESIGN.md principle 8); the engine then compares paths.
 */

/** The decoded path of an href without trailing slashes: one key per resource of a server. */
export function hrefKey(href: string): string {
  let path: string;
  try {
    path = new URL(href, 'http://path.invalid').pathname;
  } catch {
    path = href;
  }
  try {
    path = decodeURIComponent(path);
  } catch {
    // A lone '%' that is no escape: compared as written.
  }
  return path.replace(/\/+$/, '');
}

/** Whether two hrefs (absolute or paths) name the same resource or collection. */
export function sameHref(a: string, b: string): boolean {
  return hrefKey(a) === hrefKey(b);
}

/** The collection an object href lives in (its parent, with trailing slash). */
export function collectionOf(href: string): string {
  return href.replace(/[^/]*$/, '');
}

/** Whether the resource at `href` lies in the collection at `collectionHref` (compared as hrefKey paths). */
export function within(href: string, collectionHref: string): boolean {
  return hrefKey(href).startsWith(`${hrefKey(collectionHref)}/`);
}
