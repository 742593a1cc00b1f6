// Xandikos (git-backed CalDAV/CardDAV) for integration tests, on a free loopback port
// with `--defaults`, data in a fresh temp dir.
//
// NOTE: Xandikos has no authentication of its own (it expects a reverse proxy to do it):
// any credentials, or none, are accepted and ignored, and there is a single principal.
// Tests that need per-user isolation or 401 behaviour must use Radicale.
//
// `--defaults` layout (Xandikos 0.2.x), verified at start-up by PROPFIND discovery:
//   principal        /user/                     (--current-user-principal, default /user/)
//   calendar home    /user/calendars/   -> calendar    /user/calendars/calendar/
//   addressbook home /user/contacts/    -> addressbook /user/contacts/addressbook/
//   (plus the scheduling inbox /user/inbox/)

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { hasResourceType, hrefsInside, parseMultistatus, propfind, resolveHref } from './dav.js';
import { assertServerPackages } from './ensure-packages.mjs';
import type { XandikosInfo } from './types.js';
import {
  findFreePort,
  LOOPBACK,
  serverLifetime,
  spawnServer,
  startOnFreePorts,
  waitUntilReady,
} from './util.js';

export const XANDIKOS_PRINCIPAL_PATH = '/user/';

export interface XandikosServer {
  info: XandikosInfo;
  stop(): Promise<void>;
}

export interface StartXandikosOptions {
  startTimeoutMs?: number;
}

function expectMultistatus(what: string, res: { status: number; text: string }): void {
  if (res.status !== 207) throw new Error(`${what}: expected 207, got ${res.status}: ${res.text.slice(0, 300)}`);
}

/** Find the principal, its homes and the first calendar / address book by PROPFIND. */
export async function discoverXandikos(url: string): Promise<Omit<XandikosInfo, 'host' | 'port' | 'url' | 'logFile' | 'dataDir'>> {
  const root = await propfind(url, '<d:current-user-principal/>', '0');
  expectMultistatus('PROPFIND / current-user-principal', root);
  const principalHref = hrefsInside(root.text, 'current-user-principal')[0];
  if (principalHref === undefined) throw new Error(`no current-user-principal in ${root.text}`);
  const principalUrl = resolveHref(url, principalHref);

  const homes = await propfind(principalUrl, '<c:calendar-home-set/><card:addressbook-home-set/>', '0');
  expectMultistatus('PROPFIND principal homes', homes);
  const calHref = hrefsInside(homes.text, 'calendar-home-set')[0];
  const abHref = hrefsInside(homes.text, 'addressbook-home-set')[0];
  if (calHref === undefined || abHref === undefined) throw new Error(`no calendar/addressbook home set in ${homes.text}`);
  const calendarHomeUrl = resolveHref(principalUrl, calHref);
  const addressbookHomeUrl = resolveHref(principalUrl, abHref);

  const findChild = async (home: string, type: string): Promise<string> => {
    const res = await propfind(home, '<d:resourcetype/>', '1');
    expectMultistatus(`PROPFIND ${home}`, res);
    const entry = parseMultistatus(res.text).find((e) => hasResourceType(e.xml, type));
    if (entry === undefined) throw new Error(`no ${type} collection under ${home}: ${res.text}`);
    return resolveHref(home, entry.href);
  };
  const calendarUrl = await findChild(calendarHomeUrl, 'calendar');
  const addressbookUrl = await findChild(addressbookHomeUrl, 'addressbook');
  return { principalUrl, calendarHomeUrl, addressbookHomeUrl, calendarUrl, addressbookUrl };
}

export async function startXandikos(options: StartXandikosOptions = {}): Promise<XandikosServer> {
  const binaries = assertServerPackages();
  const life = await serverLifetime('xandikos');
  const { dataDir, stop } = life;
  const logFile = join(dataDir, 'xandikos.log');
  const storeDir = join(dataDir, 'store');
  return startOnFreePorts(life, logFile, {
    prepare: async () => {
      await mkdir(storeDir);
    },
    attempt: async () => {
      const port = await findFreePort();
      const url = `http://${LOOPBACK}:${port}/`;
      const proc = spawnServer(
        binaries.xandikos,
        ['-d', storeDir, '--defaults', '-l', LOOPBACK, '-p', String(port), '--current-user-principal', XANDIKOS_PRINCIPAL_PATH],
        {
          cwd: dataDir,
          logFile,
          // HOME in the temp dir: dulwich must not pick up the caller's git config.
          env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', LANG: 'C.UTF-8', HOME: dataDir, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' },
        },
      );
      const ready = async (): Promise<XandikosServer> => {
        let discovered: Awaited<ReturnType<typeof discoverXandikos>> | undefined;
        await waitUntilReady({
          name: 'Xandikos',
          proc,
          logFile,
          ...(options.startTimeoutMs !== undefined ? { timeoutMs: options.startTimeoutMs } : {}),
          probe: async () => {
            discovered = await discoverXandikos(url);
          },
        });
        if (discovered === undefined) throw new Error('Xandikos discovery returned nothing');
        const info: XandikosInfo = { host: LOOPBACK, port, url, ...discovered, logFile, dataDir };
        return { info, stop };
      };
      return { proc, ready };
    },
  });
}
