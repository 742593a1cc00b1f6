// Tiny WebDAV helpers (plain fetch + regex over multistatus XML) used by the harness to
// discover Xandikos' collections and by the CalDAV/CardDAV smoke tests. Deliberately
// independent of the bridge's own DAV client so that the harness checks the servers,
// not our code.

import type { Credentials } from './types.js';

export interface DavResponse {
  status: number;
  headers: Headers;
  text: string;
}

export interface DavRequest {
  method: string;
  url: string;
  auth?: Credentials | undefined;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
}

export async function davRequest(req: DavRequest): Promise<DavResponse> {
  const headers: Record<string, string> = { ...req.headers };
  if (req.auth !== undefined) {
    headers['Authorization'] =
      `Basic ${Buffer.from(`${req.auth.username}:${req.auth.password}`, 'utf8').toString('base64')}`;
  }
  if (req.body !== undefined && headers['Content-Type'] === undefined) {
    headers['Content-Type'] = 'application/xml; charset=utf-8';
  }
  const res = await fetch(req.url, {
    method: req.method,
    headers,
    ...(req.body !== undefined ? { body: req.body } : {}),
    signal: AbortSignal.timeout(req.timeoutMs ?? 15_000),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

export function propfind(
  url: string,
  props: string,
  depth: '0' | '1',
  auth?: Credentials,
): Promise<DavResponse> {
  return davRequest({
    method: 'PROPFIND',
    url,
    auth,
    headers: { Depth: depth },
    body:
      '<?xml version="1.0" encoding="utf-8"?>\n' +
      '<d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav" xmlns:card="urn:ietf:params:xml:ns:carddav" xmlns:cs="http://calendarserver.org/ns/">' +
      `<d:prop>${props}</d:prop></d:propfind>`,
  });
}

/** One <response> of a multistatus body: its href and the raw XML of the response. */
export interface MultistatusEntry {
  href: string;
  xml: string;
}

const tag = (local: string): string => `(?:[A-Za-z0-9_-]+:)?${local}`;

/** Split a multistatus document into its <response> elements (namespace prefix agnostic). */
export function parseMultistatus(xml: string): MultistatusEntry[] {
  const entries: MultistatusEntry[] = [];
  const re = new RegExp(`<${tag('response')}(?:\\s[^>]*)?>([\\s\\S]*?)</${tag('response')}>`, 'g');
  for (const m of xml.matchAll(re)) {
    const body = m[1] ?? '';
    const href = new RegExp(`<${tag('href')}(?:\\s[^>]*)?>([^<]*)</${tag('href')}>`).exec(body)?.[1];
    if (href !== undefined) entries.push({ href: decodeXml(href.trim()), xml: body });
  }
  return entries;
}

/** Text content of the first element named `local` (any namespace prefix) in `xml`. */
export function elementText(xml: string, local: string): string | undefined {
  const m = new RegExp(`<${tag(local)}(?:\\s[^>]*)?>([\\s\\S]*?)</${tag(local)}>`).exec(xml);
  if (m?.[1] === undefined) return undefined;
  const inner = m[1];
  const cdata = /^\s*<!\[CDATA\[([\s\S]*)\]\]>\s*$/.exec(inner);
  return cdata?.[1] ?? decodeXml(inner);
}

/** Hrefs inside the first element named `local` (e.g. current-user-principal). */
export function hrefsInside(xml: string, local: string): string[] {
  const m = new RegExp(`<${tag(local)}(?:\\s[^>]*)?>([\\s\\S]*?)</${tag(local)}>`).exec(xml);
  if (m?.[1] === undefined) return [];
  const re = new RegExp(`<${tag('href')}(?:\\s[^>]*)?>([^<]*)</${tag('href')}>`, 'g');
  return [...m[1].matchAll(re)].map((h) => decodeXml((h[1] ?? '').trim()));
}

/** Whether the response's resourcetype contains an element named `local` (e.g. calendar). */
export function hasResourceType(entryXml: string, local: string): boolean {
  const m = new RegExp(`<${tag('resourcetype')}(?:\\s[^>]*)?>([\\s\\S]*?)</${tag('resourcetype')}>`).exec(entryXml);
  if (m?.[1] === undefined) return false;
  return new RegExp(`<${tag(local)}(?:\\s[^>]*)?/?>`).test(m[1]);
}

export function decodeXml(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&#x([0-9a-fA-F]+);/g, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&amp;/g, '&');
}

/** Resolve an href from a DAV response against the server's URL. */
export function resolveHref(base: string, href: string): string {
  return new URL(href, base).href;
}
