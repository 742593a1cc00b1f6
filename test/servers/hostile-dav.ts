/**
 * A scripted, misbehaving CalDAV/CardDAV server on loopback (node:http, 127.0.0.1, port 0) for
 * what Radicale and Xandikos cannot be made to do on demand: multistatus bodies of hundreds of
 * megabytes, items whose data is larger than any sane limit, and XML a real server would not
 * write (an out-of-range numeric character reference such as `&#x110000;`).
 *
 * It serves one principal with one collection (an address book or a calendar) and answers just
 * what the bridge's DAV client sends: PROPFIND for discovery and the collection listing, REPORT
 * sync-collection (RFC 6578), REPORT addressbook-multiget / calendar-multiget (RFC 6352 §8.7,
 * RFC 4791 §7.9) and GET. Any credentials are accepted. Large bodies are generated while they
 * are written (with backpressure), so the server itself never holds them in memory, and it
 * records per request how many bytes it wrote and whether the client hung up before the end:
 * that is how a test sees that the bridge stopped reading at its limit.
 *
 *   const dav = await startHostileDav({ kind: 'addressbook' });
 *   dav.items.set('a.vcf', { data: 'BEGIN:VCARD...' });
 *   dav.items.set('huge.vcf', { hugeBytes: 50 * 2 ** 20 });         // data of 50 MiB
 *   dav.items.set('bad.vcf', { rawXml: 'BEGIN:VCARD&#x110000;...' }); // as written into the XML
 *   ... connect to dav.principalUrl ...
 *   await dav.close();
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type HostileItem =
  /** Ordinary data, XML-escaped into the multistatus. */
  | { data: string }
  /** Data of this many bytes (a valid head, then filler lines), generated while it is written. */
  | { hugeBytes: number }
  /** Written into calendar-data / address-data as is, e.g. with a bad character reference. */
  | { rawXml: string };

export interface HostileRequestLog {
  method: string;
  path: string;
  /** multiget: how many hrefs the request asked for. */
  hrefs: number;
  /** multiget: the member names it asked for. */
  names: string[];
  /** Body bytes the server wrote. */
  bytesWritten: number;
  /** The client closed the connection before the whole body was written (set when the server notices, which may be after the client went on). */
  aborted: boolean;
}

export interface HostileDavOptions {
  kind: 'addressbook' | 'calendar';
  /** Extra bytes of padding (an XML comment) in every sync-collection answer: an oversized listing. */
  syncListingPaddingBytes?: number;
}

export interface HostileDav {
  readonly url: string;
  readonly principalUrl: string;
  readonly collectionUrl: string;
  /** The collection's members by name (below collectionUrl); tests change them between passes. */
  readonly items: Map<string, HostileItem>;
  readonly requests: HostileRequestLog[];
  /** Counter that is bumped on every change and used as sync-token and etag suffix. */
  bump(): void;
  close(): Promise<void>;
}

const NS = 'xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav" xmlns:card="urn:ietf:params:xml:ns:carddav"';
const HEAD = '<?xml version="1.0" encoding="utf-8"?>\n';
const CHUNK = 64 * 1024;

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** The head of an item's data: a valid vCard or VEVENT, so that what is cut off is only filler. */
function dataHead(kind: HostileDavOptions['kind'], name: string): string {
  return kind === 'addressbook'
    ? `BEGIN:VCARD\r\nVERSION:3.0\r\nUID:hostile-${name}\r\nFN:Huge ${name}\r\nNOTE:`
    : `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//hostile//EN\r\nBEGIN:VEVENT\r\nUID:hostile-${name}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260101T100000Z\r\nDTEND:20260101T110000Z\r\nSUMMARY:Huge ${name}\r\nDESCRIPTION:`;
}

function dataTail(kind: HostileDavOptions['kind']): string {
  return kind === 'addressbook' ? '\r\nEND:VCARD\r\n' : '\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n';
}

/** A body made of string parts and generated filler, written with backpressure. */
type Part = string | { filler: number; plain?: boolean };

