// The README's server compatibility tables, checked against the servers of this run: every
// capability cell is probed on the real server (IMAP capabilities and namespace after login,
// sync-collection and getctag on a new calendar, the schedule outbox, the vCard version a stored
// 4.0 card comes back as) and every version against the installed package or the server's own
// banner. A server upgrade that changes a capability fails here, naming the cell.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { CalDavConnector, CalDavScheduleOutbox } from '../../../adapters/caldav/index.js';
import { CardDavConnector } from '../../../adapters/carddav/index.js';
import { assertServerPackages, cyrusPrefix } from '../../servers/ensure-packages.mjs';
import { davRequest } from '../../servers/dav.js';
import { imapTargets } from '../../support/imap-targets.js';
import { calendarUser, tag, type ServerName } from '../calendar/support.js';
import { davAccount } from '../contacts/support.js';

const servers = inject('servers');

/** The rows of the README table whose header row starts with `| Server | Version | <first>`. */
function readmeTable(first: string): Map<string, Record<string, string>> {
  const lines = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8').split('\n');
  const start = lines.findIndex((line) => line.startsWith(`| Server | Version | ${first} |`));
  if (start < 0) throw new Error(`README has no table starting with | Server | Version | ${first} |`);
  const cells = (line: string) => line.split('|').slice(1, -1).map((cell) => cell.trim());
  const header = cells(lines[start]!);
  const rows = new Map<string, Record<string, string>>();
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    const values = cells(line);
    rows.set(values[0]!, Object.fromEntries(header.map((name, i) => [name, values[i] ?? ''])));
  }
  return rows;
}

const packageVersion = (pkg: string): string => execFileSync('dpkg-query', ['-W', '-f', '${Version}', pkg], { encoding: 'utf8' });
/** Courier has no ID command (RFC 2971); its imapd names its version: "Courier 1.0.16 (Courier-IMAP 5.0.13)/...". */
function courierVersion(): string {
  const { courier } = assertServerPackages();
  return execFileSync(courier.imapd, ['--version'], { encoding: 'utf8', env: { ...process.env, LD_LIBRARY_PATH: courier.lib } });
}
const yesNo = (value: boolean): string => (value ? 'yes' : 'no');

describe('README: IMAP compatibility table', () => {
  const table = readmeTable('CONDSTORE');
  const rowOf: Record<string, string> = { dovecot: 'Dovecot', cyrus: 'Cyrus IMAP', courier: 'Courier IMAP' };

  it('lists exactly the IMAP servers of the matrix', () => {
    expect([...table.keys()].sort()).toEqual(imapTargets(servers).map((server) => rowOf[server.name]).sort());
  });

  for (const server of imapTargets(servers)) {
    it(`${rowOf[server.name]}: version, capabilities and namespace as the server reports them`, async () => {
      const row = table.get(rowOf[server.name]!)!;
      const [user] = await server.createUsers(['compat']);
      const client = await server.client(user!);
      try {
        for (const capability of ['CONDSTORE', 'QRESYNC', 'IDLE', 'MOVE', 'SPECIAL-USE']) expect(row[capability], capability).toBe(yesNo(client.capabilities.has(capability)));
        const namespace = client.namespace!;
        expect(row['Personal namespace']).toBe(namespace.prefix === '' ? `root, \`${namespace.delimiter}\`` : `\`${namespace.prefix}\`, \`${namespace.delimiter}\``);
        const version =
          server.name === 'dovecot' ? packageVersion('dovecot-imapd')
          : server.name === 'courier' ? courierVersion()
          : String(client.serverInfo?.version ?? '');
        expect(version).toContain(row['Version']!);
      } finally {
        await client.logout();
      }
    });
  }
});

describe('README: CalDAV and CardDAV compatibility table', () => {
  const table = readmeTable('sync-collection');
  const rowOf: Record<ServerName, string> = { radicale: 'Radicale', xandikos: 'Xandikos', sabre: 'sabre/dav', cyrus: 'Cyrus httpd' };
  const syncBody = '<?xml version="1.0"?><d:sync-collection xmlns:d="DAV:"><d:sync-token/><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>';

  it('lists exactly the DAV servers of the matrix', () => {
    expect([...table.keys()].sort()).toEqual(Object.values(rowOf).sort());
  });

  for (const server of Object.keys(rowOf) as ServerName[]) {
    it(`${rowOf[server]}: version, sync-collection, getctag, scheduling and stored vCard version as the server shows them`, async () => {
      const row = table.get(rowOf[server])!;
      const user = await calendarUser(servers, server);
      const session = await new CalDavConnector().connect(user.caldav);
      const calendar = await session.createCalendar(`Compat ${tag()}`, ['VEVENT']);
      const auth = { username: user.caldav.username, password: user.caldav.password };
      const report = await davRequest({ method: 'REPORT', url: calendar.href, auth, headers: { Depth: '0' }, body: syncBody });
      expect(row['sync-collection'], 'sync-collection').toBe(yesNo(report.status === 207));
      const [listed] = (await session.listCalendars()).filter((c) => c.href === calendar.href);
      expect(row['getctag'], 'getctag').toBe(yesNo(listed?.ctag !== null && listed?.ctag !== undefined));

      // Scheduling: free/busy of another user of the same server, whose calendar home exists.
      const other = await calendarUser(servers, server);
      await (await new CalDavConnector().connect(other.caldav)).listCalendars();
      const answer = await new CalDavScheduleOutbox().query({ ...user.caldav, timeoutMs: 15_000 }, { organizer: { email: user.email, name: 'Compat' }, attendees: [other.email], start: new Date('2030-01-07T00:00:00Z'), end: new Date('2030-01-08T00:00:00Z') });
      const scheduling = answer === null ? 'no' : answer.every((entry) => entry.requestStatus.startsWith('2.')) ? 'yes' : 'outbox without recipients';
      expect(row['Scheduling (RFC 6638)'], 'scheduling').toBe(scheduling);

      // The vCard version a stored 4.0 card comes back as.
      const cards = await new CardDavConnector().connect(await davAccount(servers, server));
      const book = await cards.createAddressBook(`Compat ${tag()}`);
      const uid = randomUUID();
      const href = `${book.href}${uid}.vcf`;
      await cards.put(href, ['BEGIN:VCARD', 'VERSION:4.0', `UID:${uid}`, 'FN:Compat Card', 'KIND:individual', 'END:VCARD', ''].join('\r\n'), null);
      const [stored] = await cards.fetch(book, [href]);
      const version = /^VERSION:(\S+)\r?$/m.exec(stored!.data)?.[1];
      expect(row['vCard stored as'], 'vCard stored as').toBe(version === '4.0' ? 'as sent' : `vCard ${version}`);

      const installed =
        server === 'radicale' ? packageVersion('radicale')
        : server === 'xandikos' ? packageVersion('xandikos')
        : server === 'sabre' ? (/<s:sabredav-version>([^<]+)</.exec(report.text)?.[1] ?? '')
        : readFileSync(`${cyrusPrefix()}/usr/lib/cyrus/cyrus-hardwired-config.txt`, 'utf8');
      expect(installed).toContain(row['Version']!);
    });
  }
});
