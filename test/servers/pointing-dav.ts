/**
 * Two loopback origins for the credential-origin tests (issue 12): a DAV server that answers
 * discovery and multiget with hrefs chosen by the test (so it can point its
 * current-user-principal, calendar-home-set or an item href at another origin, as a hostile or
 * compromised server would), and a recording server that stands for the attacker's host and
 * keeps every request's method, path and Authorization header.
 *
 *   const sink = await startRecordingServer();
 *   const dav = await startPointingDav({ principal: `${sink.url}/principal/` });
 *   ... connect to `${dav.url}/dav/` ...
 *   expect(sink.requests.filter((r) => r.authorization !== undefined)).toEqual([]);
 *
 * Both bind 127.0.0.1 on port 0; two servers are two origins (different ports). Any credentials
 * are accepted.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  authorization: string | undefined;
}

export interface LoopbackServer {
  /** http://127.0.0.1:PORT, no trailing slash. */
  readonly url: string;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

export interface PointingDavOptions {
  /** current-user-principal of /dav/ (absolute or a path); default `/principal/`. */
  principal?: string;
  /** calendar-home-set of /principal/; default `/cal/`. */
  calendarHome?: string;
  /**
   * hrefs every REPORT on /cal/work/ (sync-collection and multiget) answers with, getetag only and
   * no calendar-data, so the client GETs each; e.g. one on another origin. GET of a path below
   * /cal/work/ on this server answers a small event.
   */
  multigetHrefs?: string[];
}

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

function multistatus(responses: { href: string; props: string }[]): string {
  const body = responses
    .map((r) => `<d:response><d:href>${escapeXml(r.href)}</d:href><d:propstat><d:prop>${r.props}</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>`)
    .join('');
  return `<?xml version="1.0" encoding="utf-8"?><d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">${body}</d:multistatus>`;
}

async function listen(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<LoopbackServer> {
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization });
    // Read the body before answering so the client never sees a reset.
    req.resume();
    req.on('end', () => handle(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The attacker's host: answers every request with an empty 207 and records it. */
export function startRecordingServer(): Promise<LoopbackServer> {
  return listen((_req, res) => {
    res.writeHead(207, { 'Content-Type': 'application/xml; charset=utf-8' }).end(multistatus([]));
  });
}

/** A CalDAV server whose principal, calendar home and multiget hrefs are the test's choice. */
export function startPointingDav(options: PointingDavOptions = {}): Promise<LoopbackServer> {
  const principal = options.principal ?? '/principal/';
  const calendarHome = options.calendarHome ?? '/cal/';
  return listen((req, res) => {
    const xml = (body: string) => res.writeHead(207, { 'Content-Type': 'application/xml; charset=utf-8' }).end(body);
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'PROPFIND' && path === '/dav/') {
      return xml(multistatus([{ href: '/dav/', props: `<d:resourcetype><d:collection/></d:resourcetype><d:current-user-principal><d:href>${escapeXml(principal)}</d:href></d:current-user-principal>` }]));
    }
    if (req.method === 'PROPFIND' && path === '/principal/') {
      return xml(multistatus([{ href: '/principal/', props: `<d:resourcetype><d:principal/></d:resourcetype><c:calendar-home-set><d:href>${escapeXml(calendarHome)}</d:href></c:calendar-home-set>` }]));
    }
    if (req.method === 'REPORT' && path === '/cal/work/') {
      return xml(multistatus((options.multigetHrefs ?? []).map((href) => ({ href, props: '<d:getetag>"1"</d:getetag>' }))));
    }
    if (req.method === 'GET' && path?.startsWith('/cal/work/') === true) {
      const uid = path.slice('/cal/work/'.length);
      const ics = `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//pointing-dav//EN\r\nBEGIN:VEVENT\r\nUID:${uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260101T100000Z\r\nSUMMARY:${uid}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`;
      return res.writeHead(200, { 'Content-Type': 'text/calendar', ETag: '"1"' }).end(ics);
    }
    res.writeHead(404).end();
  });
}
