// Smoke test of the Cyrus IMAP test server (imapflow and plain fetch, not the bridge's adapters):
// users added at run time log in over IMAP with the namespace Cyrus installations have, and reach
// their CalDAV and CardDAV homes on Cyrus's httpd; wrong passwords are refused on both.

import { beforeAll, describe, expect, inject, it } from 'vitest';
import { propfind } from '../../servers/dav.js';
import { createCyrusUser } from '../../servers/cyrus.js';
import type { Credentials } from '../../servers/types.js';
import { imapClientAt } from '../../support/mail.js';

const servers = inject('servers');
const { cyrus } = servers;

const client = (user: Credentials) => imapClientAt({ host: cyrus.host, port: cyrus.imapPort }, user.username, user.password);

describe('Cyrus IMAP test server', () => {
  let user: Credentials;

  beforeAll(async () => {
    user = await createCyrusUser(servers, 'smoke');
  });

  it('logs a new user in with CONDSTORE, QRESYNC and the INBOX. namespace', async () => {
    const imap = await client(user);
    try {
      for (const capability of ['CONDSTORE', 'QRESYNC', 'IDLE', 'MOVE', 'UIDPLUS', 'SPECIAL-USE']) expect(imap.capabilities.has(capability), capability).toBe(true);
      expect(imap.namespace?.prefix).toBe('INBOX.');
      expect(imap.namespace?.delimiter).toBe('.');
      await imap.mailboxCreate('INBOX.Projects');
      const listed = (await imap.list()).map((m) => m.path);
      expect(listed).toEqual(expect.arrayContaining(['INBOX', 'INBOX.Sent', 'INBOX.Trash', 'INBOX.Archive', 'INBOX.Projects']));
      await imap.append('INBOX', 'From: a@example.com\r\nSubject: hi\r\n\r\nbody\r\n', ['$CRM']);
      const status = await imap.status('INBOX', { messages: true, highestModseq: true });
      expect(status).toMatchObject({ messages: 1 });
      expect(status === false ? 0n : (status.highestModseq ?? 0n)).toBeGreaterThan(0n);
    } finally {
      await imap.logout();
    }
  });

  it('refuses a wrong password over IMAP and HTTP', async () => {
    await expect(client({ username: user.username, password: 'wrong' })).rejects.toThrow();
    const res = await propfind(`${cyrus.url}dav/calendars/user/${user.username}/`, '<d:resourcetype/>', '0', { username: user.username, password: 'wrong' });
    expect(res.status).toBe(401);
  });

  it('serves the user a CalDAV calendar home with a default calendar and scheduling, and a CardDAV home', async () => {
    const home = `${cyrus.url}dav/calendars/user/${user.username}/`;
    const res = await propfind(home, '<d:resourcetype/>', '1', user);
    expect(res.status).toBe(207);
    expect(res.text).toMatch(/schedule-outbox/);
    expect(res.text).toMatch(/<[A-Z]:calendar\/>|calendar\/>/);
    const cards = await propfind(`${cyrus.url}dav/addressbooks/user/${user.username}/`, '<d:resourcetype/>', '1', user);
    expect(cards.status).toBe(207);
    expect(cards.text).toMatch(/addressbook/);
  });
});