export async function startHostileDav(options: HostileDavOptions): Promise<HostileDav> {
  const items = new Map<string, HostileItem>();
  const requests: HostileRequestLog[] = [];
  const sockets = new Set<Socket>();
  let version = 1;
  const dataEl = options.kind === 'addressbook' ? 'card:address-data' : 'c:calendar-data';
  const collectionPath = options.kind === 'addressbook' ? '/home/book/' : '/home/cal/';

  const etagOf = (name: string) => `"${name}-${version}"`;

  function itemResponse(name: string): Part[] {
    const item = items.get(name);
    const href = `${collectionPath}${name}`;
    if (item === undefined) return [`<d:response><d:href>${href}</d:href><d:status>HTTP/1.1 404 Not Found</d:status></d:response>`];
    const open = `<d:response><d:href>${href}</d:href><d:propstat><d:prop><d:getetag>${escapeXml(etagOf(name))}</d:getetag><${dataEl}>`;
    const close = `</${dataEl}></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>`;
    if ('data' in item) return [open, escapeXml(item.data), close];
    if ('rawXml' in item) return [open, item.rawXml, close];
    const head = escapeXml(dataHead(options.kind, name));
    const tail = escapeXml(dataTail(options.kind));
    return [open, head, { filler: Math.max(0, item.hugeBytes - head.length - tail.length) }, tail, close];
  }

  async function send(res: ServerResponse, status: number, parts: Part[], log: HostileRequestLog, contentType = 'application/xml; charset=utf-8'): Promise<void> {
    res.writeHead(status, { 'Content-Type': contentType });
    let closed = false;
    res.on('close', () => {
      closed = true;
    });
    const write = async (chunk: string): Promise<void> => {
      if (closed) return;
      log.bytesWritten += Buffer.byteLength(chunk);
      if (!res.write(chunk)) await new Promise<void>((resolve) => {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
    };
    // Filler: vCard/iCalendar-folded lines of 'x' (RFC 6350 §3.2 / RFC 5545 §3.1), CRLF-escaped in XML.
    const xmlLine = `${'x'.repeat(74)}&#13;\n `;
    const xmlBlock = xmlLine.repeat(Math.ceil(CHUNK / xmlLine.length));
    const plainBlock = `${'x'.repeat(74)}\r\n `.repeat(Math.ceil(CHUNK / 77));
    for (const part of parts) {
      if (closed) break;
      if (typeof part === 'string') {
        await write(part);
        continue;
      }
      const block = part.plain === true ? plainBlock : xmlBlock;
      let left = part.filler;
      while (left > 0 && !closed) {
        const piece = left >= block.length ? block : 'x'.repeat(left);
        left -= piece.length;
        await write(piece);
      }
    }
    log.aborted = closed;
    if (!closed) res.end();
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const log: HostileRequestLog = { method: req.method ?? '', path, hrefs: 0, names: [], bytesWritten: 0, aborted: false };
    requests.push(log);
    const ms = (inner: Part[]): Part[] => [`${HEAD}<d:multistatus ${NS}>`, ...inner, '</d:multistatus>'];

    if (req.method === 'PROPFIND') {
      if (path === '/principal/' || path === '/.well-known/caldav' || path === '/') {
        await send(res, 207, ms([
          '<d:response><d:href>/principal/</d:href><d:propstat><d:prop>',
          '<d:current-user-principal><d:href>/principal/</d:href></d:current-user-principal>',
          '<d:resourcetype><d:collection/><d:principal/></d:resourcetype>',
          '<c:calendar-home-set><d:href>/home/</d:href></c:calendar-home-set>',
          '<card:addressbook-home-set><d:href>/home/</d:href></card:addressbook-home-set>',
          '</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>',
        ]), log);
        return;
      }
      if (path === '/home/' || path === collectionPath) {
        const type = options.kind === 'addressbook' ? '<card:addressbook/>' : '<c:calendar/>';
        const comps = options.kind === 'calendar' ? '<c:supported-calendar-component-set><c:comp name="VEVENT"/><c:comp name="VTODO"/></c:supported-calendar-component-set>' : '';
        const self = `<d:response><d:href>${collectionPath}</d:href><d:propstat><d:prop><d:resourcetype><d:collection/>${type}</d:resourcetype><d:displayname>Hostile</d:displayname>${comps}<d:sync-token>http://hostile/sync/${version}</d:sync-token></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>`;
        const home = '<d:response><d:href>/home/</d:href><d:propstat><d:prop><d:resourcetype><d:collection/></d:resourcetype></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>';
        const depth = req.headers['depth'];
        await send(res, 207, ms(path === '/home/' ? (depth === '0' ? [home] : [home, self]) : [self]), log);
        return;
      }
      // getetag of one member (after a PUT without ETag, or a GET without one).
      const name = path.slice(collectionPath.length);
      if (path.startsWith(collectionPath) && items.has(name)) {
        await send(res, 207, ms([`<d:response><d:href>${path}</d:href><d:propstat><d:prop><d:getetag>${escapeXml(etagOf(name))}</d:getetag></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>`]), log);
        return;
      }
      await send(res, 404, [], log);
      return;
    }

    if (req.method === 'REPORT' && path === collectionPath) {
      if (body.includes('sync-collection')) {
        const members = [...items.keys()].map(
          (name) => `<d:response><d:href>${collectionPath}${name}</d:href><d:propstat><d:prop><d:getetag>${escapeXml(etagOf(name))}</d:getetag></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>`,
        );
        const padding: Part[] = options.syncListingPaddingBytes ? ['<!--', { filler: options.syncListingPaddingBytes }, '-->'] : [];
        await send(res, 207, ms([...members, ...padding, `<d:sync-token>http://hostile/sync/${version}</d:sync-token>`]), log);
        return;
      }
      if (body.includes('multiget')) {
        const hrefs = [...body.matchAll(/<d:href>([^<]*)<\/d:href>/g)].map((m) => decodeURIComponent(m[1] ?? ''));
        log.hrefs = hrefs.length;
        log.names = hrefs.map((href) => href.slice(href.lastIndexOf('/') + 1));
        await send(res, 207, ms(hrefs.flatMap((href) => itemResponse(href.slice(href.lastIndexOf('/') + 1)))), log);
        return;
      }
    }

    if (req.method === 'GET' && path.startsWith(collectionPath)) {
      const name = path.slice(collectionPath.length);
      const item = items.get(name);
      if (item === undefined) {
        await send(res, 404, [], log);
        return;
      }
      res.setHeader('ETag', etagOf(name));
      const type = options.kind === 'addressbook' ? 'text/vcard' : 'text/calendar';
      if ('data' in item) await send(res, 200, [item.data], log, type);
      else if ('rawXml' in item) await send(res, 200, [item.rawXml], log, type);
      else await send(res, 200, [dataHead(options.kind, name), { filler: item.hugeBytes, plain: true }, dataTail(options.kind)], log, type);
      return;
    }
    if (req.method === 'OPTIONS') {
      res.writeHead(200, { DAV: '1, 3, addressbook, calendar-access', Allow: 'OPTIONS, GET, PROPFIND, REPORT' });
      res.end();
      return;
    }
    await send(res, 405, [], log);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    principalUrl: `${url}/principal/`,
    collectionUrl: `${url}${collectionPath}`,
    items,
    requests,
    bump: () => {
      version++;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
