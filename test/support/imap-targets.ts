// The IMAP servers of the matrix (issue 15), as the adapter contract suite and the mail scenarios
// see them: where to connect, how a top-level personal folder is named there, how to make users and
// a second "mail program" client. Dovecot has its personal folders at the root with `/`; Cyrus has
// the `INBOX.` namespace with `.` (RFC 2342), as Cyrus installations (and Fastmail-like stacks) do.

import type { ImapFlow } from 'imapflow';
import { createCyrusUser } from '../servers/cyrus.js';
import type { Credentials, TestServers } from '../servers/types.js';
import { createMailUsers } from '../servers/users.js';
import { imapClient, imapClientAt } from './mail.js';

export type ImapServerName = 'dovecot' | 'cyrus';

export interface MailAccount extends Credentials {
  address: string;
}

export interface ImapTarget {
  name: ImapServerName;
  /** For test titles. */
  title: string;
  host: string;
  port: number;
  /** Hierarchy separator of the personal namespace. */
  separator: string;
  /** The path of a top-level personal folder called `name`. */
  folder(name: string): string;
  /** The special-use folders every new user has. */
  sent: string;
  trash: string;
  /** Fresh users, one per prefix, with the address mail for them is sent to. */
  createUsers(prefixes: readonly string[]): Promise<MailAccount[]>;
  /** Another mail program, logged in as `user`. */
  client(user: Credentials): Promise<ImapFlow>;
}

export function imapTargets(servers: TestServers): ImapTarget[] {
  const { dovecot, cyrus } = servers;
  return [
    {
      name: 'dovecot',
      title: 'Dovecot',
      host: dovecot.host,
      port: dovecot.imapPort,
      separator: dovecot.separator,
      folder: (name) => name,
      sent: 'Sent',
      trash: 'Trash',
      // Dovecot logs users in with their address.
      createUsers: async (prefixes) => (await createMailUsers(servers, [...prefixes])).map((user) => ({ ...user, address: user.username })),
      client: (user) => imapClient(servers, user.username, user.password),
    },
    {
      name: 'cyrus',
      title: 'Cyrus IMAP',
      host: cyrus.host,
      port: cyrus.imapPort,
      separator: cyrus.separator,
      folder: (name) => `INBOX${cyrus.separator}${name}`,
      sent: `INBOX${cyrus.separator}Sent`,
      trash: `INBOX${cyrus.separator}Trash`,
      createUsers: (prefixes) => Promise.all(prefixes.map(async (prefix) => {
        const user = await createCyrusUser(servers, prefix);
        return { ...user, address: `${user.username}@example.com` };
      })),
      client: (user) => imapClientAt({ host: cyrus.host, port: cyrus.imapPort }, user.username, user.password),
    },
  ];
}
