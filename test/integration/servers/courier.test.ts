// Smoke test of the Courier IMAP test server (imapflow, not the bridge's adapters): users added at
// run time log in with the namespace and the capabilities Courier has (no CONDSTORE, QRESYNC, MOVE
// or SPECIAL-USE), keep keywords, and wrong passwords are refused.

import { beforeAll, describe, expect, inject, it } from 'vitest';
import { createCourierUser } from '../../servers/courier.js';
import type { Credentials } from '../../servers/types.js';
import { imapClientAt } from '../../support/mail.js';

const servers = inject('servers');
const { courier } = servers;

const client = (user: Credentials) => imapClientAt({ host: courier.host, port: courier.imapPort }, user.username, user.password);

describe('Courier IMAP test server', () => {
  let user: Credentials;

  beforeAll(async () => {
    user = await createCourierUser(servers, 'smoke');
  });

  it('logs a new user in with the INBOX. namespace, its folders, keywords, and none of CONDSTORE, QRESYNC, MOVE, SPECIAL-USE', async () => {
    const imap = await client(user);
    try {
      expect(imap.serverInfo).toBeDefined();
      for (const capability of ['IDLE', 'UIDPLUS', 'NAMESPACE']) expect(imap.capabilities.has(capability), capability).toBe(true);
      for (const capability of ['CONDSTORE', 'QRESYNC', 'MOVE', 'SPECIAL-USE']) expect(imap.capabilities.has(capability), capability).toBe(false);
      expect(imap.namespace?.prefix).toBe('INBOX.');
      expect(imap.namespace?.delimiter).toBe('.');
      await imap.mailboxCreate('INBOX.Projects');
      const listed = (await imap.list()).map((m) => m.path);
      expect(listed).toEqual(expect.arrayContaining(['INBOX', 'INBOX.Sent', 'INBOX.Trash', 'INBOX.Drafts', 'INBOX.Projects']));
      await imap.append('INBOX', 'From: a@example.com\r\nSubject: hi\r\n\r\nbody\r\n', ['$CRM']);
      await imap.mailboxOpen('INBOX');
      const [fetched] = await imap.fetchAll('1:*', { flags: true, uid: true });
      expect([...(fetched?.flags ?? [])]).toContain('$CRM');
    } finally {
      await imap.logout();
    }
  });

  it('refuses a wrong password and an unknown user', async () => {
    await expect(client({ username: user.username, password: 'wrong' })).rejects.toThrow();
    await expect(client({ username: 'nobody-here', password: 'secret' })).rejects.toThrow();
  });

  it('has the preset users', async () => {
    const imap = await client(courier.users[0]!);
    await imap.logout();
  });
});
