// Reading 207 Multi-Status bodies (RFC 4918 §13, §14.16) into absolute hrefs, per-response
// statuses and the properties that came back with 200 — the only ones that may be trusted
// (a 404 propstat lists properties the resource does not have, RFC 4918 §9.1.2).

import { BridgeError } from '../../src/domain/errors.js';
import { canonicalHref } from './href.js';
import { describe } from './parse-dav-error.js';
import { childOf, childrenOf, invalidReferenceIn, NS_DAV, parseXml, XmlParseError, type XmlElement } from './xml.js';

export interface DavPropstat {
  status: number;
  /** Children of <D:prop>. */
  props: XmlElement[];
}

export interface DavResponseEntry {
  /** Absolute, canonical URL. */
  href: string;
  /** Status of the whole response (`<D:status>` directly in `<D:response>`), e.g. 404 for a deleted member in sync-collection. */
  status: number | null;
  propstats: DavPropstat[];
  /** `<D:error>` of the response, if any (RFC 4918 §14.5). */
  error: XmlElement | undefined;
  /**
   * A character reference in this response that names no XML character (e.g. `&#x110000;`,
   * XML 1.0 §4.1), decoded as U+FFFD; null when there is none. Its data cannot be trusted.
   */
  invalidReference: string | null;
}

export interface Multistatus {
  responses: DavResponseEntry[];
  /** `<D:sync-token>` directly in `<D:multistatus>` (RFC 6578 §6.4). */
  syncToken: string | null;
}

/** `HTTP/1.1 404 Not Found` -> 404; null when unreadable. */
export function parseStatusLine(line: string | undefined): number | null {
  const m = /^\s*\S+\s+(\d{3})\b/.exec(line ?? '');
  return m?.[1] !== undefined ? Number(m[1]) : null;
}

/** Parse a multistatus body; `base` is the request URL the hrefs are relative to. */
export function parseMultistatus(xml: string, base: string, method = 'REPORT'): Multistatus {
  let root: XmlElement;
  try {
    root = parseXml(xml);
  } catch (error) {
    if (error instanceof XmlParseError) {
      throw new BridgeError('TEMPORARY', `${describe(method, base)} failed: the server sent a multistatus that could not be read (${error.message})`, {
        cause: error,
      });
    }
    throw error;
  }
  if (root.ns !== NS_DAV || root.local !== 'multistatus') {
    throw new BridgeError('TEMPORARY', `${describe(method, base)} failed: the server sent <${root.local}> instead of a multistatus`);
  }
  const responses: DavResponseEntry[] = [];
  for (const response of childrenOf(root, NS_DAV, 'response')) {
    const status = parseStatusLine(childOf(response, NS_DAV, 'status')?.text);
    const propstats = childrenOf(response, NS_DAV, 'propstat').map((ps) => ({
      status: parseStatusLine(childOf(ps, NS_DAV, 'status')?.text) ?? 0,
      props: childOf(ps, NS_DAV, 'prop')?.children ?? [],
    }));
    const error = childOf(response, NS_DAV, 'error');
    const invalidReference = invalidReferenceIn(response) ?? null;
    // RFC 4918 §14.24: a status-only response may name several hrefs.
    for (const hrefEl of childrenOf(response, NS_DAV, 'href')) {
      const raw = hrefEl.text.trim();
      if (raw === '') continue;
      responses.push({ href: canonicalHref(raw, base), status, propstats, error, invalidReference });
    }
  }
  const token = childOf(root, NS_DAV, 'sync-token')?.text.trim();
  return { responses, syncToken: token !== undefined && token !== '' ? token : null };
}

/** A property that came back with a 2xx propstat. */
export function okProp(entry: DavResponseEntry, ns: string, local: string): XmlElement | undefined {
  for (const ps of entry.propstats) {
    if (ps.status < 200 || ps.status >= 300) continue;
    const hit = ps.props.find((p) => p.ns === ns && p.local === local);
    if (hit !== undefined) return hit;
  }
  return undefined;
}

/** Text of a 2xx property, trimmed; null when absent or empty. */
export function okText(entry: DavResponseEntry, ns: string, local: string): string | null {
  const text = okProp(entry, ns, local)?.text.trim();
  return text !== undefined && text !== '' ? text : null;
}

/** Absolute hrefs inside a 2xx property such as current-user-principal or calendar-home-set. */
export function okHrefs(entry: DavResponseEntry, ns: string, local: string, base: string): string[] {
  return childrenOf(okProp(entry, ns, local), NS_DAV, 'href')
    .map((h) => h.text.trim())
    .filter((h) => h !== '')
    .map((h) => canonicalHref(h, base));
}

/** Whether the entry's resourcetype contains `{ns}local` (e.g. CALDAV:calendar). */
export function hasResourceType(entry: DavResponseEntry, ns: string, local: string): boolean {
  return childOf(okProp(entry, NS_DAV, 'resourcetype'), ns, local) !== undefined;
}

/** The effective status of a response: its own, else the best propstat's (a 200 wins). */
export function entryStatus(entry: DavResponseEntry): number | null {
  if (entry.status !== null) return entry.status;
  if (entry.propstats.some((p) => p.status >= 200 && p.status < 300)) return 200;
  return entry.propstats[0]?.status ?? null;
}
