// The IMAP servers of the matrix (issue 15), as the adapter contract suite and the mail scenarios
// see them: where to connect, how a top-level personal folder is named there, how to make users and
// a second "mail program" client. Dovecot has its personal folders at the root with `/`; Cyrus and
// Courier have the `INBOX.` namespace with `.` (RFC 2342), as their installations (and Fastmail-like
// stacks) do. Courier has none of CONDSTORE, QRESYNC, MOVE and SPECIAL-USE: the bridge's fallbacks
// (UID and flag comparison, COPY + EXPUNGE, folders by name) carry it.

import type { ImapFlow } from 'imapflow';
import { createCourierUser } from '../servers/courier.js';
import { createCyrusUser } from '../servers/cyrus.js';
import type { Credentials, TestServers } from '../servers/types.js';
import { createMailUsers } from '../servers/users.js';
import { imapClient, imapClientAt } from './mail.js';

export type ImapServerName = 'dovecot' | 'cyrus' | 'courier';

/** The extensions the bridge uses when offered and replaces with a fallback when not. */
export const OPTIONAL_EXTENSIONS = ['CONDSTORE', 'QRESYNC', 'MOVE', 'SPECIAL-USE'] as const;
export type OptionalExtension = (typeof OPTIONAL_EXTENSIONS)[number];

export interface MailAccount extends Credentials {
  address: string;
}

export interface ImapTarget {
  name: ImapServerName;
  /** For test titles. */
  title: string;
  host: string;
  port: number;
  /** Which of OPTIONAL_EXTENSIONS the server offers (checked by the contract suite). */
  offers: ReadonlySet<OptionalExtension>;
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
  const { dovecot, cyrus, courier } = servers;
  const all = new Set(OPTIONAL_EXTENSIONS);
  return [
    {
      name: 'dovecot',
      title: 'Dovecot',
      host: dovecot.host,
      port: dovecot.imapPort,
      offers: all,
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
      offers: all,
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
    {
      name: 'courier',
      title: 'Courier IMAP',
      host: courier.host,
      port: courier.imapPort,
      offers: new Set(),
      separator: courier.separator,
      folder: (name) => `INBOX${courier.separator}${name}`,
      // Found by name: Courier has no SPECIAL-USE (RFC 6154).
      sent: `INBOX${courier.separator}Sent`,
      trash: `INBOX${courier.separator}Trash`,
      createUsers: (prefixes) => Promise.all(prefixes.map(async (prefix) => {
        const user = await createCourierUser(servers, prefix);
        return { ...user, address: `${user.username}@example.com` };
      })),
      client: (user) => imapClientAt({ host: courier.host, port: courier.imapPort }, user.username, user.password),
    },
  ];
}
